/**
 * The options every daemon shares for telling the admin what it does: `-v`/`-vv`
 * (transitions and key downloads; debug detail), `--log-format text|json` and
 * `--metrics [ADDR:]PORT` (Prometheus, off unless given; loopback unless an address is).
 */
import { addressOption, choiceOption, portOption, UsageError } from './args.ts';
import type { LogFormat } from './daemon-log.ts';

export const LOG_HELP = `  -v, --verbose           log every session transition and key download;
                          -vv adds a debug line every 10 s with the counters that
                          moved (drops by reason, retries, handshakes)
      --log-format FORMAT text (default) or json (one JSON object per line)
      --metrics [ADDR:]PORT serve Prometheus metrics over HTTP at /metrics (off by
                          default; a bare PORT listens on 127.0.0.1)
`;

export type Verbosity = 0 | 1 | 2;

export interface LogOptions {
  verbosity: Verbosity;
  format: LogFormat;
}

export interface MetricsAddress {
  host: string;
  port: number;
}

/** `-v` given n times (parseArgs `multiple`): 0, 1 or 2 (more than two counts as two). */
export function logOptions(verbose: boolean[] | undefined, format: string | undefined): LogOptions {
  return {
    verbosity: Math.min(verbose?.length ?? 0, 2) as Verbosity,
    format: choiceOption(format, 'log-format', ['text', 'json'] as const, 'text'),
  };
}

export function metricsOption(value: string | undefined): MetricsAddress | undefined {
  if (value === undefined) return undefined;
  const colon = value.lastIndexOf(':');
  const host = colon < 0 ? '127.0.0.1' : value.slice(0, colon);
  const portText = colon < 0 ? value : value.slice(colon + 1);
  if (host === '') throw new UsageError(`--metrics: missing address before the port: ${value}`);
  return {
    host: addressOption(host, 'metrics', ''),
    port: portOption(portText, 'metrics', 0),
  };
}

/**
 * Command-line parsing shared by the pqconnect tools: node:util parseArgs in strict mode,
 * typed converters, and one-line errors naming the problem (exit status 2).
 */

import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { DEFAULT_RUN_DIR } from '../io/run-dir.ts';
import { MAX_TUNNEL_MTU, MIN_TUNNEL_MTU } from '../protocol/constants.ts';
import { parseIpv4Address } from '../protocol/ipv4.ts';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>
>;

/** Strict options and positional arguments; a parse error becomes a one-line usage error. */
export function parseWithPositionals<T extends Options>(argv: string[], options: T): Parsed<T> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!);
  }
}

/** Strict options, no positional arguments. */
export function parse<T extends Options>(argv: string[], options: T): Parsed<T>['values'] {
  const { values, positionals } = parseWithPositionals(argv, options);
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'`);
  return values;
}

export function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535)
    throw new UsageError(`--${name}: not a port number: ${value}`);
  return port;
}

export function addressOption(value: string | undefined, name: string, fallback: string): string {
  const text = value ?? fallback;
  try {
    parseIpv4Address(text);
  } catch {
    throw new UsageError(`--${name}: not an IPv4 address: ${text}`);
  }
  return text;
}

/**
 * A tunnel address (`--addr`) for a /prefixLength network: a unicast host address, not the
 * network or broadcast address of its prefix, nor loopback, "this network", link-local,
 * multicast or reserved.
 */
export function tunnelAddressOption(
  value: string | undefined,
  name: string,
  fallback: string,
  prefixLength: number,
): string {
  const text = addressOption(value, name, fallback);
  const address = parseIpv4Address(text) >>> 0;
  const first = address >>> 24;
  const hostBits = 32 - prefixLength;
  const host = address & ((2 ** hostBits - 1) >>> 0);
  const problem =
    first === 0 || first === 127
      ? 'a loopback or "this network" address'
      : first >= 224
        ? 'a multicast, reserved or broadcast address'
        : address >>> 16 === 0xa9fe
          ? 'a link-local address'
          : host === 0
            ? `the network address of its /${prefixLength}`
            : host === 2 ** hostBits - 1
              ? `the broadcast address of its /${prefixLength}`
              : null;
  if (problem !== null)
    throw new UsageError(
      `--${name}: ${text} is ${problem}; give a host address such as ${fallback}`,
    );
  return text;
}

/** An NFQUEUE queue number (0..65535). */
export function queueOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const queue = Number(value);
  if (!/^\d+$/.test(value) || queue > 65535)
    throw new UsageError(`--${name}: not a queue number (0..65535): ${value}`);
  return queue;
}

/** Inner MTU of the TUN device: an outer IPv4 packet is this plus the tunnel's overhead. */
export function mtuOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const mtu = Number(value);
  if (!/^\d+$/.test(value) || mtu < MIN_TUNNEL_MTU || mtu > MAX_TUNNEL_MTU)
    throw new UsageError(`--${name}: MTU must be ${MIN_TUNNEL_MTU}..${MAX_TUNNEL_MTU}: ${value}`);
  return mtu;
}

export function prefixOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const prefix = Number(value);
  if (!/^\d+$/.test(value) || prefix < 8 || prefix > 24) {
    throw new UsageError(`--${name}: prefix length must be 8..24: ${value}`);
  }
  return prefix;
}

/** The package's version (package.json, one directory above dist/ or src/). */
export function packageVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  return manifest.version;
}

/** `--version`: prints the package version. */
export function printVersion(program: string): number {
  process.stdout.write(`${program} ${packageVersion()} (PQConnect pq1)\n`);
  return 0;
}

/** `--help` prints `help`, `--version` the version (exit status 0); otherwise undefined. */
export function helpOrVersion(
  program: string,
  help: string,
  asked: { help?: boolean; version?: boolean },
): number | undefined {
  if (asked.help) {
    process.stdout.write(help);
    return 0;
  }
  return asked.version ? printVersion(program) : undefined;
}

export function interfaceOption(value: string | undefined, fallback: string): string {
  const name = value ?? fallback;
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name))
    throw new UsageError(`--interface: invalid interface name: ${name}`);
  return name;
}

/** `--run-dir`: an absolute directory path without control characters. */
export function runDirOption(value: string | undefined): string {
  if (value === undefined) return DEFAULT_RUN_DIR;
  const control = [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (!value.startsWith('/') || control || value.length > 200)
    throw new UsageError(`--run-dir: must be an absolute directory path: ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, '') || '/';
}

export function choiceOption<T extends string>(
  value: string | undefined,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T))
    throw new UsageError(`--${name}: must be one of ${choices.join(', ')}: ${value}`);
  return value as T;
}

/** Runs a CLI main function: usage errors print one line and exit 2, others exit 1. */
export function runMain(program: string, main: () => Promise<number | undefined>): void {
  main().then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`${program}: ${message}\n`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}

/**
 * Port discovery for pq1 names without ports (protocol.md §3): TXT of the pq1 name holds
 * "p=<crypto port>", TXT of ks.<pq1 name> holds "ip=<address>;p=<key port>". A missing
 * or malformed record means the default port.
 */
import { DEFAULT_CRYPTO_PORT, DEFAULT_KEY_PORT } from '../protocol/constants.ts';
import { parseIpv4Address } from '../protocol/ipv4.ts';
import type { TxtResolver } from '../shared/transport.ts';

export interface ServerPorts {
  cryptoPort: number;
  keyPort: number;
  keyServerAddress: string | null;
}

function fields(record: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of record.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key !== undefined && rest.length > 0)
      out.set(key.trim().toLowerCase(), rest.join('=').trim());
  }
  return out;
}

function portFrom(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return null;
  const port = Number(value);
  return port > 0 && port <= 0xffff ? port : null;
}

async function firstFields(resolver: TxtResolver, name: string): Promise<Map<string, string>> {
  try {
    const records = await resolver.resolveTxt(name);
    for (const record of records) {
      const parsed = fields(record);
      if (parsed.has('p')) return parsed;
    }
  } catch {
    // No TXT record: the defaults apply.
  }
  return new Map();
}

export async function resolveServerPorts(
  resolver: TxtResolver,
  pq1Name: string,
): Promise<ServerPorts> {
  const [crypto, key] = await Promise.all([
    firstFields(resolver, pq1Name),
    firstFields(resolver, `ks.${pq1Name}`),
  ]);
  let keyServerAddress: string | null = null;
  const ip = key.get('ip');
  if (ip !== undefined) {
    try {
      parseIpv4Address(ip);
      keyServerAddress = ip;
    } catch {
      keyServerAddress = null;
    }
  }
  return {
    cryptoPort: portFrom(crypto.get('p')) ?? DEFAULT_CRYPTO_PORT,
    keyPort: portFrom(key.get('p')) ?? DEFAULT_KEY_PORT,
    keyServerAddress,
  };
}

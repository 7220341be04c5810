/**
 * Handshake load for bench:farm, run in the farm's clients namespace: from every source
 * address given, asks the service address for an ephemeral key (whichever instance the
 * router sends that source to answers), computes that many distinct handshakes against
 * it, then sends them paced at RATE per source and second (under the server's limit of
 * 20 per source) for SECONDS, and counts the handshake replies. Prints one JSON line:
 * seconds sending, handshakes sent and replies, how long the handshakes took to compute.
 * Usage: farm-load.ts KEYDIR SERVICE_ADDRESS CRYPTO_PORT KEY_PORT SECONDS RATE ADDRESS,...
 */
import { randomBytes } from 'node:crypto';
import { filter, firstValueFrom, mergeAll, timeout } from 'rxjs';
import { createNativeKem } from '../src/crypto/kem-native.ts';
import { nativeSymmetric } from '../src/crypto/symmetric-native.ts';
import { readServerKeys } from '../src/io/key-files.ts';
import { openUdpTransport } from '../src/io/udp-transport.ts';
import { initiateHandshake } from '../src/protocol/handshake.ts';
import { encodeEphemeralKeyRequest, parseKeyResponse } from '../src/protocol/keyserver-messages.ts';
import type { DatagramTransport } from '../src/shared/transport.ts';

const [keyDir, service, cryptoText, keyText, secondsText, rateText, list] = process.argv.slice(2);
const cryptoPort = Number(cryptoText);
const keyPort = Number(keyText);
const seconds = Number(secondsText);
const rate = Number(rateText);
const random = (n: number) => new Uint8Array(randomBytes(n));
const kem = createNativeKem();
const keys = await readServerKeys(keyDir!);
for (const secret of [keys.mcelieceSk, keys.x25519Sk, keys.sessionKey]) secret.fill(0);

async function ephemeralKey(transport: DatagramTransport) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const reply = firstValueFrom(
      transport.datagrams.pipe(
        mergeAll(),
        filter((d) => d.port === keyPort),
        timeout(1_000),
      ),
    ).catch(() => null);
    transport.send(encodeEphemeralKeyRequest(), service!, keyPort);
    const datagram = await reply;
    const parsed = datagram === null ? null : parseKeyResponse(datagram.data);
    if (parsed?.ok && parsed.value.kind === 'ephemeral') return parsed.value;
  }
  throw new Error('no ephemeral key');
}

interface Source {
  transport: DatagramTransport;
  messages: Uint8Array[];
  replies: number;
}

const perSource = Math.ceil(rate * seconds);
const sources: Source[] = [];
const computing = performance.now();
for (const address of list!.split(',')) {
  const transport = await openUdpTransport(address, 0);
  const ephemeral = await ephemeralKey(transport);
  const messages: Uint8Array[] = [];
  for (let i = 0; i < perSource; i++) {
    const { ciphertext, sharedSecret } = await kem.encapsulate('mceliece6960119', keys.mceliecePk);
    const server = {
      x25519Pk: keys.x25519Pk,
      ekemPk: ephemeral.ekemPk,
      ex25519Pk: ephemeral.x25519Pk,
    };
    const made = await initiateHandshake(
      nativeSymmetric,
      kem,
      { c0: ciphertext, k0: sharedSecret },
      server,
      random,
    );
    sharedSecret.fill(0);
    if (made === null) throw new Error('handshake not made');
    messages.push(made.message);
  }
  const source: Source = { transport, messages, replies: 0 };
  transport.datagrams.pipe(mergeAll()).subscribe((d) => {
    if (d.port === cryptoPort) source.replies++;
  });
  sources.push(source);
}
const computeSeconds = (performance.now() - computing) / 1000;

const started = performance.now();
let sent = 0;
for (let tick = 0; tick < perSource; tick++) {
  for (const source of sources) source.transport.send(source.messages[tick]!, service!, cryptoPort);
  sent += sources.length;
  const next = started + ((tick + 1) * 1000) / rate;
  await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
}
const sendSeconds = (performance.now() - started) / 1000;
// Replies still on their way.
await new Promise((r) => setTimeout(r, 1_000));
const replies = sources.reduce((sum, s) => sum + s.replies, 0);
process.stdout.write(`${JSON.stringify({ sendSeconds, sent, replies, computeSeconds })}\n`);
for (const source of sources) source.transport.close();
await kem.close();

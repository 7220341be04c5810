/**
 * An off-path attacker for the end-to-end tests, run in the lab's attacker namespace:
 * for `seconds` it sends, at `rate` datagrams per second of each kind, `03 00`, forged
 * tunnel packets (random tunnel ids) and forged ephemeral-key answers to the client port
 * of `target`. The namespace's SNAT rules give them the server's source address and ports
 * (source port 40001 → crypto port, 40002 → key port). Bounded in time; stops by itself.
 *
 *   node --import tsx test/e2e/spoofer.ts TARGET RATE SECONDS
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { encodeEphemeralKeyResponse } from '../../src/protocol/keyserver-messages.ts';

const [target = '10.77.0.1', rateText = '1000', secondsText = '10'] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Number(secondsText);
const CLIENT_PORT = 42423;
const BATCH_MS = 10;

const crypto = createSocket('udp4');
const keys = createSocket('udp4');
let sent = 0;

function forgedTunnelPacket(): Buffer {
  const packet = randomBytes(56 + 64);
  packet[0] = 2;
  packet[1] = 0;
  return packet;
}

crypto.bind(40001, () =>
  keys.bind(40002, () => {
    const perBatch = Math.max(1, Math.round((rate * BATCH_MS) / 1000));
    const started = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - started >= seconds * 1000) {
        clearInterval(timer);
        process.stdout.write(`spoofer: sent ${sent} datagrams\n`);
        crypto.close();
        keys.close();
        return;
      }
      for (let i = 0; i < perBatch; i++) {
        crypto.send(Buffer.from([3, 0]), CLIENT_PORT, target);
        crypto.send(forgedTunnelPacket(), CLIENT_PORT, target);
        keys.send(
          encodeEphemeralKeyResponse(randomBytes(1158), randomBytes(32)),
          CLIENT_PORT,
          target,
        );
        sent += 3;
      }
    }, BATCH_MS);
    process.stdout.write('spoofer: running\n');
  }),
);

/**
 * A fake worker for the hostile-worker tests: started by the real root part (through
 * PQCONNECT_TEST_WORKER) as the unprivileged user, it speaks the frame channel at fd 3
 * and breaks the protocol, or forges requests, in the way named by the file
 * /tmp/pqconnect-hostile-mode (the test writes it; the worker's environment is fixed by
 * root). Modes ending in `-after-ready` first send a valid `ready`, so root has
 * installed all its rules. It answers status requests like a worker with no sessions
 * that also claims root's facts (pid, version, refusals), which root must not take.
 */
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import { encodeFrame, FrameChannel } from '../../src/io/frame-channel.ts';
import { CHANNEL_FD } from '../../src/io/worker-process.ts';
import { rewriteDnsDatagram } from '../../src/streams/dns-datagram.ts';

/** A status with no sessions that also claims root's own facts: root must keep its own. */
const FORGED_STATUS = {
  sessions: [],
  counters: {},
  refusedByRoot: {},
  plainRoutes: 0,
  pid: 1,
  version: '6.6.6',
  uptimeSeconds: 0,
};

const mode = readFileSync('/tmp/pqconnect-hostile-mode', 'utf8').trim();
const attack = mode.replace(/-after-ready$/, '');
const socket = new Socket({ fd: CHANNEL_FD });

interface FromRoot {
  type: string;
  id?: number;
  payload?: Uint8Array;
}

function frameOf(bytes: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([head, bytes]);
}

/** The answer with every A record pointed at 6.6.6.6: DNS poisoning by the worker. */
function poisoned(packet: Uint8Array): Uint8Array | null {
  return rewriteDnsDatagram(packet, (dns) => {
    const decoded = dnsPacket.decode(Buffer.from(dns));
    const answers = (decoded.answers ?? []).map((a) =>
      a.type === 'A' ? { ...a, data: '6.6.6.6' } : a,
    );
    return { bytes: new Uint8Array(dnsPacket.encode({ ...decoded, answers })), rewritten: true };
  });
}

const attacks: Record<string, () => void> = {
  garbage: () => socket.write(frameOf(Buffer.from('\u0000not json at all {{{'))),
  oversized: () => socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])),
  'unknown-type': () => socket.write(encodeFrame({ type: 'format-disk', device: '/dev/sda' })),
  'forged-log': () => {
    process.stderr.write('pqconnect[1]: client up: all is well\rforged\n');
    socket.write(encodeFrame({ type: 'ready', summary: 'ok\npqconnect[1]: forged line' }));
  },
  'huge-transition': () => {
    const context = { padding: 'x'.repeat(1024 * 1024) };
    for (let i = 0; i < 100; i++)
      socket.write(
        encodeFrame({
          type: 'transition',
          transition: {
            sessionId: 's',
            machine: 'clientSession',
            state: 'discovered',
            event: 'e',
            context,
            at: 0,
          },
        }),
      );
  },
  'extra-field': () => socket.write(encodeFrame({ type: 'ready', summary: 'ok', run: 'rm -rf /' })),
  'route-flood': () => {
    for (let i = 0; i < 2_000; i++)
      socket.write(
        encodeFrame({
          type: 'route',
          action: 'add',
          internalAddress: `10.43.${(i >> 8) & 0xff}.${(i & 0xff) + 2 > 254 ? 2 : (i & 0xff) + 2}`,
          plainAddress: '10.77.0.2',
        }),
      );
  },
  'forged-verdict': () => {},
};

let started = false;
new FrameChannel<FromRoot, unknown>(socket, {
  maxFrameBytes: 8 * 1024 * 1024,
  decode: (value) => ({ ok: true, value: value as FromRoot }),
  onMessage: (message) => {
    if (message.type === 'status')
      socket.write(encodeFrame({ type: 'status', id: message.id, status: FORGED_STATUS }));
    if (message.type === 'dns' && message.payload !== undefined)
      socket.write(
        encodeFrame({ type: 'dns-verdict', id: message.id, payload: poisoned(message.payload) }),
      );
    if (message.type !== 'start' || started) return;
    started = true;
    if (mode.endsWith('-after-ready')) {
      socket.write(encodeFrame({ type: 'ready', summary: 'fake worker ready' }));
      setTimeout(() => attacks[attack]?.(), 1_000);
    } else attacks[attack]?.();
  },
  onViolation: () => process.exit(3),
  onClose: () => process.exit(0),
});

/**
 * A fake worker for the hostile-worker tests: started by the real root part (through
 * PQCONNECT_TEST_WORKER) as the unprivileged user, it speaks the frame channel at fd 3
 * and breaks the protocol in the way named by the file /tmp/pqconnect-hostile-mode
 * (the test writes it; the worker's environment is fixed by root). Modes ending in
 * `-after-ready` first send a valid `ready`, so root has installed all its rules.
 */
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { encodeFrame } from '../../src/io/frame-channel.ts';
import { CHANNEL_FD } from '../../src/io/worker-process.ts';

const mode = readFileSync('/tmp/pqconnect-hostile-mode', 'utf8').trim();
const channel = new Socket({ fd: CHANNEL_FD });

function frameOf(bytes: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([head, bytes]);
}

const attacks: Record<string, () => void> = {
  garbage: () => channel.write(frameOf(Buffer.from('\u0000not json at all {{{'))),
  oversized: () => channel.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])),
  'unknown-type': () => channel.write(encodeFrame({ type: 'format-disk', device: '/dev/sda' })),
  'forged-log': () => {
    process.stderr.write('pqconnect[1]: client up: all is well\rforged\n');
    channel.write(encodeFrame({ type: 'ready', summary: 'ok\npqconnect[1]: forged line' }));
  },
  'huge-transition': () => {
    const context = { padding: 'x'.repeat(1024 * 1024) };
    for (let i = 0; i < 100; i++)
      channel.write(
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
  'extra-field': () =>
    channel.write(encodeFrame({ type: 'ready', summary: 'ok', run: 'rm -rf /' })),
};

let started = false;
channel.on('data', () => {
  if (started) return;
  started = true;
  const name = mode.replace(/-after-ready$/, '');
  if (mode.endsWith('-after-ready')) {
    channel.write(encodeFrame({ type: 'ready', summary: 'fake worker ready' }));
    setTimeout(() => attacks[name]?.(), 1_000);
  } else attacks[name]?.();
});
channel.on('close', () => process.exit(0));

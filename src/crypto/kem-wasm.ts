/**
 * The portable KEM backend: liboqs compiled to WASM (@oqs/liboqs-js, npm only), run in a
 * small pool of worker threads. Workers hold the event loop open only while a call is
 * pending, so an idle backend never keeps a process alive.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  checkKemInput,
  type Encapsulation,
  KEM_SIZES,
  type KemBackend,
  type KemKeyPair,
} from './kem.ts';
import type { WasmKemReply, WasmKemRequest } from './kem-wasm-worker.ts';

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
type Job = DistributiveOmit<WasmKemRequest, 'id'>;

interface PooledWorker {
  worker: Worker;
  pending: Map<number, { resolve(value: unknown): void; reject(error: Error): void }>;
}

const WORKER_URL = new URL(
  `./kem-wasm-worker${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
);

/**
 * Compiled, the worker is a plain .js file. Run from TypeScript sources (tests, tsx), a
 * worker thread does not inherit the tsx loader on Node 20, so it registers it first.
 */
function startWorker(): Worker {
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(bootstrap, { eval: true });
}

class WorkerPool {
  private readonly workers: PooledWorker[] = [];
  private nextId = 1;

  constructor(private readonly size: number) {}

  call(job: Job): Promise<unknown> {
    const slot = this.pick();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage({ ...job, id });
    });
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((slot) => slot.worker.terminate()));
  }

  private pick(): PooledWorker {
    const idle = this.workers.find((slot) => slot.pending.size === 0);
    if (idle !== undefined) return idle;
    if (this.workers.length < this.size) return this.spawn();
    return this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
  }

  private spawn(): PooledWorker {
    const worker = startWorker();
    const slot: PooledWorker = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (reply: WasmKemReply) => {
      const waiter = slot.pending.get(reply.id);
      if (waiter === undefined) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if ('error' in reply) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.result);
    });
    worker.on('error', (error) => this.fail(slot, error));
    worker.on('exit', (code) =>
      this.fail(slot, new Error(`WASM KEM worker exited with code ${code}`)),
    );
    this.workers.push(slot);
    return slot;
  }

  private fail(slot: PooledWorker, error: Error): void {
    for (const waiter of slot.pending.values()) waiter.reject(error);
    slot.pending.clear();
    const index = this.workers.indexOf(slot);
    if (index >= 0) this.workers.splice(index, 1);
  }
}

export function createWasmKem(
  workers = Math.max(1, Math.min(2, availableParallelism())),
): KemBackend {
  const pool = new WorkerPool(workers);
  return {
    name: 'portable (liboqs WASM in worker threads)',

    async keypair(kem) {
      return (await pool.call({ op: 'keypair', kem })) as KemKeyPair;
    },

    async encapsulate(kem, publicKey) {
      checkKemInput(kem, 'publicKeyBytes', publicKey);
      return (await pool.call({ op: 'encapsulate', kem, publicKey })) as Encapsulation;
    },

    async decapsulate(kem, ciphertext, secretKey) {
      checkKemInput(kem, 'ciphertextBytes', ciphertext);
      checkKemInput(kem, 'secretKeyBytes', secretKey);
      const result = (await pool.call({
        op: 'decapsulate',
        kem,
        ciphertext,
        secretKey,
      })) as Uint8Array | null;
      return result !== null && result.length === KEM_SIZES[kem].sharedSecretBytes ? result : null;
    },

    close: () => pool.close(),
  };
}

/**
 * McEliece encapsulations to one server's static key, computed in the background once
 * the key is known, so that later handshakes need neither the 1 MB key download nor a
 * McEliece encapsulation on the critical path (protocol.md §5). Each prekey is used once
 * and its shared secret erased by the caller. The background refill never rejects: a
 * failed encapsulation is reported to `onFailure` and the fill stops until the next take.
 */
import { wipe } from '../crypto/bytes.ts';
import type { KemBackend } from '../crypto/kem.ts';

export interface Prekey {
  c0: Uint8Array;
  k0: Uint8Array;
}

export class PrekeyCache {
  private readonly prekeys: Prekey[] = [];
  private filling: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly kem: KemBackend,
    private readonly mceliecePk: Uint8Array,
    readonly target: number,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  get size(): number {
    return this.prekeys.length;
  }

  /** A prekey from the cache, or a fresh encapsulation when the cache is empty. */
  async take(): Promise<Prekey> {
    const cached = this.prekeys.pop();
    this.refill();
    if (cached !== undefined) return cached;
    const { ciphertext, sharedSecret } = await this.kem.encapsulate(
      'mceliece6960119',
      this.mceliecePk,
    );
    return { c0: ciphertext, k0: sharedSecret };
  }

  /** Tops the cache up to its target in the background (one fill at a time); never rejects. */
  refill(): Promise<void> {
    if (this.filling !== null || this.closed || this.prekeys.length >= this.target)
      return this.filling ?? Promise.resolve();
    this.filling = (async () => {
      while (!this.closed && this.prekeys.length < this.target) {
        const { ciphertext, sharedSecret } = await this.kem.encapsulate(
          'mceliece6960119',
          this.mceliecePk,
        );
        if (this.closed) wipe(sharedSecret);
        else this.prekeys.push({ c0: ciphertext, k0: sharedSecret });
      }
    })()
      .catch((error: unknown) => this.onFailure(error))
      .finally(() => {
        this.filling = null;
      });
    return this.filling;
  }

  close(): void {
    this.closed = true;
    for (const prekey of this.prekeys.splice(0)) wipe(prekey.k0);
  }
}

/**
 * The channel between root and the worker: frames of a 4-byte big-endian length and that
 * many bytes of JSON (byte strings written as `{"$bytes": base64}`), over the socket pair
 * the root part creates at spawn. Each side caps the frames it accepts; a frame over the
 * cap, bytes that are not JSON, or a message its schema refuses ends the channel: the
 * reason is reported once and nothing more is read. Nothing here throws at the reader.
 */
import type { Duplex } from 'node:stream';

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

const LENGTH_BYTES = 4;

function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $bytes: Buffer.from(value).toString('base64') } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const bytes = (value as { $bytes?: unknown }).$bytes;
    if (keys.length === 1 && typeof bytes === 'string')
      return new Uint8Array(Buffer.from(bytes, 'base64'));
  }
  return value;
}

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message, replacer), 'utf8');
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, LENGTH_BYTES);
  return frame;
}

export interface FrameChannelOptions<In> {
  /** Largest frame body accepted, in bytes. */
  maxFrameBytes: number;
  /** The schema: a message, or why it is refused. */
  decode(value: unknown): Decoded<In>;
  onMessage(message: In): void;
  /** Called once when the peer broke the protocol; the channel is closed after it. */
  onViolation(reason: string): void;
  /** Called once when the peer closed the channel (also after a violation). */
  onClose(): void;
}

export class FrameChannel<In, Out> {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private broken = false;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    private readonly options: FrameChannelOptions<In>,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.end());
    socket.on('close', () => this.end());
  }

  send(message: Out): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(encodeFrame(message));
  }

  close(): void {
    this.socket.end();
  }

  private receive(chunk: Buffer): void {
    if (this.broken) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= LENGTH_BYTES) {
      const head = this.take(LENGTH_BYTES, false);
      const length = head.readUInt32BE(0);
      if (length > this.options.maxFrameBytes) {
        this.violate(`frame of ${length} bytes (limit ${this.options.maxFrameBytes})`);
        return;
      }
      if (this.pendingBytes < LENGTH_BYTES + length) return;
      this.take(LENGTH_BYTES, true);
      const body = this.take(length, true);
      let value: unknown;
      try {
        value = JSON.parse(body.toString('utf8'), reviver);
      } catch {
        this.violate('a frame that is not JSON');
        return;
      }
      const decoded = this.options.decode(value);
      if (!decoded.ok) {
        this.violate(decoded.reason);
        return;
      }
      this.options.onMessage(decoded.value);
      if (this.broken) return;
    }
  }

  /** The first `length` pending bytes (removed when `consume`). */
  private take(length: number, consume: boolean): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const out = all.subarray(0, length);
    if (consume) {
      const rest = all.subarray(length);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
    } else {
      this.pending = [all];
    }
    return out;
  }

  private violate(reason: string): void {
    this.broken = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.options.onViolation(reason);
    this.socket.destroy();
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.onClose();
  }
}

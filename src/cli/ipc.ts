/**
 * Messages between the privileged part (root) and the unprivileged worker. The command
 * set from the worker is deliberately small — a DNS verdict, a plain-route request, a
 * status answer, readiness — and root validates every field of it.
 */
import type { ServerKeys } from '../engine/server-engine.ts';
import type { SessionTransition } from '../engine/session-events.ts';

export interface ClientWorkerConfig {
  role: 'client';
  tunFd: number;
  udpFd: number;
  tunnelAddress: string;
  prefixLength: number;
  strict: boolean;
  /** Deliver decrypted traffic to this address (client-in-a-bottle, --host-ip). */
  hostAddress?: string;
  backend: 'auto' | 'fast' | 'portable';
  verbose: boolean;
}

export interface ServerWorkerConfig {
  role: 'server';
  tunFd: number;
  cryptoFd: number;
  keyFd: number;
  tunnelAddress: string;
  prefixLength: number;
  hostAddress?: string;
  backend: 'auto' | 'fast' | 'portable';
  verbose: boolean;
  keys: ServerKeys;
}

export type ToWorker =
  | { type: 'start'; config: ClientWorkerConfig | ServerWorkerConfig }
  | { type: 'dns'; id: number; payload: Uint8Array }
  | { type: 'status'; id: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; summary: string }
  | { type: 'dns-verdict'; id: number; payload: Uint8Array | null }
  | { type: 'route'; action: 'add' | 'remove'; internalAddress: string; plainAddress: string }
  | { type: 'status'; id: number; status: unknown }
  | { type: 'transition'; transition: SessionTransition };

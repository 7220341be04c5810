/**
 * How the engines report what happened: one line per event with a level. `info` tells
 * the normal story (discovery, handshakes, tunnels); `warn` is for decisions an operator
 * must see (plain fallback, refused fallback, lost liveness, failed background work).
 */

export type LogLevel = 'info' | 'warn';

export type EngineLog = (message: string, level?: LogLevel) => void;

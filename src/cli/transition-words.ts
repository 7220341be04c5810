/**
 * Session transitions in words for logs and status: a state value as a dotted path
 * (`established.probing`) and an event as a phrase — our events in lower case
 * (`HANDSHAKE_CONFIRMED` → "handshake confirmed"), XState's own ones by what happened
 * (`xstate.done.actor.fetchEphemeralKey` → "fetchEphemeralKey finished", a delayed
 * transition → "after 5000 ms").
 */

export function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  return Object.entries(value)
    .map(([key, inner]) => `${key}.${stateText(inner)}`)
    .join(', ');
}

export function eventText(type: string): string {
  const done = /^xstate\.done\.actor\.(.+)$/.exec(type);
  if (done) return `${done[1]} finished`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(type);
  if (error) return `${error[1]} failed`;
  const after = /^xstate\.after\.(\d+)\./.exec(type);
  if (after) return `after ${after[1]} ms`;
  if (type === 'xstate.init') return 'start';
  return type.toLowerCase().replaceAll('_', ' ');
}

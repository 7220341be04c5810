/**
 * What causes each event of a chart, in words for auditors, and where it comes from: the
 * facts the visualizer shows next to every transition and the property checker reasons
 * with (what an attacker on the network can make happen, and what needs a timer, the key
 * server or an operator). Each machine module exports its catalogue next to its events.
 */

/** Where an event comes from, from an attacker's point of view. */
export type EventOrigin =
  /** Only a packet that authenticated under the tunnel's keys causes it. */
  | 'authenticated packet'
  /** Anyone on the path can cause it: an unauthenticated packet or DNS answer. */
  | 'unauthenticated network'
  /** An outcome of talking to the server's key server (its answers or its silence). */
  | 'key server'
  /** A timer of the chart ran out. */
  | 'timer'
  /** Someone with the control socket asked (the daemon's operator). */
  | 'operator'
  /** This host itself: local traffic, a local send, the daemon's own processes or load. */
  | 'this host'
  /** The chart's own step (an eventless transition). */
  | 'chart';

export interface EventFacts {
  origin: EventOrigin;
  words: string;
}

/**
 * Keyed by how the visualizer names an event: its type (`FAILURE_NOTICE`), an invoked
 * actor's outcome (`done:fetchEphemeralKey`, `error:fetchEphemeralKey`), a timer
 * (`after:HANDSHAKE_TIMEOUT`) or `always` for eventless transitions.
 */
export type EventCatalogue = Readonly<Record<string, EventFacts>>;

export const ALWAYS: EventFacts = {
  origin: 'chart',
  words: 'At once, when the guard holds: the chart moves on by itself',
};

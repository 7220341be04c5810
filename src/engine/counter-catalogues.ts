/**
 * The fixed counter catalogues of the two engines: every event they count and every
 * reason they drop an input for, assembled from the catalogues of the pieces they use
 * and from the protocol's own failure lists. `Counters` accepts nothing else.
 */
import { COOKIE_FAILURES } from '../protocol/cookie.ts';
import { HANDSHAKE_FAILURES } from '../protocol/handshake.ts';
import { REWRITE_FAILURES } from '../protocol/ipv4.ts';
import { KEY_MESSAGE_FAILURES } from '../protocol/keyserver-messages.ts';
import { catalogue, mergeCatalogues, prefixed } from '../shared/counters.ts';
import { POLICY_DROPS } from '../streams/data-policy.ts';
import { DNS_REWRITE_FAILURES } from '../streams/dns-rewrite.ts';
import { INNER_ROUTE_COUNTERS } from '../streams/inner-route.ts';
import { KEY_SERVER_COUNTERS } from '../streams/key-server.ts';
import { KEY_FETCH_COUNTERS } from './key-fetch.ts';
import { TUNNEL_ENDPOINT_COUNTERS } from './tunnel-endpoint.ts';

const BOTH_ENGINES = mergeCatalogues(
  mergeCatalogues(TUNNEL_ENDPOINT_COUNTERS, INNER_ROUTE_COUNTERS),
  catalogue({
    counts: [],
    drops: ['send after close', 'tunnel: unknown tunnel id', 'handshake: computation failed'],
  }),
);

export const CLIENT_ENGINE_COUNTERS = mergeCatalogues(
  mergeCatalogues(BOTH_ENGINES, KEY_FETCH_COUNTERS),
  catalogue({
    counts: [
      'handshakes sent',
      'handshakes resent',
      'liveness: probes sent',
      'liveness: new handshakes',
      'early data resent',
      'plain packets',
      'forged key-server answers',
      'handshake-failed notices received',
      'cookies received',
    ],
    drops: [
      'dns: malformed answer passed through',
      ...prefixed('dns: ', DNS_REWRITE_FAILURES).map(
        (reason) => `${reason}, original passed through` as const,
      ),
      'dns: no internal address left',
      'session: actor error',
      'prekeys: encapsulation failed',
      'prekeys: refill failed',
      'outbound: tunnel not ready',
      ...prefixed('outbound: ', POLICY_DROPS),
      ...prefixed('outbound: ', REWRITE_FAILURES),
      ...prefixed('key response: ', KEY_MESSAGE_FAILURES),
      'client port: unexpected message type',
      'handshake-failed notice from an unknown address',
    ],
  }),
);

export const SERVER_ENGINE_COUNTERS = mergeCatalogues(
  mergeCatalogues(BOTH_ENGINES, KEY_SERVER_COUNTERS),
  catalogue({
    counts: [
      'handshakes accepted',
      'handshake-failed notices sent',
      'cookies issued',
      'cookies accepted',
    ],
    drops: [
      'crypto port: unexpected message type',
      'tunnel: data before its handshake completed',
      'tunnel: cookie sent to a server',
      ...prefixed('handshake: ', HANDSHAKE_FAILURES),
      'handshake: replayed c0',
      'handshake: too many pending',
      'handshake: rate limit for the source address',
      ...prefixed('cookie: ', COOKIE_FAILURES),
      'cookie: replayed or tunnel active',
      'cookie: epoch space exhausted',
      'cookie: could not issue',
      'session: no address available',
    ],
  }),
);

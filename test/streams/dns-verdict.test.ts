/**
 * Root's check of the worker's DNS verdicts, and of its route requests against what root
 * passed: the worker's genuine rewrite is accepted and yields its (internal, real) pair;
 * forged verdicts — another 5-tuple, another id, a changed record of a plain name, a
 * pq1 name pointed outside the pool, an added record, a canary answer with records —
 * are refused; routes need a pair root passed, an assignable address, and stay capped
 * in number and rate.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { MAX_ROUTES, WorkerRequests } from '../../src/cli/worker-requests.ts';
import { AddressPool } from '../../src/engine/address-pool.ts';
import { formatIpv4Address, parseIpv4Address } from '../../src/protocol/ipv4.ts';
import { formatPq1Label } from '../../src/protocol/names.ts';
import { rewriteDnsDatagram } from '../../src/streams/dns-datagram.ts';
import { rewriteDnsAnswer } from '../../src/streams/dns-rewrite.ts';
import { checkDnsVerdict } from '../../src/streams/dns-verdict.ts';
import { udpPacket, VECTOR_PKH } from '../support/engine-harness.ts';

const PQ1 = `${formatPq1Label(VECTOR_PKH, { crypto: 42424, key: 42425 })}.demo.test`;
const pool = new AddressPool('10.43.0.1', 16);
const isInternal = (a: number) => pool.isAssignable(a);

function answerPacket(
  answers: dnsPacket.Answer[],
  { id = 9, question = 'www.demo.test', source = '10.77.0.3', flags = 0x8180 } = {},
): Uint8Array {
  const dns = dnsPacket.encode({
    type: 'response',
    id,
    flags,
    questions: [{ type: 'A', name: question }],
    answers,
  });
  return udpPacket(source, '10.77.0.1', 53, 40000, new Uint8Array(dns));
}

const ORIGINAL_ANSWERS: dnsPacket.Answer[] = [
  { type: 'CNAME', name: 'www.demo.test', ttl: 300, data: PQ1 },
  { type: 'A', name: PQ1, ttl: 300, data: '10.77.0.2' },
  { type: 'AAAA', name: PQ1, ttl: 300, data: '2001:db8::2' },
];

/** What the real worker returns for `packet`. */
function workerRewrite(packet: Uint8Array): Uint8Array {
  const rewritten = rewriteDnsDatagram(packet, (dns) =>
    rewriteDnsAnswer(dns, {
      internalAddressFor: () => '10.43.0.2',
      isTunnelAddress: (a) => pool.contains(a),
    }),
  );
  assert.ok(rewritten);
  return rewritten;
}

describe('DNS verdict check', () => {
  it("accepts the worker's genuine rewrite and returns its address pair", () => {
    const original = answerPacket(ORIGINAL_ANSWERS);
    const check = checkDnsVerdict(original, workerRewrite(original), isInternal);
    assert.deepEqual(check, {
      ok: true,
      pairs: [
        {
          internalAddress: parseIpv4Address('10.43.0.2'),
          realAddress: parseIpv4Address('10.77.0.2'),
          ttl: 300,
        },
      ],
    });
  });

  it('accepts the rewrite of an answer with an EDNS OPT record (resolvers add one)', () => {
    const dns = dnsPacket.encode({
      type: 'response',
      id: 5,
      flags: 0x8180,
      questions: [{ type: 'A', name: 'www.demo.test' }],
      answers: ORIGINAL_ANSWERS,
      additionals: [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 1232,
          flags: 0,
          options: [{ code: 10, data: Buffer.from('0123456789abcdef', 'hex') }],
        } as never,
      ],
    });
    const original = udpPacket('10.77.0.3', '10.77.0.1', 53, 40000, new Uint8Array(dns));
    const check = checkDnsVerdict(original, workerRewrite(original), isInternal);
    assert.equal(check.ok, true, JSON.stringify(check));
  });

  it('accepts the Firefox canary as an empty NXDOMAIN', () => {
    const original = answerPacket(
      [{ type: 'A', name: 'use-application-dns.net', ttl: 60, data: '1.2.3.4' }],
      {
        question: 'use-application-dns.net',
      },
    );
    assert.deepEqual(checkDnsVerdict(original, workerRewrite(original), isInternal), {
      ok: true,
      pairs: [],
    });
  });

  const forgeries: [string, () => [Uint8Array, Uint8Array], RegExp][] = [
    [
      'a packet from another source (6.6.6.6:7777)',
      () => {
        const original = answerPacket(ORIGINAL_ANSWERS);
        return [original, answerPacket(ORIGINAL_ANSWERS, { source: '6.6.6.6' })];
      },
      /another IP header/,
    ],
    [
      'another DNS id',
      () => [
        answerPacket(ORIGINAL_ANSWERS),
        workerRewrite(answerPacket(ORIGINAL_ANSWERS, { id: 10 })),
      ],
      /another query/,
    ],
    [
      'a plain name pointed elsewhere',
      () => {
        const plain = [
          { type: 'A', name: 'plain.demo.test', ttl: 300, data: '10.77.0.2' },
        ] as dnsPacket.Answer[];
        return [
          answerPacket(plain, { question: 'plain.demo.test' }),
          answerPacket([{ ...plain[0]!, data: '6.6.6.6' }] as dnsPacket.Answer[], {
            question: 'plain.demo.test',
          }),
        ];
      },
      /changes a record it may not/,
    ],
    [
      'a pq1 name pointed outside the pool',
      () => [
        answerPacket(ORIGINAL_ANSWERS),
        answerPacket([ORIGINAL_ANSWERS[0]!, { type: 'A', name: PQ1, ttl: 0, data: '6.6.6.6' }]),
      ],
      /outside the tunnel pool/,
    ],
    [
      'a pq1 name pointed at the pool network address',
      () => [
        answerPacket(ORIGINAL_ANSWERS),
        answerPacket([ORIGINAL_ANSWERS[0]!, { type: 'A', name: PQ1, ttl: 0, data: '10.43.0.0' }]),
      ],
      /outside the tunnel pool/,
    ],
    [
      'an added record',
      () => [
        answerPacket(ORIGINAL_ANSWERS),
        answerPacket([
          ...ORIGINAL_ANSWERS,
          { type: 'A', name: 'evil.test', ttl: 0, data: '6.6.6.6' },
        ] as dnsPacket.Answer[]),
      ],
      /adds records/,
    ],
    [
      'a canary answer with records',
      () => {
        const canary = [
          { type: 'A', name: 'use-application-dns.net', ttl: 60, data: '1.2.3.4' },
        ] as dnsPacket.Answer[];
        return [
          answerPacket(canary, { question: 'use-application-dns.net' }),
          answerPacket(canary, { question: 'use-application-dns.net', flags: 0x8183 }),
        ];
      },
      /canary verdict/,
    ],
    [
      'changed flags',
      () => [answerPacket(ORIGINAL_ANSWERS), answerPacket(ORIGINAL_ANSWERS, { flags: 0x8580 })],
      /flags/,
    ],
    [
      'bytes that are not IPv4',
      () => [answerPacket(ORIGINAL_ANSWERS), new Uint8Array([1, 2, 3])],
      /not an IPv4 packet/,
    ],
  ];
  for (const [name, make, reason] of forgeries) {
    it(`refuses ${name}`, () => {
      const [original, forged] = make();
      const check = checkDnsVerdict(original, forged, isInternal);
      assert.equal(check.ok, false);
      assert.match((check as { reason: string }).reason, reason);
    });
  }
});

describe('route requests against what root passed', () => {
  function passedAnswerFor(requests: WorkerRequests, internal: string, id = 1): void {
    const original = answerPacket(ORIGINAL_ANSWERS);
    const rewritten = rewriteDnsDatagram(original, (dns) =>
      rewriteDnsAnswer(dns, {
        internalAddressFor: () => internal,
        isTunnelAddress: (a) => pool.contains(a),
      }),
    );
    assert.ok(requests.queued(id, original));
    assert.equal(requests.settle(id, rewritten), rewritten);
  }

  it('accepts only a pair from an answer root passed, within its window', () => {
    let now = 0;
    const requests = new WorkerRequests(
      pool,
      () => {},
      () => now,
    );
    const add = { action: 'add' as const, internalAddress: '10.43.0.2', plainAddress: '10.77.0.2' };
    assert.equal(requests.route(add, 0), null, 'nothing passed yet');
    passedAnswerFor(requests, '10.43.0.2');
    assert.deepEqual(requests.route(add, 0), {
      internalAddress: '10.43.0.2',
      plainAddress: '10.77.0.2',
    });
    assert.equal(
      requests.route({ ...add, plainAddress: '10.77.0.9' }, 0),
      null,
      'another real address',
    );
    now += 301_000;
    assert.equal(requests.route(add, 0), null, 'the window (max(TTL, 5 min)) is over');
  });

  it('refuses own, network and broadcast addresses and unusable plain addresses', () => {
    const requests = new WorkerRequests(pool, () => {});
    for (const internal of ['10.43.0.1', '10.43.0.0', '10.43.255.255', '10.44.0.2'])
      assert.equal(
        requests.route({ action: 'add', internalAddress: internal, plainAddress: '10.77.0.2' }, 0),
        null,
        internal,
      );
    for (const plain of ['127.0.0.1', '169.254.169.254', '0.0.0.0', '224.0.0.1', '10.43.0.5'])
      assert.equal(
        requests.route({ action: 'add', internalAddress: '10.43.0.2', plainAddress: plain }, 0),
        null,
        plain,
      );
  });

  it('caps routes in number and rate; refused verdicts pass the original', () => {
    let now = 0;
    const logged: string[] = [];
    const requests = new WorkerRequests(
      pool,
      (m) => logged.push(m),
      () => now,
    );
    for (let i = 2; i < 40; i++)
      passedAnswerFor(requests, formatIpv4Address(parseIpv4Address('10.43.0.0') + i), i);
    const route = (i: number) => ({
      action: 'add' as const,
      internalAddress: formatIpv4Address(parseIpv4Address('10.43.0.0') + i),
      plainAddress: '10.77.0.2',
    });
    let accepted = 0;
    for (let i = 2; i < 40; i++) if (requests.route(route(i), accepted) !== null) accepted++;
    assert.equal(accepted, 10, 'ten new routes per second');
    now += 1_000;
    assert.equal(requests.route(route(30), MAX_ROUTES), null, 'never more than MAX_ROUTES');
    const original = answerPacket(ORIGINAL_ANSWERS);
    assert.ok(requests.queued(99, original));
    assert.equal(requests.settle(99, answerPacket(ORIGINAL_ANSWERS, { source: '6.6.6.6' })), null);
    assert.equal(requests.settle(99, null), undefined, 'settled once');
    assert.ok(Object.keys(requests.refused()).some((r) => /DNS verdict refused/.test(r)));
    assert.ok(logged.length >= 1 && logged.length <= 2, 'refusals are logged at most every 10 s');
  });
});

/**
 * The internal address pool: lowest free address first, never the network, own or
 * broadcast address, released addresses handed out again, and a full pool says so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressPool } from '../../src/engine/address-pool.ts';
import { formatIpv4Address, parseIpv4Address } from '../../src/protocol/ipv4.ts';

const take = (pool: AddressPool) => {
  const address = pool.allocate();
  return address === null ? null : formatIpv4Address(address);
};

describe('address pool', () => {
  it('hands out the lowest free address, skipping its own', () => {
    const pool = new AddressPool('10.42.0.1', 16);
    assert.equal(take(pool), '10.42.0.2');
    assert.equal(take(pool), '10.42.0.3');
    assert.equal(pool.inUse, 2);
    assert.equal(pool.capacity, 65_533);
  });

  it('hands a released address out again, and ignores releases of what it did not give', () => {
    const pool = new AddressPool('10.42.0.1', 16);
    const given = Array.from({ length: 20 }, () => pool.allocate()!);
    pool.release(given[4]!);
    pool.release(given[4]!);
    pool.release(parseIpv4Address('10.42.9.9'));
    pool.release(parseIpv4Address('192.168.0.7'));
    assert.equal(pool.inUse, 19);
    assert.equal(take(pool), formatIpv4Address(given[4]!));
    assert.equal(take(pool), '10.42.0.22');
  });

  it('gives every assignable address of a small pool once, then null', () => {
    const pool = new AddressPool('10.9.0.1', 29);
    const given = Array.from({ length: 6 }, () => take(pool));
    assert.deepEqual(given, ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6', null]);
    assert.equal(pool.inUse, 5);
    const tiny = new AddressPool('10.9.0.1', 30);
    assert.deepEqual([take(tiny), take(tiny)], ['10.9.0.2', null]);
    tiny.release(parseIpv4Address('10.9.0.2'));
    assert.equal(tiny.inUse, 0);
    assert.equal(take(tiny), '10.9.0.2');
  });

  it('knows its own addresses', () => {
    const pool = new AddressPool('10.42.0.1', 16);
    assert.ok(pool.isAssignable(parseIpv4Address('10.42.200.9')));
    assert.ok(!pool.isAssignable(parseIpv4Address('10.42.0.1')), 'own');
    assert.ok(!pool.isAssignable(parseIpv4Address('10.42.0.0')), 'network');
    assert.ok(!pool.isAssignable(parseIpv4Address('10.42.255.255')), 'broadcast');
    assert.ok(!pool.contains(parseIpv4Address('10.43.0.2')));
  });
});

/**
 * The server's sessions by internal address: found by address, counted, listed in address
 * order while entries come and go, and nothing found outside the network.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressTable } from '../../src/engine/address-table.ts';
import { parseIpv4Address } from '../../src/protocol/ipv4.ts';

const NETWORK = parseIpv4Address('10.42.0.0');
const at = (offset: number) => NETWORK + offset;

describe('address table', () => {
  it('finds, replaces and forgets by address', () => {
    const table = new AddressTable<string>(NETWORK, 65_536);
    table.set(at(2), 'a');
    table.set(at(700), 'b');
    table.set(at(2), 'a2');
    assert.equal(table.size, 2);
    assert.equal(table.get(at(2)), 'a2');
    assert.equal(table.get(at(3)), undefined);
    table.delete(at(700));
    table.delete(at(700));
    table.delete(at(5));
    assert.equal(table.size, 1);
    assert.equal(table.get(at(700)), undefined);
  });

  it('finds nothing outside its network and refuses to store there', () => {
    const table = new AddressTable<string>(NETWORK, 256);
    table.set(at(255), 'last');
    assert.equal(table.get(at(256)), undefined);
    assert.equal(table.get(NETWORK - 1), undefined);
    assert.equal(table.get(parseIpv4Address('192.168.1.1')), undefined);
    assert.throws(() => table.set(at(256), 'x'), RangeError);
    assert.equal(table.size, 1);
  });

  it('lists in address order, seeing what is added ahead and skipping what is removed', () => {
    const table = new AddressTable<number>(NETWORK, 65_536);
    for (const offset of [9, 2, 5]) table.set(at(offset), offset);
    const seen: number[] = [];
    for (const value of table.values()) {
      seen.push(value);
      if (value === 2) {
        table.delete(at(5));
        table.set(at(7), 7);
      }
    }
    assert.deepEqual(seen, [2, 7, 9]);
    assert.equal(table.size, 3);
  });
});

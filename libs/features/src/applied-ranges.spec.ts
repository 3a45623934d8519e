import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppliedRanges, MAX_RANGES } from './applied-ranges';

describe('AppliedRanges', () => {
  it('merges adjacent and overlapping chunks, in or out of order', () => {
    const a = new AppliedRanges();
    a.add('t', 0, 0, 9);
    a.add('t', 0, 10, 19);
    assert.deepEqual(a.of('t', 0), [0, 19]);
    a.add('t', 0, 40, 49);
    a.add('t', 0, 25, 29);
    assert.deepEqual(a.of('t', 0), [0, 19, 25, 29, 40, 49]);
    a.add('t', 0, 20, 24);
    assert.deepEqual(a.of('t', 0), [0, 29, 40, 49]);
    a.add('t', 0, 28, 45);
    assert.deepEqual(a.of('t', 0), [0, 49]);
  });

  it('answers membership per partition, the ends included', () => {
    const a = new AppliedRanges();
    a.add('t', 1, 5, 7);
    a.add('t', 1, 20, 20);
    assert.equal(a.has('t', 1, 4), false);
    assert.equal(a.has('t', 1, 5), true);
    assert.equal(a.has('t', 1, 7), true);
    assert.equal(a.has('t', 1, 8), false);
    assert.equal(a.has('t', 1, 20), true);
    assert.equal(a.has('t', 1, 21), false);
    assert.equal(a.has('t', 2, 6), false);
    assert.equal(a.has('u', 1, 6), false);
  });

  it('keeps at most MAX_RANGES ranges, merging the oldest', () => {
    const a = new AppliedRanges();
    for (let i = 0; i < MAX_RANGES + 5; i++) a.add('t', 0, i * 10, i * 10 + 4);
    const r = a.of('t', 0);
    assert.equal(r.length, MAX_RANGES * 2);
    assert.equal(r[0], 0);
    // the newest ranges and gaps are exact
    const last = (MAX_RANGES + 4) * 10;
    assert.equal(a.has('t', 0, last + 4), true);
    assert.equal(a.has('t', 0, last - 2), false);
  });
});

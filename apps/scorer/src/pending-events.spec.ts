import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PendingEvents, type AppliedCheck, type PendingEntry } from './pending-events';

const T = Date.UTC(2026, 11, 2, 8, 0, 0);
const entry = (offset: number, userId = 'u1', eventId = `e${offset}`): PendingEntry => ({
  offset,
  eventId,
  userId,
  clicks: [{ userId, type: 'page_view', sku: '', category: '', tsMs: T + offset }],
});
const none: AppliedCheck = () => false;
const offsetsOf = (p: PendingEvents, users: string[], applied = none) =>
  [...p.rowsFor(new Set(users), applied).values()].flatMap((r) => r.clicks.map((c) => c.tsMs - T));

describe('PendingEvents', () => {
  it('holds a contiguous tail per partition; unverified until what precedes it is stored', () => {
    const p = new PendingEvents(100);
    p.add('c', 0, 10, 13, [entry(10), entry(11), entry(12)]);
    assert.equal(p.verified('c', 0), false);
    assert.equal(p.from('c', 0), 10);
    p.markVerified('c', 0);
    p.add('c', 0, 13, 15, [entry(14)]); // offset 13: an invalid event, no entry
    assert.equal(p.verified('c', 0), true);
    assert.deepEqual(offsetsOf(p, ['u1']), [10, 11, 12, 14]);
    assert.equal(p.size, 4);
  });

  it('drops what the tier holds, and leaves out applied entries behind unapplied ones', () => {
    const p = new PendingEvents(100);
    p.add(
      'c',
      0,
      0,
      6,
      [0, 1, 2, 3, 4, 5].map((o) => entry(o)),
    );
    const applied = (_t: string, _p: number, o: number) => o <= 1 || o === 4; // chunks out of order
    p.trim(applied);
    assert.equal(p.size, 4);
    assert.deepEqual(offsetsOf(p, ['u1'], applied), [2, 3, 5]);
  });

  it('a batch delivered again replaces the tail from its first offset (no double counts)', () => {
    const p = new PendingEvents(100);
    p.add('c', 0, 0, 3, [entry(0), entry(1), entry(2)]);
    p.markVerified('c', 0);
    p.add('c', 0, 3, 5, [entry(3), entry(4)]);
    p.add('c', 0, 3, 6, [entry(3), entry(4), entry(5)]); // the transaction of 3..4 aborted
    assert.deepEqual(offsetsOf(p, ['u1']), [0, 1, 2, 3, 4, 5]);
    assert.equal(p.size, 6);
    assert.equal(p.verified('c', 0), true);
  });

  it('a gap starts a new, unverified tail; settle empties it verified', () => {
    const p = new PendingEvents(100);
    p.add('c', 0, 0, 2, [entry(0), entry(1)]);
    p.markVerified('c', 0);
    p.add('c', 0, 7, 8, [entry(7)]);
    assert.equal(p.verified('c', 0), false);
    assert.equal(p.from('c', 0), 7);
    assert.deepEqual(offsetsOf(p, ['u1']), [7]);
    p.settle('c', 0, 8);
    assert.equal(p.verified('c', 0), true);
    assert.equal(p.size, 0);
    assert.equal(p.from('c', 0), 8);
  });

  it('one row set per event id (a producer retry stored twice), only the asked users, over partitions', () => {
    const p = new PendingEvents(100);
    p.add('c', 0, 0, 3, [entry(0, 'u1', 'x'), entry(1, 'u1', 'x'), entry(2, 'u2')]);
    p.add('o', 1, 0, 1, [
      {
        offset: 0,
        eventId: 'o1',
        userId: 'u1',
        orderLines: [
          { userId: 'u1', type: 'order_placed', lineNo: 0, qty: 2, unitPrice: 5, tsMs: T },
          { userId: 'u1', type: 'order_placed', lineNo: 1, qty: 1, unitPrice: 3, tsMs: T },
        ],
      },
    ]);
    const rows = p.rowsFor(new Set(['u1']), none);
    assert.deepEqual([...rows.keys()], ['u1']);
    assert.equal(rows.get('u1')?.clicks.length, 1);
    assert.equal(rows.get('u1')?.orderLines.length, 2);
    assert.equal(p.size, 3);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deadLetterRequests, type DeadLetter } from './dead-letter';

function letter(bytes: number, i: number): DeadLetter {
  return {
    sourceTopic: 'storefront.clickstream.v1',
    sourcePartition: 0,
    sourceOffset: String(i),
    key: Buffer.from(`k-${i}`),
    value: Buffer.alloc(bytes, 0x61),
    reason: 'query: must be at most 1024 characters',
    fields: ['query'],
    failedAt: new Date(0),
    consumerGroup: 'g',
  };
}

describe('dead letters: produce requests under the broker size limit', () => {
  it('splits large letters into requests of at most the byte budget, in order, losing none', () => {
    const letters = Array.from({ length: 40 }, (_, i) => letter(100_000, i));
    const parts = deadLetterRequests(letters, 768 * 1024);
    assert.equal(parts.length, 6, '7 letters of ~100 KB per 768 KiB request');
    assert.deepEqual(
      parts.flat().map((d) => d.sourceOffset),
      letters.map((d) => d.sourceOffset),
    );
    for (const p of parts)
      assert.ok(p.reduce((n, d) => n + (d.value?.length ?? 0), 0) <= 768 * 1024);
  });

  it('a letter larger than the budget goes alone; small letters share one request', () => {
    const parts = deadLetterRequests([
      letter(10, 0),
      letter(900_000, 1),
      letter(10, 2),
      letter(10, 3),
    ]);
    assert.deepEqual(
      parts.map((p) => p.map((d) => d.sourceOffset)),
      [['0'], ['1'], ['2', '3']],
    );
    assert.deepEqual(deadLetterRequests([]), []);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { retryConcurrentTransactions } from './io';

const concurrent = () =>
  Object.assign(new Error('another concurrent operation on the same transaction'), {
    type: 'CONCURRENT_TRANSACTIONS',
  });

describe('retryConcurrentTransactions', () => {
  it('retries CONCURRENT_TRANSACTIONS with a short, growing backoff until the op succeeds', async () => {
    let calls = 0;
    const waits: number[] = [];
    await retryConcurrentTransactions(
      () => (++calls < 4 ? Promise.reject(concurrent()) : Promise.resolve()),
      5_000,
      (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    );
    assert.equal(calls, 4);
    assert.deepEqual(waits, [10, 20, 40]);
  });

  it('rethrows any other error at once', async () => {
    let calls = 0;
    await assert.rejects(
      retryConcurrentTransactions(() => {
        calls++;
        return Promise.reject(Object.assign(new Error('fenced'), { type: 'PRODUCER_FENCED' }));
      }),
      /fenced/,
    );
    assert.equal(calls, 1);
  });

  it('gives up with the broker error after the deadline', async () => {
    let calls = 0;
    await assert.rejects(
      retryConcurrentTransactions(
        () => {
          calls++;
          return Promise.reject(concurrent());
        },
        30,
        (ms) => new Promise((r) => setTimeout(r, ms)),
      ),
      /concurrent operation/,
    );
    assert.ok(calls >= 2 && calls <= 4, `${calls} attempts within 30 ms`);
  });
});

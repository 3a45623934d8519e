import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@storepulse/observability';
import { CommitWatcher, type CommittedOffsets } from './commit-watcher';

const log = createLogger('warn', 'test');

class FakeOffsets implements CommittedOffsets {
  committed = new Map<string, bigint>();
  fetches = 0;
  closed = false;
  fail: Error | null = null;
  fetch(): Promise<Map<string, bigint>> {
    this.fetches++;
    if (this.fail) return Promise.reject(this.fail);
    return Promise.resolve(new Map(this.committed));
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function setup(timeoutMs = 60_000) {
  const offsets = new FakeOffsets();
  const done: string[] = [];
  let now = 1_000;
  const w = new CommitWatcher<string>(
    offsets,
    (p) => {
      done.push(p);
      return Promise.resolve();
    },
    log,
    { pollMs: 5, timeoutMs },
    () => now,
  );
  return { offsets, done, w, advance: (ms: number) => (now += ms) };
}

describe('CommitWatcher (post-commit work of transactional batches)', () => {
  it('runs the work once the group committed the batch end offset, not before', async () => {
    const { offsets, done, w } = setup();
    w.track('t', 0, '10', '15', 'b1');
    await w.poll();
    assert.deepEqual(done, []);
    offsets.committed.set('t:0', 15n);
    await w.poll();
    assert.deepEqual(done, ['b1']);
    assert.equal(w.inFlight(), 0);
    assert.deepEqual(w.counts, { committed: 1, aborted: 0, failed: 0 });
    await w.stop(100);
  });

  it('the next batch of the same partition starting at the end proves the commit; one starting inside it is a retry (dropped)', async () => {
    const { done, w } = setup();
    w.track('t', 0, '10', '15', 'attempt-1');
    w.track('t', 0, '10', '15', 'attempt-2'); // retry of the same batch: attempt 1 aborted
    assert.deepEqual(done, []);
    w.track('t', 0, '15', '20', 'next'); // attempt 2 committed
    assert.deepEqual(done, ['attempt-2']);
    w.track('t', 1, '0', '3', 'other partition');
    assert.deepEqual(w.counts, { committed: 1, aborted: 1, failed: 0 });
    assert.equal(w.inFlight(), 2);
    const clean = await w.stop(0);
    assert.equal(clean, false);
    assert.deepEqual(done, ['attempt-2']);
  });

  it('drops a batch neither committed nor retried within the timeout, and survives offset read errors', async () => {
    const { offsets, done, w, advance } = setup(1_000);
    w.track('t', 0, '0', '5', 'lost');
    offsets.fail = new Error('coordinator not available');
    await w.poll();
    assert.equal(w.inFlight(), 1);
    advance(1_001);
    await w.poll();
    assert.equal(w.inFlight(), 0);
    assert.deepEqual(done, []);
    assert.equal(w.counts.aborted, 1);
    await w.stop(10);
    assert.equal(offsets.closed, true);
  });

  it('a failing post-commit job is counted, not thrown', async () => {
    const offsets = new FakeOffsets();
    const w = new CommitWatcher<string>(
      offsets,
      () => Promise.reject(new Error('ClickHouse down')),
      log,
      { pollMs: 5, timeoutMs: 1000 },
    );
    offsets.committed.set('t:0', 5n);
    w.track('t', 0, '0', '5', 'x');
    assert.equal(await w.stop(1000), true);
    assert.equal(w.counts.failed, 1);
  });
});

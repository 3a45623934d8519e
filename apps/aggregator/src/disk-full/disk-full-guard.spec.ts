import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClickHouseDiskFullError } from '@storepulse/clickhouse';
import type { BatchHandler, BatchResult, PartitionBatch } from '@storepulse/kafka';
import { createLogger, PipelineMetrics } from '@storepulse/observability';
import { DiskFullGuard } from './disk-full-guard';

const batch = (partition: number): PartitionBatch => ({
  topic: 't',
  partition,
  messages: [],
  lastOffset: '9',
  highWatermark: '10',
  heartbeat: () => Promise.resolve(),
});
const full = () => new ClickHouseDiskFullError('/data/chdb', 'Cannot reserve 1.00 MiB, not enough space');

class Handler implements BatchHandler {
  fail: Error | undefined;
  assigned: unknown;
  handleBatch(): Promise<BatchResult> {
    return this.fail ? Promise.reject(this.fail) : Promise.resolve({ commitOffset: '10' });
  }
  onAssignmentChange(p: unknown): void {
    this.assigned = p;
  }
}

async function gauge(m: PipelineMetrics): Promise<number> {
  return (await m.diskFull.get()).values[0]?.value ?? NaN;
}

describe('DiskFullGuard', () => {
  it('enters the state on a disk-full failure, rethrows it, and leaves it once that partition writes again', async () => {
    const h = new Handler();
    const m = new PipelineMetrics(false);
    let t = 1_000;
    const g = new DiskFullGuard(h, createLogger('silent', 'test'), m, { now: () => t });
    assert.equal(g.state(), null);
    assert.equal(await gauge(m), 0);
    h.fail = full();
    await assert.rejects(g.handleBatch(batch(0)), ClickHouseDiskFullError);
    await assert.rejects(g.handleBatch(batch(1)), ClickHouseDiskFullError);
    const s = g.state();
    assert.equal(s?.folder, '/data/chdb');
    assert.match(s?.error ?? '', /no space left in \/data\/chdb/);
    assert.deepEqual(s?.partitions, ['t:0', 't:1']);
    assert.equal(s?.failures, 2);
    assert.equal(s?.since, new Date(1_000).toISOString());
    assert.equal(await gauge(m), 1);
    assert.equal((await m.diskFullErrors.get()).values[0]?.value, 2);
    h.fail = undefined;
    t = 5_000;
    assert.deepEqual(await g.handleBatch(batch(2)), { commitOffset: '10' });
    assert.ok(g.state(), 'a partition that never failed does not end the state');
    await g.handleBatch(batch(0));
    assert.ok(g.state(), 'partition 1 still waits for space');
    await g.handleBatch(batch(1));
    assert.equal(g.state(), null);
    assert.equal(await gauge(m), 0);
  });

  it('other failures pass through without the state; a revoked partition stops holding it', async () => {
    const h = new Handler();
    const m = new PipelineMetrics(false);
    const g = new DiskFullGuard(h, createLogger('silent', 'test'), m);
    h.fail = new Error('socket hang up');
    await assert.rejects(g.handleBatch(batch(0)), /socket hang up/);
    assert.equal(g.state(), null);
    h.fail = full();
    await assert.rejects(g.handleBatch(batch(3)), ClickHouseDiskFullError);
    assert.ok(g.state());
    g.onAssignmentChange([{ topic: 't', partition: 0 }]);
    assert.deepEqual(h.assigned, [{ topic: 't', partition: 0 }], 'delegated');
    assert.equal(g.state(), null);
    assert.equal(await gauge(m), 0);
  });
});

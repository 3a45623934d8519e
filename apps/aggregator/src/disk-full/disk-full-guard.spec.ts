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
const full = () =>
  new ClickHouseDiskFullError('/data/chdb', 'Cannot reserve 1.00 MiB, not enough space');

class Handler implements BatchHandler {
  fail: Error | undefined;
  assigned: unknown;
  calls = 0;
  handleBatch(): Promise<BatchResult> {
    this.calls++;
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
  it('a disk-full failure enters the state; other partitions are held off the engine; the probe writing ends it', async () => {
    const h = new Handler();
    const m = new PipelineMetrics(false);
    let t = 1_000;
    const g = new DiskFullGuard(h, createLogger('silent', 'test'), m, { now: () => t });
    assert.equal(g.state(), null);
    assert.equal(await gauge(m), 0);
    h.fail = full();
    await assert.rejects(g.handleBatch(batch(0)), ClickHouseDiskFullError);
    const s = g.state();
    assert.equal(s?.folder, '/data/chdb');
    assert.match(s?.error ?? '', /no space left in \/data\/chdb/);
    assert.equal(s?.probe, 't:0');
    assert.equal(s?.since, new Date(1_000).toISOString());
    assert.equal(await gauge(m), 1);
    // another partition is refused without reaching the handler, even though it would succeed
    h.fail = undefined;
    h.calls = 0;
    await assert.rejects(g.handleBatch(batch(1)), (e: unknown) => {
      assert.ok(e instanceof ClickHouseDiskFullError);
      assert.match(e.message, /held: t:0 probes for space/);
      return true;
    });
    assert.equal(h.calls, 0, 'a held batch never reaches the engine');
    assert.deepEqual(g.state()?.partitions, ['t:0', 't:1']);
    h.fail = full();
    await assert.rejects(g.handleBatch(batch(0)), ClickHouseDiskFullError);
    assert.equal(g.state()?.failures, 2, 'the probe retried');
    assert.equal((await m.diskFullErrors.get()).values[0]?.value, 2);
    h.fail = undefined;
    t = 5_000;
    assert.deepEqual(await g.handleBatch(batch(0)), { commitOffset: '10' });
    assert.equal(g.state(), null, 'the probe wrote: space again');
    assert.equal(await gauge(m), 0);
    assert.deepEqual(await g.handleBatch(batch(1)), { commitOffset: '10' }, 'held ones pass now');
  });

  it('other failures pass through without the state; a revoked probe hands over, or ends the state', async () => {
    const h = new Handler();
    const m = new PipelineMetrics(false);
    const g = new DiskFullGuard(h, createLogger('silent', 'test'), m);
    h.fail = new Error('socket hang up');
    await assert.rejects(g.handleBatch(batch(0)), /socket hang up/);
    assert.equal(g.state(), null);
    h.fail = full();
    await assert.rejects(g.handleBatch(batch(3)), ClickHouseDiskFullError);
    await assert.rejects(g.handleBatch(batch(4)), ClickHouseDiskFullError);
    g.onAssignmentChange([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 4 },
    ]);
    assert.equal(g.state()?.probe, 't:4', 'a held partition takes over the probe');
    g.onAssignmentChange([{ topic: 't', partition: 0 }]);
    assert.deepEqual(h.assigned, [{ topic: 't', partition: 0 }], 'delegated');
    assert.equal(g.state(), null);
    assert.equal(await gauge(m), 0);
  });
});

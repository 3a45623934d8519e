import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createEngineMemoryGauges, type EngineMemory } from './engine-memory';

const figures: EngineMemory = {
  tracked: 123_456_789,
  markCache: 2_048,
  uncompressedCache: 0,
  primaryIndexCache: 0,
  queryCache: 0,
  primaryKeys: 4_096,
  activeParts: 17,
};

describe('createEngineMemoryGauges', () => {
  it('exports every kind and the parts from one read per scrape', async () => {
    const registry = new Registry();
    let reads = 0;
    createEngineMemoryGauges(
      registry,
      () => {
        reads++;
        return Promise.resolve(figures);
      },
      () => assert.fail('no error expected'),
    );
    const text = await registry.metrics();
    assert.match(text, /storepulse_clickhouse_memory_bytes\{kind="tracked"\} 123456789\n/);
    assert.match(text, /storepulse_clickhouse_memory_bytes\{kind="mark_cache"\} 2048\n/);
    assert.match(text, /storepulse_clickhouse_memory_bytes\{kind="primary_keys"\} 4096\n/);
    assert.match(text, /storepulse_clickhouse_memory_bytes\{kind="uncompressed_cache"\} 0\n/);
    assert.match(text, /storepulse_clickhouse_active_parts\{database="storepulse"\} 17\n/);
    assert.equal(reads, 1, 'both gauges share the scrape’s read');
    await new Promise((r) => setTimeout(r, 5));
    await registry.metrics();
    assert.equal(reads, 2, 'the next scrape reads again');
  });

  it('a failed read leaves no series (no made-up zero) and reports the error', async () => {
    const registry = new Registry();
    const errors: unknown[] = [];
    let fail = false;
    createEngineMemoryGauges(
      registry,
      () => (fail ? Promise.reject(new Error('engine gone')) : Promise.resolve(figures)),
      (e) => errors.push(e),
    );
    assert.match(await registry.metrics(), /kind="tracked"\} 123456789/);
    await new Promise((r) => setTimeout(r, 5));
    fail = true;
    const text = await registry.metrics();
    assert.doesNotMatch(text, /storepulse_clickhouse_memory_bytes\{/);
    assert.doesNotMatch(text, /storepulse_clickhouse_active_parts\{/);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /engine gone/);
  });

  it('a second registration on the same registry keeps the first pair', () => {
    const registry = new Registry();
    const a = createEngineMemoryGauges(
      registry,
      () => Promise.resolve(figures),
      () => undefined,
    );
    const b = createEngineMemoryGauges(
      registry,
      () => Promise.resolve(figures),
      () => undefined,
    );
    assert.equal(a.memory, b.memory);
    assert.equal(a.parts, b.parts);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  JsonLinesWriter,
  chunkRows,
  estimateRowBytes,
  insertIdempotent,
  insertSerialized,
  serializedLines,
} from './insert';

describe('chunkRows', () => {
  const rows = Array.from({ length: 1000 }, (_, i) => ({
    id: i,
    name: `name-${i}`,
    price: i % 3 ? 1.5 : null,
    tags: ['a', 'b'],
  }));

  it('estimates JSON size within 25% of the real serialisation', () => {
    const real = rows.reduce((s, r) => s + JSON.stringify(r).length + 1, 0);
    const est = rows.reduce((s, r) => s + estimateRowBytes(r), 0);
    assert.ok(Math.abs(est - real) / real < 0.25, `estimate ${est} vs real ${real}`);
  });

  it('bounds chunks by rows and by bytes, keeps order, and is deterministic', () => {
    const byRows = chunkRows(rows, { maxRows: 300, maxBytes: 1 << 30 });
    assert.deepEqual(
      byRows.map((c) => c.length),
      [300, 300, 300, 100],
    );
    const byBytes = chunkRows(rows, { maxRows: 1e9, maxBytes: 10_000 });
    assert.ok(byBytes.length > 1);
    for (const c of byBytes) assert.ok(c.reduce((s, r) => s + estimateRowBytes(r), 0) <= 10_000);
    assert.deepEqual(byBytes.flat(), rows);
    assert.deepEqual(chunkRows(rows, { maxRows: 1e9, maxBytes: 10_000 }), byBytes);
  });

  it('puts a single oversized row in its own chunk instead of looping', () => {
    const big = [{ s: 'x'.repeat(100) }, { s: 'y' }];
    assert.deepEqual(
      chunkRows(big, { maxRows: 10, maxBytes: 50 }).map((c) => c.length),
      [1, 1],
    );
  });
});

describe('insertSerialized', () => {
  it('sends exactly the chunks, tokens and bytes of insertIdempotent over the row objects', async () => {
    const rows = Array.from({ length: 2345 }, (_, i) => ({
      id: i,
      name: i % 7 ? `name-${i}` : 'é"\\😀\n'.repeat(i % 50),
      price: i % 3 ? i * 1.25 : null,
      big: i * 1e6,
    }));
    const w = new JsonLinesWriter(64);
    for (const r of rows) w.push(JSON.stringify(r), estimateRowBytes(r));
    const s = w.finish();
    assert.deepEqual(
      serializedLines(s),
      rows.map((r) => JSON.stringify(r)),
    );
    for (const limits of [
      { maxRows: 500, maxBytes: 1 << 30 },
      { maxRows: 1e9, maxBytes: 7_000 },
      { maxRows: 100, maxBytes: 5_000 },
    ]) {
      const sent =
        (into: { body: string; token: unknown }[]) =>
        (_t: string, body: Buffer, settings: Record<string, string | number>) => {
          into.push({ body: body.toString('utf8'), token: settings['insert_deduplication_token'] });
          return Promise.resolve();
        };
      const a: { body: string; token: unknown }[] = [];
      const b: { body: string; token: unknown }[] = [];
      const client = {} as ClickHouseClient;
      await insertIdempotent(client, 't', rows, 'tok', limits, sent(a));
      await insertSerialized('t', s, 'tok', limits, sent(b));
      assert.ok(a.length > 1);
      assert.deepEqual(b, a);
    }
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chunkRows, estimateRowBytes } from './insert';

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

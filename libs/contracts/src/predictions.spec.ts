import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { deterministicUuid, predictionId, propensityPredictionSchema } from './predictions';

/** The original implementation (SHA-1 Buffer, bytes 6 and 8 masked, hex): the reference. */
function referenceUuid(...parts: (string | number)[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

describe('deterministicUuid / predictionId', () => {
  it('keeps the ids published so far (pinned values)', () => {
    assert.equal(
      predictionId(
        '0b6f3c1e-6a7d-4a51-9d3e-2f1f0f6f8c11',
        { name: 'propensity_24h', version: 3 },
        '24h',
      ),
      '9e9242b9-c76b-593f-b7a3-c16ac3f41eb4',
    );
    assert.equal(
      deterministicUuid('demand', 'sku-1', 0, '2026-12-01T12:00:00.000Z', 'demand_ets', 7),
      'fa8a61bb-81be-5d5d-ab33-5afe4b649743',
    );
    assert.equal(deterministicUuid('x'), '11f6ad8e-c52a-5984-abaa-fd7c3b516503');
  });

  it('equals the Buffer-based reference for every variant nibble, and is a v5 UUID', () => {
    const variants = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const parts = ['propensity', randomUUID(), `m-${i % 7}`, i, i % 2 ? '24h' : '7d'];
      const id = deterministicUuid(...parts);
      assert.equal(id, referenceUuid(...parts));
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      variants.add(id.charAt(19));
    }
    assert.deepEqual([...variants].sort(), ['8', '9', 'a', 'b']);
  });

  it('differs per event, model version and horizon, and passes the topic schema', () => {
    const m = { name: 'propensity_24h', version: 3 };
    const a = predictionId('e1', m, '24h');
    assert.notEqual(a, predictionId('e2', m, '24h'));
    assert.notEqual(a, predictionId('e1', { ...m, version: 4 }, '24h'));
    assert.notEqual(a, predictionId('e1', m, '7d'));
    assert.ok(propensityPredictionSchema.shape.prediction_id.safeParse(a).success);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  it('allows a burst, then refuses with Retry-After until tokens refill at the rate', () => {
    let now = 0;
    const b = new TokenBuckets(2, 3, () => now);
    for (let i = 0; i < 3; i++) assert.deepEqual(b.take('k'), { ok: true });
    assert.deepEqual(b.take('k'), { ok: false, retryAfterSeconds: 1 });
    now += 400; // 0.8 token
    assert.equal(b.take('k').ok, false);
    now += 100; // 1.0
    assert.equal(b.take('k').ok, true);
    assert.equal(b.take('k').ok, false);
    now += 10_000; // capped at the burst
    for (let i = 0; i < 3; i++) assert.equal(b.take('k').ok, true);
    assert.equal(b.take('k').ok, false);
  });

  it('buckets are per key', () => {
    const b = new TokenBuckets(1, 1, () => 0);
    assert.equal(b.take('a').ok, true);
    assert.equal(b.take('a').ok, false);
    assert.equal(b.take('b').ok, true);
  });

  it('Retry-After rounds the wait up to whole seconds', () => {
    const b = new TokenBuckets(0.25, 1, () => 0);
    b.take('k');
    assert.deepEqual(b.take('k'), { ok: false, retryAfterSeconds: 4 });
  });

  it('rate 0 = unlimited', () => {
    const b = new TokenBuckets(0, 1, () => 0);
    for (let i = 0; i < 100; i++) assert.equal(b.take('k').ok, true);
  });

  it('forgets idle buckets when there are many', () => {
    let now = 0;
    const b = new TokenBuckets(1000, 1, () => now);
    for (let i = 0; i < 10_000; i++) b.take(`ip${i}`);
    now += 10;
    b.take('fresh');
    assert.ok(b.size() < 100, `size ${b.size()}`);
  });
});

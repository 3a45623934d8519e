import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LiveStats } from './live-stats';

describe('LiveStats', () => {
  it('bins scores in 20 equal bins, 1.0 in the last; a new version restarts the distribution', () => {
    const s = new LiveStats();
    s.add('propensity_7d', 1, '7d', [0, 0.049, 0.05, 0.5, 0.999, 1]);
    const [m] = s.list();
    assert.equal(m?.scored, 6);
    assert.deepEqual(
      m?.histogram.map((b) => b.count),
      [2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2],
    );
    assert.deepEqual(m?.histogram[19], { lo: 0.95, hi: 1, count: 2 });
    s.add('propensity_7d', 2, '7d', [0.3]);
    assert.equal(s.list()[0]?.version, 2);
    assert.equal(s.list()[0]?.scored, 1);
  });
});

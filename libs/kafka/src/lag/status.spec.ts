import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  evaluatePartition,
  pushSample,
  worstStatus,
  type LagSample,
  type PartitionWindow,
  type StatusThresholds,
} from './status';

const T: StatusThresholds = { stallAfterMs: 60_000, stopAfterMs: 300_000, minSamples: 5 };

/** Builds a window by pushing samples (committed, lag) every `stepMs`, starting at t=0. */
function windowOf(points: [string | null, number][], stepMs = 10_000, max = 10): PartitionWindow {
  let w: PartitionWindow | undefined;
  points.forEach(([committed, lag], i) => {
    const s: LagSample = { atMs: i * stepMs, committed, lag: String(lag) };
    w = pushSample(w, s, max);
  });
  if (!w) throw new Error('empty');
  return w;
}
const lastAt = (w: PartitionWindow) => w.samples[w.samples.length - 1]?.atMs ?? 0;

describe('pushSample', () => {
  it('keeps at most maxSamples, oldest dropped', () => {
    const w = windowOf(
      Array.from({ length: 15 }, (_, i) => [String(i), 1] as [string, number]),
      1000,
      10,
    );
    assert.equal(w.samples.length, 10);
    assert.equal(w.samples[0]?.committed, '5');
  });
  it('tracks when the committed offset last changed', () => {
    const w = windowOf([
      ['1', 5],
      ['2', 5],
      ['2', 6],
      ['2', 7],
    ]);
    assert.equal(w.committedSinceMs, 10_000);
  });
});

describe('evaluatePartition', () => {
  it('OK when the consumer keeps up (lag shrinking / flat)', () => {
    const w = windowOf([
      ['10', 5],
      ['15', 3],
      ['20', 4],
      ['25', 2],
      ['30', 2],
    ]);
    assert.equal(evaluatePartition(w, lastAt(w), T).status, 'OK');
  });

  it('OK for an idle partition even when nothing was committed for ages', () => {
    const w = windowOf(Array.from({ length: 50 }, () => ['100', 0] as [string, number]));
    const e = evaluatePartition(w, lastAt(w) + 3_600_000, T);
    assert.equal(e.status, 'OK');
    assert.ok(e.committedUnchangedMs > T.stopAfterMs);
  });

  it('WARNING when the lag grows over the whole window while offsets move', () => {
    const w = windowOf([
      ['10', 5],
      ['12', 8],
      ['14', 8],
      ['16', 12],
      ['18', 20],
    ]);
    const e = evaluatePartition(w, lastAt(w), T);
    assert.equal(e.status, 'WARNING');
    assert.match(e.reason, /5 → 20/);
  });

  it('not WARNING with fewer samples than minSamples, nor when the lag dipped once', () => {
    const short = windowOf([
      ['10', 5],
      ['12', 8],
    ]);
    assert.equal(evaluatePartition(short, lastAt(short), T).status, 'OK');
    const dipped = windowOf([
      ['10', 5],
      ['12', 8],
      ['14', 6],
      ['16', 12],
      ['18', 20],
    ]);
    assert.equal(evaluatePartition(dipped, lastAt(dipped), T).status, 'OK');
  });

  it('STALLED when the committed offset does not move for stallAfterMs while lag > 0', () => {
    const w = windowOf([
      ['10', 5],
      ['20', 5],
      ['20', 6],
      ['20', 7],
      ['20', 9],
      ['20', 9],
      ['20', 9],
      ['20', 9],
    ]); // committed 20 since t=10 s, last sample at t=70 s: unchanged 60 s
    const e = evaluatePartition(w, lastAt(w), T);
    assert.equal(e.status, 'STALLED');
    assert.equal(e.committedUnchangedMs, 60_000);
    assert.equal(evaluatePartition(w, lastAt(w) - 1, T).status, 'WARNING');
  });

  it('STOPPED after stopAfterMs without commits, and back to OK once it commits again', () => {
    let w = windowOf([
      ['20', 5],
      ['20', 5],
    ]);
    assert.equal(evaluatePartition(w, 300_000, T).status, 'STOPPED');
    w = pushSample(w, { atMs: 310_000, committed: '25', lag: '3' }, 10);
    assert.equal(evaluatePartition(w, 310_000, T).status, 'OK');
  });

  it('a group with no committed offset yet and lag counts as not moving', () => {
    const w = windowOf([
      [null, 5],
      [null, 5],
      [null, 5],
      [null, 5],
      [null, 5],
      [null, 5],
      [null, 5],
    ]);
    assert.equal(evaluatePartition(w, lastAt(w), T).status, 'STALLED');
  });
});

describe('worstStatus', () => {
  it('orders OK < WARNING < STALLED < STOPPED', () => {
    assert.equal(worstStatus([]), 'OK');
    assert.equal(worstStatus(['OK', 'WARNING', 'OK']), 'WARNING');
    assert.equal(worstStatus(['STALLED', 'WARNING']), 'STALLED');
    assert.equal(worstStatus(['STALLED', 'STOPPED', 'OK']), 'STOPPED');
  });
});

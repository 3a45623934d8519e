// Unit tests of the promotion gate: the tolerance edges, the first-model rule against the baseline,
// invalid metrics, and the reasons a trainer logs and stores with the decision.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_FORECAST_GATE_CONFIG,
  DEFAULT_GATE_CONFIG,
  decideForecastPromotion,
  decidePromotion,
} from './gate';

const cfg = { maxAucDrop: 0.005, maxLogLossIncrease: 0.02 };
const champion = { auc: 0.8, logLoss: 0.5 };

void describe('decidePromotion (classification, against the champion)', () => {
  void it('has the documented defaults', () => {
    assert.deepEqual({ ...DEFAULT_GATE_CONFIG }, { maxAucDrop: 0.005, maxLogLossIncrease: 0.02 });
    assert.deepEqual({ ...DEFAULT_FORECAST_GATE_CONFIG }, { maxWqlIncrease: 0.02 });
    assert.equal(
      decidePromotion({ candidate: { auc: 0.7949, logLoss: 0.5 }, champion, baseline: null })
        .promote,
      false,
    );
  });

  void it('promotes a better candidate and says why', () => {
    const d = decidePromotion(
      { candidate: { auc: 0.82, logLoss: 0.45 }, champion, baseline: null },
      cfg,
    );
    assert.deepEqual(d, {
      promote: true,
      reason:
        'auc 0.82 >= 0.795 (champion 0.8 − 0.005) and log loss 0.45 <= 0.51 (champion 0.5 × 1.02)',
    });
  });

  void it('promotes exactly at the AUC tolerance and rejects just under it', () => {
    assert.equal(
      decidePromotion({ candidate: { auc: 0.795, logLoss: 0.5 }, champion, baseline: null }, cfg)
        .promote,
      true,
    );
    const d = decidePromotion(
      { candidate: { auc: 0.794999, logLoss: 0.5 }, champion, baseline: null },
      cfg,
    );
    assert.deepEqual(d, {
      promote: false,
      reason: 'worse than the champion: auc 0.794999 < 0.795 (champion 0.8 − 0.005)',
    });
  });

  void it('promotes exactly at the log-loss tolerance and rejects just over it', () => {
    assert.equal(
      decidePromotion({ candidate: { auc: 0.8, logLoss: 0.51 }, champion, baseline: null }, cfg)
        .promote,
      true,
    );
    // 0.141 × 1.02 rounds to 0.14381999999999998 in binary: 0.14382 is still exactly at the tolerance
    assert.equal(
      decidePromotion(
        {
          candidate: { auc: 0.8, logLoss: 0.14382 },
          champion: { auc: 0.8, logLoss: 0.141 },
          baseline: null,
        },
        cfg,
      ).promote,
      true,
    );
    const d = decidePromotion(
      { candidate: { auc: 0.8, logLoss: 0.510001 }, champion, baseline: null },
      cfg,
    );
    assert.deepEqual(d, {
      promote: false,
      reason: 'worse than the champion: log loss 0.510001 > 0.51 (champion 0.5 × 1.02)',
    });
  });

  void it('names both metrics when both fail', () => {
    const d = decidePromotion(
      { candidate: { auc: 0.7, logLoss: 0.9 }, champion, baseline: { auc: 0.6, logLoss: 1 } },
      cfg,
    );
    assert.equal(d.promote, false);
    assert.equal(
      d.reason,
      'worse than the champion: auc 0.7 < 0.795 (champion 0.8 − 0.005); log loss 0.9 > 0.51 (champion 0.5 × 1.02)',
    );
  });

  void it('judges against the champion only, not the baseline, when there is a champion', () => {
    const d = decidePromotion(
      { candidate: { auc: 0.799, logLoss: 0.5 }, champion, baseline: { auc: 0.9, logLoss: 0.1 } },
      cfg,
    );
    assert.equal(d.promote, true);
  });

  void it('rejects NaN, infinite and out-of-range metrics with the reason', () => {
    const cases: [{ auc: number; logLoss: number }, string][] = [
      [{ auc: NaN, logLoss: 0.4 }, 'candidate auc is NaN, not a number in [0, 1]'],
      [{ auc: 0.9, logLoss: NaN }, 'candidate log loss is NaN, not a finite number >= 0'],
      [{ auc: 1.2, logLoss: 0.4 }, 'candidate auc is 1.2, not a number in [0, 1]'],
      [{ auc: 0.9, logLoss: Infinity }, 'candidate log loss is Infinity, not a finite number >= 0'],
      [{ auc: 0.9, logLoss: -0.1 }, 'candidate log loss is -0.1, not a finite number >= 0'],
    ];
    for (const [candidate, reason] of cases)
      assert.deepEqual(decidePromotion({ candidate, champion, baseline: null }, cfg), {
        promote: false,
        reason,
      });
    assert.deepEqual(
      decidePromotion(
        {
          candidate: { auc: 0.9, logLoss: 0.1 },
          champion: { auc: NaN, logLoss: 0.5 },
          baseline: null,
        },
        cfg,
      ),
      { promote: false, reason: 'cannot compare: champion auc is NaN, not a number in [0, 1]' },
    );
  });

  void it('refuses an invalid configuration', () => {
    assert.throws(
      () =>
        decidePromotion(
          { candidate: champion, champion, baseline: null },
          { maxAucDrop: -0.01, maxLogLossIncrease: 0.02 },
        ),
      /gate config: maxAucDrop must be a finite number >= 0 \(got -0.01\)/,
    );
    assert.throws(
      () =>
        decidePromotion(
          { candidate: champion, champion, baseline: null },
          { maxAucDrop: 0.005, maxLogLossIncrease: NaN },
        ),
      /gate config: maxLogLossIncrease must be a finite number >= 0 \(got NaN\)/,
    );
  });
});

void describe('decidePromotion (first model, against the heuristic baseline)', () => {
  const baseline = { auc: 0.7, logLoss: 0.6 };

  void it('promotes a candidate with a higher AUC and a log loss not worse', () => {
    assert.deepEqual(
      decidePromotion({ candidate: { auc: 0.71, logLoss: 0.6 }, champion: null, baseline }, cfg),
      {
        promote: true,
        reason: 'first champion: auc 0.71 > baseline 0.7 and log loss 0.6 <= baseline 0.6',
      },
    );
  });

  void it('rejects an equal AUC (it must be strictly higher), with no tolerance applied', () => {
    assert.deepEqual(
      decidePromotion({ candidate: { auc: 0.7, logLoss: 0.5 }, champion: null, baseline }, cfg),
      { promote: false, reason: 'does not beat the baseline: auc 0.7 <= baseline 0.7' },
    );
    assert.deepEqual(
      decidePromotion(
        { candidate: { auc: 0.9, logLoss: 0.600001 }, champion: null, baseline },
        cfg,
      ),
      { promote: false, reason: 'does not beat the baseline: log loss 0.600001 > baseline 0.6' },
    );
  });

  void it('rejects when there is neither champion nor baseline', () => {
    assert.deepEqual(
      decidePromotion(
        { candidate: { auc: 0.99, logLoss: 0.01 }, champion: null, baseline: null },
        cfg,
      ),
      {
        promote: false,
        reason: 'no champion and no baseline: a first model must beat the heuristic baseline',
      },
    );
  });

  void it('rejects when the baseline metrics are NaN', () => {
    assert.deepEqual(
      decidePromotion(
        {
          candidate: { auc: 0.9, logLoss: 0.1 },
          champion: null,
          baseline: { auc: 0.7, logLoss: NaN },
        },
        cfg,
      ),
      {
        promote: false,
        reason: 'cannot compare: baseline log loss is NaN, not a finite number >= 0',
      },
    );
  });
});

void describe('decideForecastPromotion (mean WQL, lower is better)', () => {
  const fcfg = { maxWqlIncrease: 0.02 };

  void it('promotes exactly at the tolerance and rejects just over it', () => {
    assert.deepEqual(
      decideForecastPromotion(
        { candidate: { meanWql: 0.204 }, champion: { meanWql: 0.2 }, baseline: null },
        fcfg,
      ),
      { promote: true, reason: 'mean WQL 0.204 <= 0.204 (champion 0.2 × 1.02)' },
    );
    // 0.141 × 1.02 = 0.14381999999999998 in binary: 0.14382 is at the tolerance
    assert.equal(
      decideForecastPromotion(
        { candidate: { meanWql: 0.14382 }, champion: { meanWql: 0.141 }, baseline: null },
        fcfg,
      ).promote,
      true,
    );
    assert.deepEqual(
      decideForecastPromotion(
        { candidate: { meanWql: 0.204001 }, champion: { meanWql: 0.2 }, baseline: null },
        fcfg,
      ),
      {
        promote: false,
        reason: 'worse than the champion: mean WQL 0.204001 > 0.204 (champion 0.2 × 1.02)',
      },
    );
  });

  void it('requires the first model to beat the seasonal-naive baseline strictly', () => {
    assert.deepEqual(
      decideForecastPromotion(
        { candidate: { meanWql: 0.29 }, champion: null, baseline: { meanWql: 0.3 } },
        fcfg,
      ),
      { promote: true, reason: 'first champion: mean WQL 0.29 < seasonal-naive baseline 0.3' },
    );
    assert.deepEqual(
      decideForecastPromotion(
        { candidate: { meanWql: 0.3 }, champion: null, baseline: { meanWql: 0.3 } },
        fcfg,
      ),
      {
        promote: false,
        reason: 'does not beat the baseline: mean WQL 0.3 >= seasonal-naive baseline 0.3',
      },
    );
    assert.equal(
      decideForecastPromotion(
        { candidate: { meanWql: 0.01 }, champion: null, baseline: null },
        fcfg,
      ).promote,
      false,
    );
  });

  void it('rejects NaN and negative WQL, and refuses an invalid tolerance', () => {
    assert.deepEqual(
      decideForecastPromotion(
        { candidate: { meanWql: NaN }, champion: { meanWql: 0.2 }, baseline: null },
        fcfg,
      ),
      { promote: false, reason: 'candidate mean WQL is NaN, not a finite number >= 0' },
    );
    assert.deepEqual(
      decideForecastPromotion(
        { candidate: { meanWql: -1 }, champion: null, baseline: { meanWql: 0.3 } },
        fcfg,
      ),
      { promote: false, reason: 'candidate mean WQL is -1, not a finite number >= 0' },
    );
    assert.throws(
      () =>
        decideForecastPromotion(
          { candidate: { meanWql: 0.1 }, champion: null, baseline: null },
          { maxWqlIncrease: Infinity },
        ),
      /gate config: maxWqlIncrease must be a finite number >= 0 \(got Infinity\)/,
    );
  });
});

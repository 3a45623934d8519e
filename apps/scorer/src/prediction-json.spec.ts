import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  predictionId,
  propensityPredictionSchema,
  type PropensityPrediction,
} from '@storepulse/contracts';
import { eventJson, horizonJson, predictionJson } from './prediction-json';
import { isoOf } from './score-events';

/** The object literal score-events.ts serialised with JSON.stringify before (the reference). */
function reference(
  eventId: string,
  userId: string,
  horizon: string,
  score: number,
  model: { name: string; version: number },
  known: boolean,
  asOf: string,
  eventTs: string,
  scoredAt: string,
): string {
  const p: PropensityPrediction = {
    prediction_id: predictionId(eventId, model, horizon),
    user_id: userId,
    horizon,
    score,
    model,
    known,
    features_as_of: asOf,
    event_id: eventId,
    event_ts: eventTs,
    scored_at: scoredAt,
  };
  return JSON.stringify(p);
}

describe('predictionJson', () => {
  it('is byte for byte JSON.stringify of the prediction object, escaping included', () => {
    const asOf = '2026-12-01T11:59:00.000Z';
    const eventTs = '2026-12-01T11:58:30.123Z';
    const scoredAt = '2026-12-01T12:00:00.000Z';
    const users = [
      'u-1',
      'a "quoted" user',
      'back\\slash',
      'tab\tnew\nline',
      'ü-ñ-😀',
      '\u0001\u2028',
    ];
    const events = ['0b6f2f5e-8a5b-4f8e-9a43-3c1d2b7e9f10', 'evt"odd\\id'];
    const scores = [0, 1, 0.5, Math.fround(0.1), 1e-7, 0.30000001192092896, NaN, Infinity];
    const models = [
      { name: 'propensity_24h', version: 3 },
      { name: 'propensity_7d', version: 12 },
    ];
    let n = 0;
    for (const userId of users)
      for (const eventId of events)
        for (const score of scores)
          for (const model of models)
            for (const known of [true, false]) {
              const horizon = model.name.slice('propensity_'.length);
              const got = predictionJson(
                predictionId(eventId, model, horizon),
                eventJson(userId, eventId, eventTs, JSON.stringify(asOf), JSON.stringify(scoredAt)),
                horizonJson(horizon, model),
                score,
                known,
              );
              assert.equal(
                got,
                reference(eventId, userId, horizon, score, model, known, asOf, eventTs, scoredAt),
              );
              n++;
            }
    assert.equal(n, users.length * events.length * scores.length * models.length * 2);
  });

  it('gives a valid record of the topic schema', () => {
    const model = { name: 'propensity_24h', version: 3 };
    const id = '0b6f2f5e-8a5b-4f8e-9a43-3c1d2b7e9f10';
    const json = predictionJson(
      predictionId(id, model, '24h'),
      eventJson(
        'u-1',
        id,
        '2026-12-01T11:58:30.123Z',
        '"2026-12-01T11:59:00.000Z"',
        '"2026-12-01T12:00:00.000Z"',
      ),
      horizonJson('24h', model),
      0.25,
      true,
    );
    const p = propensityPredictionSchema.parse(JSON.parse(json));
    assert.equal(p.score, 0.25);
    assert.deepEqual(p.model, model);
  });
});

describe('isoOf', () => {
  it('passes the canonical UTC form through and formats any other from the parsed time', () => {
    for (const ts of [
      '2026-12-01T11:58:30.123Z',
      '2026-12-01T11:58:30Z',
      '2026-12-01T13:58:30.123+02:00',
      '2026-12-01T11:58:30.1Z',
      '2026-12-01T11:58:30.123456Z',
    ]) {
      const ms = Date.parse(ts);
      assert.equal(isoOf(ts, ms), new Date(ms).toISOString(), ts);
    }
  });
});

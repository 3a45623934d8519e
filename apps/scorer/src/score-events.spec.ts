import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TOPICS, predictionId, propensityPredictionSchema } from '@storepulse/contracts';
import type { FeatureMatrix, PendingRows } from '@storepulse/features';
import type { GroupProgress, InboundBatch, InboundMessage } from '@storepulse/kafka';
import type { ChampionCache, LoadedChampion } from './champions';
import { NoChampionError, PropensityScorer, modelInput } from './propensity-scorer';
import { ScoreEvents, featuresAsOf } from './score-events';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

function click(user: string, ts: number, id: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      event_id: id,
      type: 'page_view',
      user_id: user,
      session_id: 's-1',
      ts: new Date(ts).toISOString(),
    }),
  );
}

function batch(values: (Buffer | null)[], firstOffset = 10): InboundBatch {
  const messages: InboundMessage[] = values.map((value, i) => ({
    topic: TOPICS.clickstream,
    partition: 2,
    offset: String(firstOffset + i),
    key: null,
    value,
    headers: {},
    timestampMs: NOW,
  }));
  return { topic: TOPICS.clickstream, partition: 2, messages, heartbeat: () => Promise.resolve() };
}

/** A scorer whose "model" scores a user by its first feature, with fake features and champions. */
function fakeScorer(champions: Map<string, { name: string; version: number }>) {
  const lookups: { ids: readonly string[]; atMs: number | undefined }[] = [];
  const features = {
    lookupUsersWith: (): Promise<FeatureMatrix> =>
      Promise.reject(new Error('no pending rows without a tier')),
    lookupMatrix: (_e: 'user', ids: readonly string[], atMs?: number): Promise<FeatureMatrix> => {
      lookups.push({ ids, atMs });
      return Promise.resolve({
        entity: 'user',
        atMs: atMs ?? NOW,
        at: new Date(atMs ?? NOW).toISOString(),
        features: ['f0'],
        ids,
        found: Uint8Array.from(ids.map((id) => (id === 'u-new' ? 0 : 1))),
        values: Float64Array.from(ids.map((_, i) => (i + 1) / 10)),
      });
    },
  };
  const cache = {
    models: new Map([
      ['24h', 'propensity_24h'],
      ['7d', 'propensity_7d'],
    ]),
    get: (h: string) => {
      const c = champions.get(h);
      return c ? ({ ...c, horizon: h } as unknown as LoadedChampion) : undefined;
    },
    all: () => [...champions.values()] as unknown as LoadedChampion[],
  } as unknown as ChampionCache;
  // the TF model is replaced by a pass-through of the feature column (scoring logic is tested, not TF)
  const scorer = new PropensityScorer(null as never, features, cache);
  const score: PropensityScorer['score'] = async (ids, atMs, horizons, opts) => {
    const m = await features.lookupMatrix('user', ids, atMs);
    const hs = (horizons ?? [...cache.models.keys()]).filter((h) => cache.get(h));
    return {
      ids: m.ids,
      known: m.found,
      atMs: m.atMs,
      horizons: hs.map((h) => {
        const c = cache.get(h)!;
        const scores = Float32Array.from(m.values);
        if (opts?.record) scorer.live.add(c.name, c.version, h, scores);
        return { horizon: h, model: { name: c.name, version: c.version }, scores };
      }),
    };
  };
  scorer.scoreGroups = async (groups, horizons, opts) => {
    const out = [];
    for (const g of groups) out.push(await score(g.ids, g.atMs, horizons, opts));
    return out;
  };
  return { scorer, lookups };
}

function upstream(): GroupProgress & { waits: string[] } {
  const waits: string[] = [];
  return {
    waits,
    waitCommitted: (topic, partition, offset) => {
      waits.push(`${topic}[${partition}]@${offset}`);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

const OPTS = {
  aggregatorGroupId: 'agg',
  featuresWaitMs: 1000,
  debounceMs: 0,
  maxEventAgeMs: 3_600_000,
  maxPendingEvents: 0,
};

describe('ScoreEvents', () => {
  it('one prediction per valid event and horizon, after the aggregator stored the batch', async () => {
    const champs = new Map([
      ['24h', { name: 'propensity_24h', version: 3 }],
      ['7d', { name: 'propensity_7d', version: 1 }],
    ]);
    const { scorer, lookups } = fakeScorer(champs);
    const up = upstream();
    const se = new ScoreEvents(scorer, up, OPTS, () => NOW);
    const ts = NOW - 90_000; // 11:58:30
    const ids = ['0b6f2f5e-8a5b-4f8e-9a43-3c1d2b7e9f10', '1c7f3a6e-9b6c-4a9f-8b54-4d2e3c8f0a21'];
    const out = await se.handle(
      batch([click('u-1', ts, ids[0]), Buffer.from('{not json'), click('u-new', ts + 1, ids[1])]),
    );
    assert.deepEqual(up.waits, [`${TOPICS.clickstream}[2]@13`], 'waits for offset last + 1');
    assert.equal(out.length, 4);
    assert.deepEqual(lookups, [{ ids: ['u-1', 'u-new'], atMs: Date.UTC(2026, 11, 1, 11, 59) }]);
    const preds = out.map((r) => {
      assert.equal(r.topic, TOPICS.propensityPredictions);
      const p = propensityPredictionSchema.parse(JSON.parse(String(r.value)));
      assert.equal(r.key, p.user_id);
      return p;
    });
    const first = preds.find((p) => p.event_id === ids[0] && p.horizon === '24h')!;
    assert.equal(
      first.prediction_id,
      predictionId(ids[0], { name: 'propensity_24h', version: 3 }, '24h'),
    );
    assert.equal(first.score, Math.fround(0.1));
    assert.equal(first.features_as_of, '2026-12-01T11:59:00.000Z');
    assert.equal(first.known, true);
    assert.equal(preds.find((p) => p.user_id === 'u-new')?.known, false);
    assert.equal(se.counters.dropped, 1);
    assert.equal(se.counters.predictions, 4);
    assert.equal(scorer.live.list().find((m) => m.name === 'propensity_7d')?.scored, 2);
  });

  it('with the online tier: scores at once, the batch and the earlier unstored events folded in', async () => {
    const { scorer } = fakeScorer(new Map([['24h', { name: 'propensity_24h', version: 1 }]]));
    const seen: { ids: readonly string[]; pending?: PendingRows }[] = [];
    const inner = scorer.scoreGroups.bind(scorer);
    scorer.scoreGroups = (groups, h, o) => {
      for (const g of groups)
        seen.push({ ids: g.ids, ...(g.pending ? { pending: g.pending } : {}) });
      return inner(groups, h, o);
    };
    const applied = new Set<number>();
    const tier = {
      covers: () => true,
      isApplied: (_t: string, _p: number, o: number) => applied.has(o),
    };
    const up = upstream();
    const opts = {
      ...OPTS,
      maxPendingEvents: 100,
      eventTime: { allowedLatenessMs: 86_400_000, maxFutureMs: 60_000 },
    };
    const se = new ScoreEvents(scorer, up, opts, () => NOW, tier);
    const id = (n: number) => `${n}b7f3a6e-9b6c-4a9f-8b54-4d2e3c8f0a21`;
    const times = (p: PendingRows | undefined, u: string) =>
      p?.get(u)?.clicks.map((c) => c.tsMs - NOW);
    const out1 = await se.handle(
      batch([click('u-1', NOW - 5_000, id(1)), click('u-2', NOW - 4_000, id(2))], 10),
    );
    assert.equal(out1.length, 2);
    // once per tail: what precedes offset 10 must be stored; never the batch itself
    assert.deepEqual(up.waits, [`${TOPICS.clickstream}[2]@10`]);
    assert.deepEqual(times(seen[0]?.pending, 'u-1'), [-5_000]);
    assert.deepEqual(times(seen[0]?.pending, 'u-2'), [-4_000]);
    applied.add(10); // the aggregator stored offset 10
    await se.handle(
      batch(
        [
          click('u-1', NOW - 1_000, id(3)),
          Buffer.from('{"broken"'),
          // more than FEATURES_MAX_FUTURE_MS ahead: the aggregator dead-letters it, no features
          click('u-1', NOW + 3_600_000, id(4)),
        ],
        12,
      ),
    );
    assert.deepEqual(up.waits, [`${TOPICS.clickstream}[2]@10`], 'no wait for the aggregator');
    const p2 = seen.find((g) => g.ids.includes('u-1') && g !== seen[0])?.pending;
    assert.deepEqual(times(p2, 'u-1'), [-1_000]);
    assert.equal(p2?.has('u-2'), false, 'only the batch users');
    assert.equal(se.pendingEvents, 2, 'offsets 11 and 12 are not stored yet');
    assert.deepEqual(
      [se.counters.batchesFolded, se.counters.batchesWaited, se.counters.tailWaits],
      [2, 0, 1],
    );
  });

  it('above SCORER_MAX_PENDING_EVENTS a batch waits for the aggregator (backpressure)', async () => {
    const { scorer } = fakeScorer(new Map([['24h', { name: 'propensity_24h', version: 1 }]]));
    const up = upstream();
    const tier = { covers: () => true, isApplied: () => false };
    const se = new ScoreEvents(scorer, up, { ...OPTS, maxPendingEvents: 2 }, () => NOW, tier);
    const id = (n: number) => `${n}c7f3a6e-9b6c-4a9f-8b54-4d2e3c8f0a21`;
    await se.handle(batch([click('u-1', NOW - 5_000, id(1)), click('u-2', NOW, id(2))], 0));
    await se.handle(batch([click('u-1', NOW, id(3))], 2));
    assert.deepEqual(up.waits, [`${TOPICS.clickstream}[2]@0`, `${TOPICS.clickstream}[2]@3`]);
    assert.equal(se.pendingEvents, 0, 'everything before offset 3 is stored');
    // not covered by the tier (warming up, or an old time): wait too
    const cold = new ScoreEvents(scorer, up, { ...OPTS, maxPendingEvents: 100 }, () => NOW, {
      covers: () => false,
      isApplied: () => false,
    });
    await cold.handle(batch([click('u-1', NOW, id(4))], 7));
    assert.equal(up.waits.at(-1), `${TOPICS.clickstream}[2]@8`);
    assert.equal(cold.counters.batchesWaited, 1);
  });

  it('features are as of the end of the event minute', () => {
    assert.equal(featuresAsOf(Date.UTC(2026, 0, 1, 10, 0, 0)), Date.UTC(2026, 0, 1, 10, 1, 0));
    assert.equal(
      featuresAsOf(Date.UTC(2026, 0, 1, 10, 0, 59, 999)),
      Date.UTC(2026, 0, 1, 10, 1, 0),
    );
  });

  it('skips events older than the max age and debounces per user when configured', async () => {
    const { scorer } = fakeScorer(new Map([['24h', { name: 'propensity_24h', version: 1 }]]));
    const se = new ScoreEvents(scorer, upstream(), { ...OPTS, debounceMs: 60_000 }, () => NOW);
    const a = '2b7f3a6e-9b6c-4a9f-8b54-4d2e3c8f0a21';
    const b = '3b7f3a6e-9b6c-4a9f-8b54-4d2e3c8f0a21';
    const c = '4b7f3a6e-9b6c-4a9f-8b54-4d2e3c8f0a21';
    const out = await se.handle(
      batch([
        click('u-1', NOW - 2 * 3_600_000, a),
        click('u-2', NOW - 5_000, b),
        click('u-2', NOW - 1_000, c),
      ]),
    );
    assert.equal(se.counters.tooOld, 1);
    assert.equal(se.counters.debounced, 1);
    assert.deepEqual(
      out.map((r) => (JSON.parse(String(r.value)) as { event_id: string }).event_id),
      [b],
    );
  });

  it('without any champion the batch fails transiently (retried, nothing committed)', async () => {
    const { scorer } = fakeScorer(new Map());
    const se = new ScoreEvents(scorer, upstream(), OPTS, () => NOW);
    await assert.rejects(
      se.handle(batch([click('u-1', NOW, '5b7f3a6e-9b6c-4a9f-8b54-4d2e3c8f0a21')])),
      (e: unknown) =>
        e instanceof NoChampionError && /propensity_24h, propensity_7d/.test(e.message),
    );
  });

  it('model input follows the model feature names; absent features are NaN', () => {
    const m: FeatureMatrix = {
      entity: 'user',
      atMs: 0,
      at: '',
      features: ['a', 'b', 'c'],
      ids: ['x', 'y'],
      found: Uint8Array.of(1, 1),
      values: Float64Array.of(1, 2, 3, 4, 5, 6),
    };
    const x = modelInput(m, ['c', 'zz', 'a']);
    assert.deepEqual(
      [...x].map((v) => (Number.isNaN(v) ? 'NaN' : v)),
      [3, 'NaN', 1, 6, 'NaN', 4],
    );
  });
});

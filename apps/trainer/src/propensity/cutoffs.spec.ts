import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DAY_MS,
  HOUR_MS,
  NotEnoughHistoryError,
  hasOrderIn,
  keepNegative,
  planCutoffs,
  sampleUsers,
} from './cutoffs';
import { TrainingSetBuilder, type PointInTimeFeatures } from './training-set';
import type { PropensityHistory } from '@storepulse/features';

const T0 = Date.UTC(2026, 10, 1);

describe('propensity labels: the edges of [t, t + H)', () => {
  const t = T0 + 5 * DAY_MS;
  const H = 7 * DAY_MS;
  it('an order at t − 1 ms is not a label (it is a feature), at t it is, at t + H it is not', () => {
    assert.equal(hasOrderIn([t - 1], t, H), false);
    assert.equal(hasOrderIn([t], t, H), true);
    assert.equal(hasOrderIn([t + H - 1], t, H), true);
    assert.equal(hasOrderIn([t + H], t, H), false);
    assert.equal(hasOrderIn([t - 1, t + H], t, H), false);
    assert.equal(hasOrderIn([], t, H), false);
  });
  it('finds an order among many (binary search over ascending times)', () => {
    const times = Array.from({ length: 1000 }, (_, i) => T0 + i * 10 * DAY_MS);
    assert.equal(hasOrderIn(times, T0 + 995 * 10 * DAY_MS - 3, 4), true);
    assert.equal(hasOrderIn(times, T0 + 995 * 10 * DAY_MS + 1, 9 * DAY_MS), false);
  });
});

describe('propensity cut-offs: time split with purging', () => {
  it('test is the latest complete cut-off; validation and training labels end before the next split starts', () => {
    const H = 7 * DAY_MS;
    const p = planCutoffs({
      dataStartMs: T0 + 17 * 60_000,
      watermarkMs: T0 + 28 * DAY_MS - 1,
      horizonMs: H,
      everyMs: 6 * HOUR_MS,
      windowMs: 28 * DAY_MS,
    });
    assert.deepEqual(p.test, [T0 + 20 * DAY_MS + 18 * HOUR_MS]);
    assert.ok(p.test[0] + H <= T0 + 28 * DAY_MS - 1);
    assert.deepEqual(p.validation, [T0 + 13 * DAY_MS + 18 * HOUR_MS]);
    assert.ok(p.validation[0] + H <= p.test[0]);
    assert.equal(p.train.at(-1), T0 + 6 * DAY_MS + 18 * HOUR_MS);
    assert.ok(p.train.at(-1)! + H <= p.validation[0]);
    // first cut-off: one day of history, on the 6-hour grid
    assert.equal(p.train[0], T0 + 1 * DAY_MS + 6 * HOUR_MS);
    for (const t of [...p.train, ...p.validation, ...p.test]) assert.equal(t % HOUR_MS, 0);
    assert.equal(p.train.length, 23);
  });

  it('purge by users: training runs up to the cut-off before validation; test stays purged by time', () => {
    const H = 7 * DAY_MS;
    const base = {
      dataStartMs: T0 + 17 * 60_000,
      watermarkMs: T0 + 28 * DAY_MS - 1,
      horizonMs: H,
      everyMs: 6 * HOUR_MS,
      windowMs: 28 * DAY_MS,
    };
    const byTime = planCutoffs(base);
    const p = planCutoffs({ ...base, purge: 'users' });
    assert.equal(byTime.userPurgeAfterMs, Infinity);
    assert.deepEqual([p.validation, p.test], [byTime.validation, byTime.test]);
    assert.equal(p.train.at(-1), p.validation[0] - 6 * HOUR_MS);
    // every training label still ends by the test cut-off
    assert.ok(p.train.every((t) => t + H <= p.test[0]));
    // the cut-offs after validation − H overlap the validation labels: those leave its users out
    assert.equal(p.userPurgeAfterMs, p.validation[0] - H);
    assert.equal(p.train.filter((t) => t > p.userPurgeAfterMs).length, 27);
    assert.equal(p.train.length, 23 + 27);
  });

  it('the sliding window drops the oldest training cut-offs', () => {
    const p = planCutoffs({
      dataStartMs: T0,
      watermarkMs: T0 + 60 * DAY_MS,
      horizonMs: DAY_MS,
      everyMs: DAY_MS,
      windowMs: 10 * DAY_MS,
    });
    assert.deepEqual(p.test, [T0 + 59 * DAY_MS]);
    assert.deepEqual(p.validation, [T0 + 58 * DAY_MS]);
    assert.equal(p.train[0], T0 + 49 * DAY_MS);
    assert.equal(p.train.at(-1), T0 + 57 * DAY_MS);
  });

  it('too little history is a precise error, not an empty set', () => {
    assert.throws(
      () =>
        planCutoffs({
          dataStartMs: T0,
          watermarkMs: T0 + 10 * DAY_MS,
          horizonMs: 7 * DAY_MS,
          everyMs: DAY_MS,
          windowMs: 28 * DAY_MS,
        }),
      (e: unknown) =>
        e instanceof NotEnoughHistoryError &&
        /too little history for a time split with horizon 7d: .* need at least 23d of history/.test(
          e.message,
        ),
    );
    assert.throws(
      () =>
        planCutoffs({
          dataStartMs: T0,
          watermarkMs: T0 + 2 * HOUR_MS,
          horizonMs: DAY_MS,
          everyMs: HOUR_MS,
          windowMs: DAY_MS,
        }),
      /no complete label/,
    );
  });
});

describe('propensity sampling', () => {
  it('samples users deterministically, independent of input order, within the cap', () => {
    const users = Array.from({ length: 500 }, (_, i) => `u-${i}`);
    const a = sampleUsers(users, T0, 100);
    const b = sampleUsers([...users].reverse(), T0, 100);
    assert.equal(a.length, 100);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, sampleUsers(users, T0 + 7 * DAY_MS, 100));
    assert.deepEqual(sampleUsers(users.slice(0, 10), T0, 100), users.slice(0, 10).sort());
  });
  it('keeps about `rate` of the negatives', () => {
    let kept = 0;
    for (let i = 0; i < 20_000; i++) if (keepNegative(`u-${i}`, T0, 0.25)) kept++;
    assert.ok(Math.abs(kept / 20_000 - 0.25) < 0.015, `kept ${kept}`);
    assert.equal(keepNegative('u-1', T0, 1), true);
  });
});

describe('TrainingSetBuilder (fake history and features)', () => {
  const H = DAY_MS;
  const history: PropensityHistory = {
    bounds: () => Promise.resolve({ startMs: T0, watermarkMs: T0 + 10 * DAY_MS }),
    firstSeen: () =>
      Promise.resolve(
        new Map([
          ['u-early', T0],
          ['u-late', T0 + 8 * DAY_MS + 1],
        ]),
      ),
    // u-early orders exactly at the test cut-off (T0 + 9 d) and 1 ms before the validation one
    orderTimes: () =>
      Promise.resolve(new Map([['u-early', [T0 + 8 * DAY_MS - 1, T0 + 9 * DAY_MS]]])),
  };
  const asked: { id: string; atMs: number }[] = [];
  const features: PointInTimeFeatures = {
    asOf: (_e, spine) => {
      asked.push(...spine);
      return Promise.resolve(
        spine.map((s) => ({
          id: s.id,
          atMs: s.atMs,
          features: { a: (s.atMs - T0) / DAY_MS, b: s.id === 'u-early' ? null : 1 },
        })),
      );
    },
  };
  it('labels, users active before t, features as of t (null → NaN), in time order', async () => {
    const sets = await new TrainingSetBuilder(history, features).build({
      horizonMs: H,
      everyMs: DAY_MS,
      windowMs: 30 * DAY_MS,
      usersPerCutoff: 10,
      negativeKeepRate: 1,
      featureNames: ['a', 'b'],
    });
    assert.deepEqual(sets.plan.test, [T0 + 9 * DAY_MS]);
    assert.deepEqual(sets.plan.validation, [T0 + 8 * DAY_MS]);
    assert.deepEqual([...sets.test.y], [1, 0]); // u-early at t, u-late: none
    assert.deepEqual(sets.test.ids, ['u-early', 'u-late']);
    assert.deepEqual([...sets.validation.y], [0]); // the order at t − 1 ms is not a label; u-late not yet active
    assert.equal(sets.train.n, 7); // cut-offs day 1..7, only u-early
    assert.ok([...sets.train.y].every((v) => v === 0 || v === 1));
    assert.equal(sets.train.x[0], 1);
    assert.ok(Number.isNaN(sets.train.x[1]));
    assert.ok(asked.every((s) => s.atMs % HOUR_MS === 0));
  });
  it('subsampled negatives carry weight 1 / rate, held-out sets keep every row', async () => {
    const sets = await new TrainingSetBuilder(history, features).build({
      horizonMs: H,
      everyMs: DAY_MS,
      windowMs: 30 * DAY_MS,
      usersPerCutoff: 10,
      negativeKeepRate: 0.5,
      featureNames: ['a'],
    });
    assert.ok(sets.train.n < 7);
    // the cut-off of day 7 is a positive (the order at day 8 − 1 ms): kept, weight 1
    sets.train.y.forEach((y, i) => assert.equal(sets.train.weight[i], y === 1 ? 1 : 2));
    assert.equal(sets.train.y.at(-1), 1);
    assert.deepEqual([...sets.test.weight], [1, 1]);
  });
  it('purge by users: training rows overlapping the validation labels are not of validation users', async () => {
    // three users active from the start; one validation user (cap 1), training up to day 7
    const three: PropensityHistory = {
      ...history,
      firstSeen: () =>
        Promise.resolve(
          new Map([
            ['u-a', T0],
            ['u-b', T0],
            ['u-c', T0],
          ]),
        ),
      orderTimes: () => Promise.resolve(new Map()),
    };
    const build = (purge: 'time' | 'users') =>
      new TrainingSetBuilder(three, features).build({
        horizonMs: 2 * DAY_MS,
        everyMs: DAY_MS,
        windowMs: 30 * DAY_MS,
        usersPerCutoff: 1,
        negativeKeepRate: 1,
        featureNames: ['a'],
        purge,
      });
    const byTime = await build('time');
    const sets = await build('users');
    assert.deepEqual(sets.plan.validation, [T0 + 6 * DAY_MS]);
    assert.deepEqual(byTime.plan.train.at(-1), T0 + 4 * DAY_MS);
    assert.deepEqual(sets.plan.train.at(-1), T0 + 5 * DAY_MS);
    const [validationUser] = sets.validation.ids;
    sets.train.ids.forEach((id, i) => {
      const t = sets.train.cutoffs[i] ?? 0;
      // t + H > validation: a label window that overlaps validation's
      if (t > T0 + 4 * DAY_MS)
        assert.notEqual(id, validationUser, `row at day ${(t - T0) / DAY_MS}`);
    });
    // rows before the overlap are sampled as with purge by time
    const early = (s: typeof sets) =>
      s.train.ids.filter((_, i) => (s.train.cutoffs[i] ?? 0) <= T0 + 4 * DAY_MS);
    assert.deepEqual(early(sets), early(byTime));
    assert.equal(sets.train.n, byTime.train.n + 1);
  });

  it('testUsersPerCutoff samples the test cut-off alone; the smaller sample is a subset', async () => {
    const build = (usersPerCutoff: number, testUsersPerCutoff?: number) =>
      new TrainingSetBuilder(history, features).build({
        horizonMs: H,
        everyMs: DAY_MS,
        windowMs: 30 * DAY_MS,
        usersPerCutoff,
        ...(testUsersPerCutoff === undefined ? {} : { testUsersPerCutoff }),
        negativeKeepRate: 1,
        featureNames: ['a'],
      });
    const one = await build(1);
    const wide = await build(1, 10);
    assert.equal(one.test.n, 1);
    assert.deepEqual(wide.test.ids, ['u-early', 'u-late']);
    assert.ok(wide.test.ids.includes(one.test.ids[0] ?? ''));
    assert.deepEqual([...wide.train.y], [...one.train.y]);
    assert.deepEqual(wide.validation.ids, one.validation.ids);
  });
});

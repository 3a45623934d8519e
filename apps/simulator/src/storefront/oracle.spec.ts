/**
 * Tests of the propensity oracle against the simulator itself: calibration by decile and AUC on a
 * simulated storefront, the session rate and pick probabilities it derives, determinism, input errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TOPICS } from '@storepulse/contracts';
import {
  PropensityOracle,
  Storefront,
  sessionSignature,
  type SessionSignature,
  type StorefrontOptions,
} from './index';
import { Prng } from './prng';
import { Users, userId } from './users';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 2026-11-23 00:00 UTC. */
const START = Date.UTC(2026, 10, 23);
const USERS = 2000;
/** Seed 7 has popular SKUs that run out of stock in the first days: the stock model matters. */
const opts: StorefrontOptions = {
  seed: 7,
  users: USERS,
  skus: 300,
  invalidRate: 0,
  startMs: START,
  eventsPerSec: 0.5,
};
const CUT = START + 2 * DAY;
const ids = Array.from({ length: USERS }, (_, i) => userId(i));

/** Users with an order_placed in [CUT, CUT + horizon), for the two horizons (one simulation). */
let outcomeCache: { day: Set<string>; week: Set<string> } | undefined;
function outcomes(): { day: Set<string>; week: Set<string> } {
  if (!outcomeCache) {
    const sf = new Storefront(opts);
    sf.skipTo(CUT - 1);
    const day = new Set<string>();
    const week = new Set<string>();
    for (;;) {
      const batch = sf.next(50_000, CUT + 7 * DAY - 1);
      if (batch.length === 0) break;
      for (const m of batch) {
        if (m.topic !== TOPICS.orders || m.timestampMs < CUT) continue;
        const o = JSON.parse(m.value.toString('utf8')) as { type: string; user_id: string };
        if (o.type !== 'order_placed') continue;
        week.add(o.user_id);
        if (m.timestampMs < CUT + DAY) day.add(o.user_id);
      }
    }
    outcomeCache = { day, week };
  }
  return outcomeCache;
}

let oracleCache: PropensityOracle | undefined;
const oracle = (): PropensityOracle => (oracleCache ??= new PropensityOracle(opts));

/** Mann-Whitney AUC with average ranks for ties. */
function auc(p: Float64Array, y: readonly number[]): number {
  const order = Array.from(p.keys()).sort((a, b) => (p[a] ?? 0) - (p[b] ?? 0));
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && p[order[j + 1] ?? 0] === p[order[i] ?? 0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k] ?? 0] === 1) {
        rankSum += rank;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = order.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

interface Calibration {
  /** (observed − expected) / binomial sd, overall and per decile of oracle probability. */
  zAll: number;
  zDeciles: number[];
  expected: number;
  observed: number;
}

function calibration(p: Float64Array, y: readonly number[]): Calibration {
  const order = Array.from(p.keys()).sort((a, b) => (p[a] ?? 0) - (p[b] ?? 0));
  const z = (idx: readonly number[]): [number, number, number] => {
    let e = 0;
    let o = 0;
    let v = 0;
    for (const i of idx) {
      const q = p[i] ?? 0;
      e += q;
      v += q * (1 - q);
      o += y[i] ?? 0;
    }
    return [(o - e) / Math.sqrt(Math.max(v, 1e-9)), e, o];
  };
  const size = order.length / 10;
  const zDeciles = Array.from(
    { length: 10 },
    (_, d) => z(order.slice(d * size, (d + 1) * size))[0],
  );
  const [zAll, expected, observed] = z(order);
  return { zAll, zDeciles, expected, observed };
}

void describe('propensity oracle: calibration against the simulator', () => {
  for (const [name, horizon, minAuc] of [
    ['24 h', DAY, 0.8],
    ['7 d', 7 * DAY, 0.78],
  ] as const) {
    void it(`${name}: observed buyer rate matches the oracle per decile; AUC is high`, () => {
      const { day, week } = outcomes();
      const bought = horizon === DAY ? day : week;
      const y = ids.map((id) => (bought.has(id) ? 1 : 0));
      const p = oracle().probabilities(ids, CUT, horizon);
      const cal = calibration(p, y);
      const a = auc(p, y);
      console.log(
        `oracle ${name}: AUC ${a.toFixed(4)}, buyers expected ${cal.expected.toFixed(1)} observed ` +
          `${cal.observed}, z per decile ${cal.zDeciles.map((x) => x.toFixed(1)).join(' ')}`,
      );
      assert.ok(cal.observed > 100, `only ${cal.observed} buyers: the sample is too small`);
      assert.ok(Math.abs(cal.zAll) < 3, `overall z = ${cal.zAll.toFixed(2)}`);
      cal.zDeciles.forEach((z, d) =>
        assert.ok(Math.abs(z) < 3, `decile ${d}: z = ${z.toFixed(2)}`),
      );
      assert.ok(a > minAuc, `AUC ${a.toFixed(4)} <= ${minAuc}`);
    });
  }

  void it('the test has power: without the stock model the oracle over-predicts this run', () => {
    const y = ids.map((id) => (outcomes().week.has(id) ? 1 : 0));
    const p = new PropensityOracle(opts, {
      stockModel: false,
      monteCarloSessions: 500,
    }).probabilities(ids, CUT, 7 * DAY);
    const cal = calibration(p, y);
    assert.ok(cal.zAll < -3, `z = ${cal.zAll.toFixed(2)} (expected ${cal.expected.toFixed(1)})`);
  });
});

void describe('propensity oracle: arrival process', () => {
  void it('the users’ session rates add up to the sessions the storefront starts', () => {
    const flat: StorefrontOptions = { ...opts, seed: 3, eventsPerSec: 2, seasonality: false };
    const sf = new Storefront(flat);
    const from = START + 2 * HOUR;
    const to = from + 12 * HOUR;
    sf.skipTo(from - 1);
    const seen = new Set<string>();
    let started = 0;
    for (;;) {
      const batch = sf.next(50_000, to + HOUR);
      if (batch.length === 0) break;
      for (const m of batch) {
        if (m.topic !== TOPICS.clickstream) continue;
        const s = (JSON.parse(m.value.toString('utf8')) as { session_id: string }).session_id;
        if (seen.has(s)) continue;
        seen.add(s);
        // A session's first message is its landing, at the arrival time.
        if (m.timestampMs >= from && m.timestampMs < to) started++;
      }
    }
    const or = new PropensityOracle(flat);
    let perHour = 0;
    for (let i = 0; i < flat.users; i++) perHour += or.latent(userId(i))?.sessionRatePerHour ?? 0;
    const expected = perHour * 12;
    // Poisson count: 4 sd.
    assert.ok(
      Math.abs(started - expected) < 4 * Math.sqrt(expected),
      `started ${started}, expected ${expected.toFixed(1)}`,
    );
  });

  void it('pickProbability is the exact frequency of Users.pick (rank transform and scramble)', () => {
    const users = new Users(5, 37);
    const n = 400_000;
    const counts = new Float64Array(37);
    const rng = new Prng(99);
    for (let k = 0; k < n; k++) {
      const i = users.pick(rng).index;
      counts[i] = (counts[i] ?? 0) + 1;
    }
    let total = 0;
    for (let i = 0; i < 37; i++) {
      const q = users.pickProbability(i);
      total += q;
      const sd = Math.sqrt(n * q * (1 - q));
      assert.ok(
        Math.abs((counts[i] ?? 0) - n * q) < 4.5 * sd,
        `user ${i}: ${counts[i]} vs ${n * q}`,
      );
    }
    assert.ok(Math.abs(total - 1) < 1e-12, `sum ${total}`);
    const ranks = Array.from({ length: 37 }, (_, i) => users.rankOf(i));
    assert.deepEqual(
      [...ranks].sort((a, b) => a - b),
      Array.from({ length: 37 }, (_, r) => r),
    );
    const top = ranks.indexOf(0);
    assert.equal(Math.max(...counts), counts[top], 'rank 0 is the most picked user');
    assert.throws(() => users.rankOf(37), /user index 37 is outside \[0, 37\)/);
  });
});

void describe('propensity oracle: latent attributes and queries', () => {
  void it('latent is deterministic for a seed; unknown users are null', () => {
    const a = new PropensityOracle(opts);
    const b = new PropensityOracle(opts);
    const c = new PropensityOracle({ ...opts, seed: 8 });
    const la = ids.slice(0, 50).map((id) => a.latent(id));
    assert.deepEqual(
      la,
      ids.slice(0, 50).map((id) => b.latent(id)),
    );
    const lc = ids.slice(0, 50).map((id) => c.latent(id));
    assert.ok(
      la.filter((x, i) => x?.intent !== lc[i]?.intent).length > 10,
      'another seed gives other intents',
    );
    const u = la[0];
    assert.ok(u);
    assert.equal(u.userId, 'u-000001');
    assert.equal(u.index, 0);
    assert.ok(u.sessionRatePerHour > 0 && u.purchaseProbPerSession > 0);
    assert.ok(u.purchaseProbPerSession < 1);
    for (const bad of ['u-000000', userId(USERS), 'u-1', 'u-0000001', 'x', '']) {
      assert.equal(a.latent(bad), null, bad);
    }
  });

  void it('loyal users convert far more per session than browsers', () => {
    const all = ids.map((id) => oracle().latent(id));
    const mean = (intent: string): number => {
      const xs = all.filter((x) => x?.intent === intent).map((x) => x?.purchaseProbPerSession ?? 0);
      return xs.reduce((s, x) => s + x, 0) / xs.length;
    };
    assert.ok(mean('loyal') > 5 * mean('browser'), `${mean('loyal')} vs ${mean('browser')}`);
  });

  void it('probabilities are monotone in the horizon, 0 on an empty window', () => {
    const or = oracle();
    const horizons = [0, HOUR, 6 * HOUR, DAY, 3 * DAY, 7 * DAY];
    const ps = horizons.map((h) => or.probabilities(ids, CUT, h));
    assert.ok(ps[0]?.every((x) => x === 0));
    for (let k = 1; k < ps.length; k++) {
      const prev = ps[k - 1] ?? new Float64Array(0);
      const cur = ps[k] ?? new Float64Array(0);
      for (let i = 0; i < USERS; i++) {
        assert.ok((cur[i] ?? 0) >= (prev[i] ?? 0), `user ${i}, horizon ${horizons[k]}`);
      }
      assert.ok((cur[0] ?? 0) > (prev[0] ?? 0) || (prev[0] ?? 0) > 0.999);
    }
    // Before the first emitted event nothing can be ordered.
    assert.ok(or.probabilities(ids, START - 2 * DAY, DAY).every((x) => x === 0));
    assert.equal(or.probability(ids[5] ?? '', CUT, DAY), or.probabilities(ids, CUT, DAY)[5]);
  });

  void it('counts valid order messages only: invalidRate thins the order process', () => {
    const some = ids.slice(0, 300);
    const at = START + 6 * HOUR;
    const clean = oracle().probabilities(some, at, 6 * HOUR);
    const noisy = new PropensityOracle({ ...opts, invalidRate: 0.3 }).probabilities(
      some,
      at,
      6 * HOUR,
    );
    for (let i = 0; i < some.length; i++) {
      const expected = 0.7 * -Math.log1p(-(clean[i] ?? 0));
      assert.ok(
        Math.abs(-Math.log1p(-(noisy[i] ?? 0)) - expected) < 1e-9 * (1 + expected),
        some[i],
      );
    }
  });

  void it('rejects unknown users and bad windows precisely', () => {
    const or = oracle();
    assert.throws(
      () => or.probabilities(['u-000001', 'u-999999'], CUT, DAY),
      /unknown user id "u-999999" \(population u-000001\.\.u-002000\)/,
    );
    assert.throws(() => or.probability('u-000001', CUT, -1), /horizonMs must be/);
    assert.throws(() => or.probability('u-000001', Number.NaN, DAY), /tMs must be/);
    assert.throws(() => new PropensityOracle(opts, { monteCarloSessions: 0 }), /monteCarlo/);
    assert.throws(() => new PropensityOracle({ ...opts, invalidRate: 2 }), /invalidRate must be/);
  });
});

/** Per user, the signatures of the sessions with their first event in [START, CUT). */
let sessionCache: Map<string, SessionSignature[]> | undefined;
function signaturesBeforeCut(): Map<string, SessionSignature[]> {
  if (!sessionCache) {
    const sf = new Storefront(opts);
    const seen = new Map<string, Map<string, { type: string; at: number }[]>>();
    for (;;) {
      const batch = sf.next(50_000, CUT - 1);
      if (batch.length === 0) break;
      for (const m of batch) {
        if (m.topic !== TOPICS.clickstream || m.timestampMs >= CUT) continue;
        const c = JSON.parse(m.value.toString('utf8')) as {
          user_id: string;
          session_id: string;
          type: string;
        };
        let s = seen.get(c.user_id);
        if (!s) seen.set(c.user_id, (s = new Map<string, { type: string; at: number }[]>()));
        const events = s.get(c.session_id) ?? [];
        events.push({ type: c.type, at: m.timestampMs });
        s.set(c.session_id, events);
      }
    }
    sessionCache = new Map(
      [...seen].map(([u, s]) => [u, [...s.values()].map((e) => sessionSignature(e))]),
    );
  }
  return sessionCache;
}
function sessionsBeforeCut(): Map<string, number> {
  return new Map([...signaturesBeforeCut()].map(([u, s]) => [u, s.length]));
}

void describe('propensity oracle: the observable ceiling (session count known, rank not)', () => {
  void it('is calibrated on the simulation and ranks between the session count alone and the oracle', () => {
    const counts = sessionsBeforeCut();
    const seen = ids.filter((id) => (counts.get(id) ?? 0) > 0);
    assert.ok(seen.length > 500, `only ${seen.length} users seen before the cut`);
    const week = outcomes().week;
    const y = seen.map((id) => (week.has(id) ? 1 : 0));
    const users = seen.map((id) => ({ userId: id, sessions: counts.get(id) ?? 0 }));
    const ceiling = oracle().ceilingProbabilities(users, START, CUT, 7 * DAY);
    const truth = oracle().probabilities(seen, CUT, 7 * DAY);
    const cal = calibration(ceiling, y);
    const aCeil = auc(ceiling, y);
    const aTrue = auc(truth, y);
    const aCount = auc(
      Float64Array.from(users, (u) => u.sessions),
      y,
    );
    console.log(
      `ceiling 7 d on ${seen.length} users seen: AUC ${aCeil.toFixed(4)} (oracle ${aTrue.toFixed(4)}, ` +
        `session count ${aCount.toFixed(4)}), buyers expected ${cal.expected.toFixed(1)} observed ${cal.observed}`,
    );
    assert.ok(Math.abs(cal.zAll) < 3, `overall z = ${cal.zAll.toFixed(2)}`);
    cal.zDeciles.forEach((z, d) => assert.ok(Math.abs(z) < 3, `decile ${d}: z = ${z.toFixed(2)}`));
    assert.ok(aCeil < aTrue, `ceiling AUC ${aCeil} >= oracle AUC ${aTrue}: it would know the rank`);
    assert.ok(aCeil > aCount + 0.01, `ceiling AUC ${aCeil} adds nothing to the count (${aCount})`);
    // the posterior mean of an order: as many buyers as the oracle expects on the same users
    const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);
    assert.ok(Math.abs(sum(ceiling) - sum(truth)) < 0.05 * sum(truth));
  });

  void it('inferring intent from the sessions: calibrated, recovers intent, between count and given intent', () => {
    const sigs = signaturesBeforeCut();
    const seen = ids.filter((id) => (sigs.get(id)?.length ?? 0) > 0);
    const week = outcomes().week;
    const y = seen.map((id) => (week.has(id) ? 1 : 0));
    const or = oracle();
    const { probabilities, intents } = or.ceilingFromSessions(
      seen.map((id) => ({ userId: id, sessions: sigs.get(id) ?? [] })),
      START,
      CUT,
      7 * DAY,
    );
    const given = or.ceilingProbabilities(
      seen.map((id) => ({ userId: id, sessions: sigs.get(id)?.length ?? 0 })),
      START,
      CUT,
      7 * DAY,
    );
    const cal = calibration(probabilities, y);
    const aInferred = auc(probabilities, y);
    const aGiven = auc(given, y);
    const aCount = auc(
      Float64Array.from(seen, (id) => sigs.get(id)?.length ?? 0),
      y,
    );
    // intent recovery among users with at least 3 sessions
    const users = new Users(opts.seed, USERS);
    let many = 0;
    let right = 0;
    seen.forEach((id, k) => {
      if ((sigs.get(id)?.length ?? 0) < 3) return;
      many++;
      if (intents[k] === users.profile(Number(id.slice(2)) - 1).intent) right++;
    });
    console.log(
      `ceiling 7 d, intent inferred: AUC ${aInferred.toFixed(4)} (intent given ${aGiven.toFixed(4)}, ` +
        `count ${aCount.toFixed(4)}); intent right for ${right}/${many} users with >= 3 sessions`,
    );
    assert.ok(Math.abs(cal.zAll) < 3, `overall z = ${cal.zAll.toFixed(2)}`);
    cal.zDeciles.forEach((z, d) => assert.ok(Math.abs(z) < 3, `decile ${d}: z = ${z.toFixed(2)}`));
    assert.ok(aInferred > aCount + 0.01, `inferred ${aInferred} vs count ${aCount}`);
    assert.ok(aInferred < aGiven + 0.005, `inferred ${aInferred} above given ${aGiven}`);
    assert.ok(many > 50 && right / many > 0.6, `intent right for ${right}/${many}`);
  });

  void it('is the population mean of the combo with nothing observed, and rises with the count', () => {
    const or = oracle();
    const users = new Users(opts.seed, USERS);
    const truth = or.probabilities(ids, CUT, 7 * DAY);
    // the oracle's exposure A of a combo, read back from one of its users: P = 1 - exp(-π A)
    const byCombo = new Map<string, number[]>();
    ids.forEach((_, i) => {
      const p = users.profile(i);
      const key = `${p.intent}/${p.prefCategory}`;
      byCombo.set(key, [...(byCombo.get(key) ?? []), i]);
    });
    for (const members of [...byCombo.values()].slice(0, 4)) {
      const i = members[0] ?? 0;
      const a = -Math.log1p(-(truth[i] ?? 0)) / users.pickProbability(i);
      let mean = 0;
      for (let r = 0; r < USERS; r++) mean -= Math.expm1(-users.rankProbability(r) * a) / USERS;
      const blind = or.ceilingProbabilities(
        members.map((m) => ({ userId: userId(m), sessions: 0 })),
        CUT,
        CUT,
        7 * DAY,
      );
      for (const p of blind) assert.ok(Math.abs(p - mean) < 1e-12 * (1 + mean), `${p} vs ${mean}`);
      const rising = or.ceilingProbabilities(
        [0, 1, 2, 5, 20].map((n) => ({ userId: userId(i), sessions: n })),
        START,
        CUT,
        7 * DAY,
      );
      for (let k = 1; k < rising.length; k++) {
        assert.ok((rising[k] ?? 0) > (rising[k - 1] ?? 0), `count ${k}: ${rising.join(', ')}`);
      }
    }
  });

  void it('rejects unknown users, negative counts and a span after the cut-off', () => {
    const or = oracle();
    assert.throws(
      () => or.ceilingProbabilities([{ userId: 'u-999999', sessions: 1 }], START, CUT, DAY),
      /unknown user id "u-999999"/,
    );
    assert.throws(
      () => or.ceilingProbabilities([{ userId: 'u-000001', sessions: -1 }], START, CUT, DAY),
      /sessions of u-000001 must be an integer >= 0, got -1/,
    );
    assert.throws(
      () => or.ceilingProbabilities([], CUT + 1, CUT, DAY),
      /observedFromMs must be a finite epoch ms <= tMs/,
    );
  });
});

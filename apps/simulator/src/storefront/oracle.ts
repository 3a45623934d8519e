/**
 * The propensity oracle: each user's true probability of placing at least one order in [t, t+H),
 * computed from the storefront's own generative process (session arrival rate and seasonality,
 * exact user pick probability, Monte Carlo of `planSession` under the promotion calendar and an
 * expected-stock model). It is the ceiling a purchase-propensity model can reach; evaluation only,
 * never a feature. The derivation is in ORACLE.md beside this file.
 */
import {
  CANCEL_RATE,
  DEFAULT_EVENTS_PER_SEC,
  DEFAULT_INVENTORY_INTERVAL_MS,
  runStreams,
  sessionShape,
  sessionsPerSecond,
} from './calibration';
import { Catalogue, CATEGORIES } from './catalogue';
import { Inventory } from './inventory';
import { hash32, Prng } from './prng';
import { Promotions } from './promotions';
import { seasonality } from './seasonality';
import { planSession } from './session';
import type { StorefrontOptions } from './storefront';
import { INTENTS, type Intent, type UserProfile, Users, userId } from './users';

export interface UserLatent {
  userId: string;
  index: number;
  intent: Intent;
  prefCategory: number;
  /** Expected sessions per hour at the average traffic level (seasonality 1). */
  sessionRatePerHour: number;
  /** P(order_placed) of one session with no promotion active and everything in stock. */
  purchaseProbPerSession: number;
}

/** What a model can see of one session, coarsely (for `ceilingFromSessions`). */
export interface SessionSignature {
  /** The session's first clickstream event is a search. */
  searchFirst: boolean;
  /** Clickstream events of the session (capped at SIGNATURE_EVENTS_CAP). */
  events: number;
  /** The session has a checkout_started. */
  checkout: boolean;
  /** add_to_cart events of the session (capped at SIGNATURE_CARTS_CAP). */
  carts: number;
  /** Last − first clickstream event time of the session (ms): the think times tell intents apart. */
  spanMs: number;
}

const SIGNATURE_EVENTS_CAP = 16;
const SIGNATURE_CARTS_CAP = 3;
/** Upper edges (s) of the buckets of the mean gap between a session's events; one more above. */
const SIGNATURE_GAP_EDGES = [10, 14, 18, 22, 27, 33];
const SIGNATURE_GAPS = SIGNATURE_GAP_EDGES.length + 2; // + "one event" + above the last edge
const SIGNATURE_KEYS =
  2 * (SIGNATURE_EVENTS_CAP + 1) * 2 * (SIGNATURE_CARTS_CAP + 1) * SIGNATURE_GAPS;
/** Planned sessions per (intent, category) for the signature likelihoods (× monteCarloSessions). */
const SIGNATURE_MC_FACTOR = 4;

/** The signature of one session from its clickstream events in time order (orders are ignored). */
export function sessionSignature(
  events: readonly { type: string; at: number }[],
): SessionSignature {
  const clicks = events.filter((e) => e.type !== 'order_placed');
  let carts = 0;
  let checkout = false;
  for (const e of clicks) {
    if (e.type === 'add_to_cart') carts++;
    else if (e.type === 'checkout_started') checkout = true;
  }
  return {
    searchFirst: clicks[0]?.type === 'search',
    events: clicks.length,
    checkout,
    carts,
    spanMs: (clicks.at(-1)?.at ?? 0) - (clicks[0]?.at ?? 0),
  };
}

function signatureKey(s: SessionSignature): number {
  const events = Math.min(SIGNATURE_EVENTS_CAP, Math.max(0, Math.floor(s.events)));
  const carts = Math.min(SIGNATURE_CARTS_CAP, Math.max(0, Math.floor(s.carts)));
  const head = ((s.searchFirst ? 1 : 0) * (SIGNATURE_EVENTS_CAP + 1) + events) * 2;
  const gapS = s.events > 1 ? s.spanMs / 1000 / (s.events - 1) : NaN;
  const gap = Number.isNaN(gapS)
    ? 0
    : 1 + SIGNATURE_GAP_EDGES.filter((edge) => gapS >= edge).length;
  return ((head + (s.checkout ? 1 : 0)) * (SIGNATURE_CARTS_CAP + 1) + carts) * SIGNATURE_GAPS + gap;
}

export interface PropensityOracleConfig {
  /** Planned sessions per (intent, preferred category, storefront state); default 1500. */
  monteCarloSessions?: number;
  /** Seed of the Monte Carlo streams; default 1. */
  seed?: number;
  /** Model stock-outs with the expected-stock model; default true (false = everything in stock). */
  stockModel?: boolean;
  /** Step of the expected-stock model: availability changes only at these steps; default 3 h. */
  stockStepMs?: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const INTENT_LIST: readonly Intent[] = ['browser', 'researcher', 'deal_hunter', 'loyal'];
const NCAT = CATEGORIES.length;
const NCOMBO = INTENT_LIST.length * NCAT;
/** Quantiles of the session-start → order delay used in the convolution. */
const DELAY_QUANTILES = 16;
/** Mean of the two think times between the last action and the order: 800 + 20 s, 800 + 60 s. */
const CHECKOUT_DELAY_MS = 81_600;
/** An expected stock below this many units counts as out of stock. */
const OUT_OF_STOCK_BELOW = 0.5;
/**
 * State keys: SKUs with at least this share of the popularity enter the key one by one; for the
 * others only the out-of-stock popularity share of each category counts, in buckets of this width
 * (so states that differ by a few unpopular SKUs share one Monte Carlo run).
 */
const KEY_SKU_SHARE = 0.005;
const KEY_BUCKET_SHARE = 0.0025;
const ID_RE = /^u-(\d{6,})$/;

/** Cumulative seasonality over one week, per hour from the epoch-aligned week start (ms units). */
const WEEK_CUM: Float64Array = (() => {
  const cum = new Float64Array(7 * 24 + 1);
  for (let h = 0; h < 7 * 24; h++) {
    const a = seasonality(h * HOUR_MS);
    const b = seasonality((h + 1) * HOUR_MS - 1e-6);
    cum[h + 1] = (cum[h] ?? 0) + ((a + b) / 2) * HOUR_MS;
  }
  return cum;
})();

/** ∫_0^x seasonality(s) ds (exact: the curve is linear within each hour). */
function seasonalityIntegral(x: number): number {
  const weeks = Math.floor(x / WEEK_MS);
  const inWeek = x - weeks * WEEK_MS;
  const h = Math.min(7 * 24 - 1, Math.floor(inWeek / HOUR_MS));
  const h0 = weeks * WEEK_MS + h * HOUR_MS;
  const partial = ((seasonality(h0) + seasonality(x)) / 2) * (x - h0);
  return weeks * (WEEK_CUM[7 * 24] ?? 0) + (WEEK_CUM[h] ?? 0) + partial;
}

/** Per-session statistics of one storefront state (promotions active, SKUs out of stock). */
interface StateStats {
  /** P(order_placed) per session, per combo (intent index * categories + preferred category). */
  p: Float64Array;
  /** Expected units ordered per session (activity-weighted over users), per SKU. */
  units: Float64Array;
  /** Availability the Monte Carlo ran with (undefined = everything in stock). */
  availableAtRun: Uint8Array | undefined;
}

interface Segment {
  start: number;
  end: number;
  stats: StateStats;
}

/**
 * True purchase propensity of simulated users. Built from the same options as the Storefront it
 * describes; it assumes the rate stays `eventsPerSec` (no `setRate`/`history` with another rate).
 * Query times may come in any order; the timeline is extended forward lazily.
 */
export class PropensityOracle {
  private readonly cat: Catalogue;
  private readonly users: Users;
  private readonly sessionsPerMs: number;
  /** Share of order messages left valid (the rest are deliberately malformed, never stored). */
  private readonly validShare: number;
  private readonly useSeasonality: boolean;
  private readonly arrivalStart: number;
  private readonly emitFrom: number;
  private readonly mc: number;
  private readonly mcSeed: number;
  private readonly stockModel: boolean;
  private readonly stockStepMs: number;
  /** Promotions moved forward to discover the calendar, and the one positioned for planning. */
  private readonly lookahead: Promotions;
  private readonly view: Promotions;
  private readonly onHand: Float64Array;
  private readonly onOrder: Float64Array;
  private readonly arrivesAt: Float64Array;
  private readonly leadTimeDays: Float64Array;
  private readonly reorderPoint: Int32Array;
  private readonly reorderQty: Int32Array;
  private readonly available: Uint8Array;
  /** Units per session of each SKU by popularity (demand of a SKU the cached state had out). */
  private readonly fallbackUnits: Float64Array;
  private readonly cache = new Map<string, StateStats>();
  private readonly segments: Segment[] = [];
  private comboWeight: Float64Array | undefined;
  private baselineStats: StateStats | undefined;
  /** Per intent: quantiles of the delay from session start to order_placed. */
  private delays: Float64Array[] | undefined;
  private sigTables: Float64Array[] | undefined;

  constructor(opts: StorefrontOptions, cfg: PropensityOracleConfig = {}) {
    const { seed, users, skus, startMs, invalidRate } = opts;
    if (!Number.isInteger(users) || users < 1)
      throw new RangeError('users must be an integer >= 1');
    if (!Number.isInteger(skus) || skus < 1) throw new RangeError('skus must be an integer >= 1');
    if (!Number.isFinite(startMs)) throw new RangeError('startMs must be a finite epoch ms');
    if (!(invalidRate >= 0 && invalidRate <= 1))
      throw new RangeError('invalidRate must be in [0, 1]');
    this.validShare = 1 - invalidRate;
    const eventsPerSec = opts.eventsPerSec ?? DEFAULT_EVENTS_PER_SEC;
    if (!(eventsPerSec >= 0) || !Number.isFinite(eventsPerSec)) {
      throw new RangeError('eventsPerSec must be a finite number >= 0');
    }
    this.mc = cfg.monteCarloSessions ?? 1500;
    if (!Number.isInteger(this.mc) || this.mc < 1) {
      throw new RangeError('monteCarloSessions must be an integer >= 1');
    }
    this.mcSeed = cfg.seed ?? 1;
    this.stockModel = cfg.stockModel ?? true;
    this.stockStepMs = cfg.stockStepMs ?? 3 * HOUR_MS;
    if (!(this.stockStepMs >= 60_000) || !Number.isFinite(this.stockStepMs)) {
      throw new RangeError('stockStepMs must be a finite number of ms >= 60000');
    }
    const invInterval = opts.inventoryIntervalMs ?? DEFAULT_INVENTORY_INTERVAL_MS;
    this.useSeasonality = opts.seasonality ?? true;
    this.cat = new Catalogue(seed, skus);
    this.users = new Users(seed, users);
    const warmup = Math.max(0, opts.warmupMs ?? 0);
    this.arrivalStart = startMs - warmup;
    this.emitFrom = startMs;
    const promosOn = opts.promotions ?? true;
    this.lookahead = new Promotions(
      this.cat,
      runStreams(seed, startMs).promo,
      this.arrivalStart,
      promosOn,
    );
    this.view = new Promotions(
      this.cat,
      runStreams(seed, startMs).promo,
      this.arrivalStart,
      promosOn,
    );

    const shape = sessionShape(seed, this.cat, this.users, startMs);
    const perSec = sessionsPerSecond(eventsPerSec, shape, skus, invInterval);
    this.sessionsPerMs = perSec / 1000;
    // The opening stock and the replenishment policy, exactly as the Storefront sets them.
    const inv = new Inventory(this.cat, new Prng(hash32(seed, 0x1471)));
    inv.configure(perSec * 86_400 * shape.unitsPerSession);
    this.onHand = Float64Array.from(inv.onHand);
    this.onOrder = new Float64Array(skus);
    this.arrivesAt = new Float64Array(skus).fill(Infinity);
    this.leadTimeDays = inv.leadTimeDays;
    this.reorderPoint = inv.reorderPoint;
    this.reorderQty = inv.reorderQty;
    this.available = new Uint8Array(skus).fill(1);
    this.fallbackUnits = this.cat.popularity.map(
      (pop) => (shape.unitsPerSession * pop) / this.cat.totalPopularity,
    );
  }

  /** The latent attributes of a user (evaluation only, never a feature); unknown id → null. */
  latent(userId: string): UserLatent | null {
    const index = this.indexOf(userId);
    if (index === undefined) return null;
    const u = this.users.profile(index);
    const base = this.baseline();
    return {
      userId: u.id,
      index,
      intent: u.intent,
      prefCategory: u.prefCategory,
      sessionRatePerHour: this.users.pickProbability(index) * this.sessionsPerMs * HOUR_MS,
      purchaseProbPerSession: base.p[combo(u)] ?? 0,
    };
  }

  /**
   * True P(the user places >= 1 order_placed with event time in [tMs, tMs + horizonMs)), counting
   * valid messages only (with `invalidRate` r each order message is malformed with probability r).
   */
  probability(userId: string, tMs: number, horizonMs: number): number {
    return this.probabilities([userId], tMs, horizonMs)[0] ?? 0;
  }

  /** `probability` for many users at once (the per-state work is shared). */
  probabilities(userIds: readonly string[], tMs: number, horizonMs: number): Float64Array {
    if (!Number.isFinite(tMs)) throw new RangeError('tMs must be a finite epoch ms');
    if (!(horizonMs >= 0) || !Number.isFinite(horizonMs)) {
      throw new RangeError('horizonMs must be a finite number of ms >= 0');
    }
    const idx = new Int32Array(userIds.length);
    userIds.forEach((id, k) => {
      const i = this.indexOf(id);
      if (i === undefined) {
        throw new RangeError(
          `unknown user id ${JSON.stringify(id)} (population ${userId(0)}..${userId(this.users.count - 1)})`,
        );
      }
      idx[k] = i;
    });
    const exposure = this.exposure(tMs, horizonMs);
    const out = new Float64Array(userIds.length);
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k] ?? 0;
      const mean = this.users.pickProbability(i) * (exposure[combo(this.users.profile(i))] ?? 0);
      out[k] = -Math.expm1(-mean);
    }
    return out;
  }

  /**
   * The observable ceiling: the Bayes probability of an order in `[tMs, tMs + horizonMs)` for a user
   * whose **session count** since `observedFromMs` is known but whose activity rank is not, with the
   * user's intent and preferred category given for free. Given intent and category, a user's
   * sessions are a Poisson process of rate `π_u · λ(t)` whose contents do not depend on `π_u`, so
   * the count is sufficient for `π_u`: no model of the user's history (which reveals intent and
   * category at best) can rank better in expectation than this. The prior on `π_u` is the
   * population's (intent is drawn independently of the rank), the likelihood
   * `Poisson(n; π_u · Λ)` with `Λ` the expected sessions of all users in the observed span, and
   * `P = Σ_u w_u (1 − exp(−π_u A)) / Σ_u w_u` with `A` the oracle's exposure of the combo.
   * Not modelled: a session in flight at `tMs` whose cart a model could see.
   */
  ceilingProbabilities(
    users: readonly { userId: string; sessions: number }[],
    observedFromMs: number,
    tMs: number,
    horizonMs: number,
  ): Float64Array {
    const idx = users.map(({ userId: id, sessions }) => this.ceilingUser(id, sessions));
    const value = this.rateCeiling(observedFromMs, tMs, horizonMs);
    return Float64Array.from(idx, (i, k) =>
      value(users[k]?.sessions ?? 0, combo(this.users.profile(i))),
    );
  }

  /**
   * A tighter ceiling: as `ceilingProbabilities`, but the intent is inferred from what the user's
   * sessions show (`SessionSignature` per session: the first event, the clickstream events, the
   * cart adds, a checkout, the mean gap between events) instead of handed over. The likelihood of a signature per intent comes from a Monte
   * Carlo of the session planner with no promotion and everything in stock; the posterior over
   * intent is the intent shares times the product over the sessions; the preferred category is
   * still given. A history shows more than these signatures, so this is a lower bracket of what a
   * model of the history can reach, and `ceilingProbabilities` the upper one.
   */
  ceilingFromSessions(
    users: readonly { userId: string; sessions: readonly SessionSignature[] }[],
    observedFromMs: number,
    tMs: number,
    horizonMs: number,
  ): { probabilities: Float64Array; intents: Intent[] } {
    const idx = users.map(({ userId: id, sessions }) => this.ceilingUser(id, sessions.length));
    const value = this.rateCeiling(observedFromMs, tMs, horizonMs);
    const tables = this.signatureTables();
    const probabilities = new Float64Array(users.length);
    const intents: Intent[] = [];
    users.forEach(({ sessions }, k) => {
      const cat = this.users.profile(idx[k] ?? 0).prefCategory;
      const logPost = INTENT_LIST.map((intent, i) => {
        let l = Math.log(INTENTS[intent].share);
        for (const sig of sessions) l += tables[i]?.[signatureKey(sig)] ?? 0;
        return l;
      });
      const max = Math.max(...logPost);
      const w = logPost.map((l) => Math.exp(l - max));
      const sum = w.reduce((a, b) => a + b, 0);
      let p = 0;
      w.forEach((wi, i) => (p += (wi / sum) * value(sessions.length, i * NCAT + cat)));
      probabilities[k] = Math.min(1, p);
      intents.push(INTENT_LIST[logPost.indexOf(max)] ?? 'browser');
    });
    return { probabilities, intents };
  }

  private ceilingUser(id: string, sessions: number): number {
    const i = this.indexOf(id);
    if (i === undefined) throw new RangeError(`unknown user id ${JSON.stringify(id)}`);
    if (!Number.isInteger(sessions) || sessions < 0) {
      throw new RangeError(`sessions of ${id} must be an integer >= 0, got ${sessions}`);
    }
    return i;
  }

  /**
   * (session count n, combo) → E[1 − exp(−π A_combo) | n sessions in the observed span], the
   * posterior over the activity rank being the population's prior times Poisson(n; π Λ).
   */
  private rateCeiling(
    observedFromMs: number,
    tMs: number,
    horizonMs: number,
  ): (sessions: number, combo: number) => number {
    if (!Number.isFinite(observedFromMs) || !(observedFromMs <= tMs)) {
      throw new RangeError('observedFromMs must be a finite epoch ms <= tMs');
    }
    const exposure = this.exposure(tMs, horizonMs);
    const from = Math.max(observedFromMs, this.emitFrom);
    const lambda = tMs > from ? this.sessionsPerMs * this.traffic(from, tMs) : 0;
    const n = this.users.count;
    const pi = new Float64Array(n);
    for (let r = 0; r < n; r++) pi[r] = this.users.rankProbability(r);
    const logPi = pi.map((x) => Math.log(x));
    const posteriors = new Map<number, Float64Array>();
    const posterior = (k: number): Float64Array => {
      let w = posteriors.get(k);
      if (w) return w;
      w = new Float64Array(n);
      let max = -Infinity;
      for (let r = 0; r < n; r++) {
        const l = k * (logPi[r] ?? 0) - (pi[r] ?? 0) * lambda;
        w[r] = l;
        if (l > max) max = l;
      }
      let sum = 0;
      for (let r = 0; r < n; r++) sum += w[r] = Math.exp((w[r] ?? 0) - max);
      for (let r = 0; r < n; r++) w[r] = (w[r] ?? 0) / sum;
      posteriors.set(k, w);
      return w;
    };
    const memo = new Map<string, number>();
    return (sessions, c) => {
      const key = `${sessions}:${c}`;
      let v = memo.get(key);
      if (v === undefined) {
        const w = posterior(sessions);
        const a = exposure[c] ?? 0;
        v = 0;
        for (let r = 0; r < n; r++) v += (w[r] ?? 0) * -Math.expm1(-(pi[r] ?? 0) * a);
        v = Math.min(1, v); // the normalised weights may sum to 1 + ε
        memo.set(key, v);
      }
      return v;
    };
  }

  /** Per intent: log P(signature) of one session (no promotion, all in stock; smoothed). */
  private signatureTables(): Float64Array[] {
    if (!this.sigTables) {
      const ctx = { catalogue: this.cat, inventory: undefined, promotions: undefined };
      this.sigTables = INTENT_LIST.map((intent, i) => {
        const counts = new Float64Array(SIGNATURE_KEYS).fill(0.5);
        for (let c = 0; c < NCAT; c++) {
          const user: UserProfile = { index: -1, id: 'u-oracle', intent, prefCategory: c };
          const rng = new Prng(hash32(this.mcSeed, i * NCAT + c, 0x5197));
          for (let k = 0; k < this.mc * SIGNATURE_MC_FACTOR; k++) {
            const key = signatureKey(sessionSignature(planSession(ctx, rng, user, 0)));
            counts[key] = (counts[key] ?? 0) + 1;
          }
        }
        const total = counts.reduce((a, b) => a + b, 0);
        return counts.map((x) => Math.log(x / total));
      });
    }
    return this.sigTables;
  }

  /**
   * Per combo: Σ over states of p(order | session, state) × the expected number of sessions (of
   * all users) that start in the state and place their order inside the window.
   */
  private exposure(tMs: number, horizonMs: number): Float64Array {
    const out = new Float64Array(NCOMBO);
    const lo = Math.max(tMs, this.emitFrom);
    const hi = tMs + horizonMs;
    if (!(hi > lo) || this.sessionsPerMs === 0) return out;
    const delays = this.delayQuantiles();
    this.extendTo(hi);
    const segs = this.segments;
    for (let i = 0; i < INTENT_LIST.length; i++) {
      const q = delays[i] ?? new Float64Array(0);
      for (const d of q) {
        const a = Math.max(lo - d, this.arrivalStart);
        const b = hi - d;
        if (!(b > a)) continue;
        for (let k = this.segmentAt(a); k < segs.length; k++) {
          const s = segs[k];
          if (!s || s.start >= b) break;
          const x = Math.max(a, s.start);
          const y = Math.min(b, s.end);
          if (!(y > x)) continue;
          const sessions = (this.validShare * this.sessionsPerMs * this.traffic(x, y)) / q.length;
          for (let c = 0; c < NCAT; c++) {
            const j = i * NCAT + c;
            out[j] = (out[j] ?? 0) + sessions * (s.stats.p[j] ?? 0);
          }
        }
      }
    }
    return out;
  }

  /** ∫_x^y seasonality (or y − x when seasonality is off). */
  private traffic(x: number, y: number): number {
    return this.useSeasonality ? seasonalityIntegral(y) - seasonalityIntegral(x) : y - x;
  }

  /** Index of the first segment whose end is after `t`. */
  private segmentAt(t: number): number {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((segs[mid]?.end ?? Infinity) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Extends the timeline of storefront states to `untilMs`: segments cut at promotion starts/ends
   * and at the stock-model steps; the expected stock is drawn down by the expected units sold.
   */
  private extendTo(untilMs: number): void {
    const segs = this.segments;
    let t = segs[segs.length - 1]?.end ?? this.arrivalStart;
    if (t >= untilMs) return;
    const calendar = this.lookahead.at(untilMs + this.stockStepMs).calendar;
    const cuts: number[] = [];
    for (const p of calendar) {
      if (p.startMs > t && p.startMs < untilMs) cuts.push(p.startMs);
      if (p.endMs > t && p.endMs < untilMs) cuts.push(p.endMs);
    }
    const step = this.stockStepMs;
    // Stock steps are aligned on startMs (sales start there).
    let g = this.emitFrom + Math.ceil((t - this.emitFrom) / step) * step;
    if (g <= t) g += step;
    for (; g < untilMs + step; g += step) cuts.push(g);
    cuts.sort((a, b) => a - b);
    for (const cut of cuts) {
      if (cut <= t) continue;
      this.addSegment(t, cut);
      t = cut;
      if (t >= untilMs) break;
    }
  }

  private addSegment(start: number, end: number): void {
    const view = this.view.at(start);
    const active = view.anyActive;
    if (this.stockModel) this.receiveStock(start);
    let key = '';
    if (active) {
      for (const p of this.lookahead.calendar) {
        if (p.startMs <= start && start < p.endMs) key += p.id + ',';
      }
    }
    key += '|';
    if (this.stockModel) key += this.stockKey();
    let stats = this.cache.get(key);
    if (!stats) {
      stats = this.simulate(active ? view : undefined, this.stockModel);
      this.cache.set(key, stats);
    }
    this.segments.push({ start, end, stats });
    if (this.stockModel && end > this.emitFrom)
      this.sell(stats, Math.max(start, this.emitFrom), end);
  }

  /** The availability part of a state key (see KEY_SKU_SHARE). */
  private stockKey(): string {
    const cat = this.cat;
    const small = new Float64Array(NCAT);
    let key = '';
    for (let i = 0; i < this.available.length; i++) {
      if (this.available[i] === 1) continue;
      const share = (cat.popularity[i] ?? 0) / cat.totalPopularity;
      if (share >= KEY_SKU_SHARE) key += i + ',';
      else {
        const c = cat.categoryOf[i] ?? 0;
        small[c] = (small[c] ?? 0) + share;
      }
    }
    key += '|';
    for (const share of small) key += Math.round(share / KEY_BUCKET_SHARE) + ',';
    return key;
  }

  /** Replenishments due by `t` arrive; availability follows the expected stock. */
  private receiveStock(t: number): void {
    for (let i = 0; i < this.onHand.length; i++) {
      if ((this.arrivesAt[i] ?? Infinity) <= t) {
        this.onHand[i] = (this.onHand[i] ?? 0) + (this.onOrder[i] ?? 0);
        this.onOrder[i] = 0;
        this.arrivesAt[i] = Infinity;
      }
      this.available[i] = (this.onHand[i] ?? 0) >= OUT_OF_STOCK_BELOW ? 1 : 0;
    }
  }

  /** Expected units sold in [start, end) (net of cancellations), with the reorder rule. */
  private sell(stats: StateStats, start: number, end: number): void {
    const sessions = this.sessionsPerMs * this.traffic(start, end);
    const ran = stats.availableAtRun;
    for (let i = 0; i < this.onHand.length; i++) {
      if (this.available[i] === 0) continue;
      const perSession = ran && ran[i] === 0 ? (this.fallbackUnits[i] ?? 0) : (stats.units[i] ?? 0);
      const sold = sessions * perSession * (1 - CANCEL_RATE);
      if (sold <= 0) continue;
      const left = (this.onHand[i] ?? 0) - sold;
      this.onHand[i] = left;
      if (left <= (this.reorderPoint[i] ?? 0) && (this.onOrder[i] ?? 0) === 0) {
        this.onOrder[i] = this.reorderQty[i] ?? 1;
        // The sale that crosses the reorder point happens within the step: take its middle.
        this.arrivesAt[i] = (start + end) / 2 + (this.leadTimeDays[i] ?? 1) * DAY_MS;
      }
    }
  }

  /** Monte Carlo of `planSession` for every (intent, preferred category) in one state. */
  private simulate(promos: Promotions | undefined, withStock: boolean): StateStats {
    const weights = this.weights();
    const avail = this.available;
    const inventory = withStock
      ? { available: (sku: number): boolean => avail[sku] === 1 }
      : undefined;
    const ctx = { catalogue: this.cat, inventory, promotions: promos };
    const p = new Float64Array(NCOMBO);
    const units = new Float64Array(this.cat.size);
    for (let i = 0; i < INTENT_LIST.length; i++) {
      const intent = INTENT_LIST[i] ?? 'browser';
      const params = INTENTS[intent];
      const close = params.checkoutProb * params.purchaseProb;
      for (let c = 0; c < NCAT; c++) {
        const j = i * NCAT + c;
        const user: UserProfile = { index: -1, id: 'u-oracle', intent, prefCategory: c };
        const rng = new Prng(hash32(this.mcSeed, j, 0x0c1e));
        const w = (weights[j] ?? 0) / this.mc;
        let nonEmpty = 0;
        for (let k = 0; k < this.mc; k++) {
          const steps = planSession(ctx, rng, user, 0);
          let lines = 0;
          for (const st of steps) {
            if (st.type === 'add_to_cart') lines++;
            else if (st.type === 'remove_from_cart') lines--;
            else if (st.type === 'order_placed' && st.items) {
              for (const it of st.items) units[it.sku] = (units[it.sku] ?? 0) + w * it.qty;
            }
          }
          // Rao-Blackwellised: with a non-empty cart the order follows with probability `close`.
          if (lines > 0) nonEmpty++;
        }
        p[j] = (nonEmpty / this.mc) * close;
      }
    }
    return { p, units, availableAtRun: withStock ? avail.slice() : undefined };
  }

  /** Share of all sessions going to each (intent, preferred category): Σ of pick probabilities. */
  private weights(): Float64Array {
    if (!this.comboWeight) {
      const w = new Float64Array(NCOMBO);
      for (let i = 0; i < this.users.count; i++) {
        const j = combo(this.users.profile(i));
        w[j] = (w[j] ?? 0) + this.users.pickProbability(i);
      }
      this.comboWeight = w;
    }
    return this.comboWeight;
  }

  /** No promotion, everything in stock. */
  private baseline(): StateStats {
    this.baselineStats ??= this.simulate(undefined, false);
    return this.baselineStats;
  }

  /**
   * Per intent, quantiles of the delay session start → order_placed (no promotion, all in stock):
   * the time of the last action of sessions ending with a non-empty cart plus the mean checkout
   * think times.
   */
  private delayQuantiles(): Float64Array[] {
    if (!this.delays) {
      const ctx = { catalogue: this.cat, inventory: undefined, promotions: undefined };
      this.delays = INTENT_LIST.map((intent, i) => {
        const rng = new Prng(hash32(this.mcSeed, i, 0xde1a));
        const d: number[] = [];
        for (let k = 0; d.length < 2000 && k < 200_000; k++) {
          const user: UserProfile = { index: -1, id: 'u-oracle', intent, prefCategory: k % NCAT };
          const steps = planSession(ctx, rng, user, 0);
          let lines = 0;
          let last = 0;
          for (const st of steps) {
            if (st.type === 'add_to_cart') lines++;
            else if (st.type === 'remove_from_cart') lines--;
            if (st.type !== 'checkout_started' && st.type !== 'order_placed') last = st.at;
          }
          if (lines > 0) d.push(last + CHECKOUT_DELAY_MS);
        }
        d.sort((a, b) => a - b);
        const q = new Float64Array(DELAY_QUANTILES);
        for (let j = 0; j < DELAY_QUANTILES; j++) {
          q[j] = d[Math.floor(((j + 0.5) / DELAY_QUANTILES) * d.length)] ?? CHECKOUT_DELAY_MS;
        }
        return q;
      });
    }
    return this.delays;
  }

  private indexOf(id: string): number | undefined {
    const m = ID_RE.exec(id);
    if (!m) return undefined;
    const i = Number(m[1]) - 1;
    if (!(i >= 0 && i < this.users.count) || userId(i) !== id) return undefined;
    return i;
  }
}

function combo(u: UserProfile): number {
  return INTENT_LIST.indexOf(u.intent) * NCAT + u.prefCategory;
}

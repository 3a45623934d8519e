import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import { CLICKSTREAM_TYPES } from '@storepulse/contracts';
import { featuresOf, LIFETIME, WINDOW_SECONDS, type FeatureDef, type WindowName } from './catalog';
import {
  ACTIVITY_MEASURES,
  activityNeeds,
  compileFeatures,
  evaluateInto,
  NO_ACTIVITY,
  plan,
  windowBoundsMs,
  type FeatureProgram,
  type TableGroup,
} from './query';
import {
  findRollup,
  rollupTable,
  type Granularity,
  type MeasureKind,
  type RollupSpec,
  type SourceKind,
} from './rollups';
import { emptyMatrix, matrixRows, type FeatureMatrix } from './matrix';
import { CLICK_STRIDE, ORDER_STRIDE, type Activity } from './sessions';
import type { EntityFeatures } from './store';
import { AppliedRanges } from './applied-ranges';

/**
 * The online tier for user features: an in-process mirror of the user minute rollups
 * (`fr_user_click_1m`, `fr_user_order_1m`) over the last 29 days, answering the same
 * features as the ClickHouse query from the same plan and the same derivation ({@link compileFeatures}).
 *
 * Why: with the embedded engine every ClickHouse lookup pays 30–40 ms of query analysis for ~100
 * aggregates (measured, docs/features.md); an online store is how feature stores serve at
 * millisecond latency. Minute buckets answer every window exactly: the 7d/28d windows have
 * hour-aligned bounds, so their hour buckets are unions of whole minute buckets.
 *
 * Fed two ways, both from durable data only:
 *  - warm-up: the minute buckets of the raw tables over the horizon, aggregated by ClickHouse with
 *    the rollup spec's own state expressions, restricted to the chunks the ingest ledger had marked
 *    'done' when the warm-up began (per partition: offsets up to the last done chunk);
 *  - live: every chunk the aggregator makes durable (ledger 'done'), with all its rows, applied
 *    once if it was not done at the snapshot. A chunk pending at the snapshot (even partly written,
 *    or re-run after a crash) is left out of the warm-up and arrives whole through the live path,
 *    so nothing is missed or counted twice.
 * Point-in-time (`asOf`) queries and times outside the horizon stay on ClickHouse.
 */

/** One valid clickstream event, as stored. */
export interface OnlineClick {
  userId: string;
  type: string;
  sku: string;
  category: string;
  tsMs: number;
}
/** One order line, as stored. */
export interface OnlineOrderLine {
  userId: string;
  type: string;
  lineNo: number;
  qty: number;
  unitPrice: number;
  tsMs: number;
}
/** Every row of one durable chunk (one topic-partition, offsets firstOffset..lastOffset). */
export interface StoredRows {
  topic: string;
  partition: number;
  firstOffset: number;
  /** The chunk's last offset (its rows may end earlier: dead letters, duplicates); default firstOffset. */
  lastOffset?: number;
  clicks?: readonly OnlineClick[];
  orderLines?: readonly OnlineOrderLine[];
}

/**
 * Rows of users that are not in the tier yet (valid events consumed from Kafka whose chunk is not
 * durable yet), per user: a lookup folds them into the user's buckets for that lookup only.
 */
export interface PendingUserRows {
  clicks: OnlineClick[];
  orderLines: OnlineOrderLine[];
}
export type PendingRows = ReadonlyMap<string, PendingUserRows>;

/** Buckets kept: 28 days for the windows + 1 day, so any lookup at a time in the last 24 h is online. */
const HORIZON_MS = 29 * 86_400_000 + 3_600_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const PLACED = 'order_placed';

/** A measure of one user minute bucket: numeric slot (sum/max/min) or distinct list. */
interface Slot {
  name: string;
  kind: MeasureKind;
  /** Column in Series.v (numeric kinds), or distinct slot (uniq: Series.es). */
  index: number;
}

/**
 * One user's buckets of one source and granularity, sorted by bucket, in two typed arrays (grown by
 * doubling):
 *  - rows, `r[i * stride]` the bucket start then `r[i * stride + 1 + c]` numeric measure c;
 *  - distinct entries, sorted by bucket: `e[2j]` the bucket start, `e[2j + 1]` = value id · 128 +
 *    distinct slot — one entry per (bucket, slot, value).
 *
 * Not an array per bucket: a batched lookup is bound by memory latency (users are looked up at random
 * among tens of thousands), so what counts is how many separate blocks a user's lookup touches. With
 * one small array per bucket and slot (~2 M of them) the distinct counts took most of a 1,000-user
 * lookup, and the garbage collector had ~60 times more objects to trace.
 */
class Series {
  /** Buckets held. */
  n = 0;
  readonly stride: number;
  r: Float64Array;
  /** Distinct entries held. */
  ne = 0;
  e: Float64Array;

  constructor(
    readonly width: number,
    readonly setWidth: number,
    private readonly init: Float64Array,
  ) {
    this.stride = width + 1;
    this.r = new Float64Array(4 * this.stride);
    this.e = new Float64Array(setWidth > 0 ? 8 : 0);
  }

  /** A copy (its own arrays) to fold pending rows into. */
  clone(): Series {
    const c = new Series(this.width, this.setWidth, this.init);
    c.r = this.r.slice(0, Math.max(4, this.n) * this.stride);
    c.n = this.n;
    c.e = this.e.slice(0, Math.max(this.setWidth > 0 ? 4 : 0, this.ne) * 2);
    c.ne = this.ne;
    return c;
  }

  /** Start of bucket i. */
  at(i: number): number {
    return this.r[i * this.stride];
  }

  /** Offset of bucket i's first measure in `r`. */
  base(i: number): number {
    return i * this.stride + 1;
  }

  /** Index of the first bucket >= ms. */
  lowerBound(ms: number): number {
    return lowerBound(this.r, this.n, this.stride, ms);
  }

  /** Index of the first distinct entry of a bucket >= ms. */
  entryBound(ms: number): number {
    return lowerBound(this.e, this.ne, 2, ms);
  }

  /** Index of bucket `ms`, inserted (with the initial values) when absent. */
  bucket(ms: number): number {
    const n = this.n;
    const st = this.stride;
    const last = n > 0 ? this.r[(n - 1) * st] : -Infinity;
    if (last === ms) return n - 1;
    const i = last > ms ? this.lowerBound(ms) : n;
    if (i < n && this.r[i * st] === ms) return i;
    if ((n + 1) * st > this.r.length) this.r = grown(this.r);
    if (i < n) this.r.copyWithin((i + 1) * st, i * st, n * st);
    this.r[i * st] = ms;
    this.r.set(this.init, i * st + 1);
    this.n = n + 1;
    return i;
  }

  /** Adds value id `x` to distinct slot `slot` of bucket `ms` (kept once per bucket). */
  addDistinct(ms: number, slot: number, x: number): void {
    const ne = this.ne;
    const code = x * 128 + slot;
    // entries of later buckets (an out-of-order row) stay after this bucket's run
    const at = ne === 0 || this.e[(ne - 1) * 2] <= ms ? ne : lowerBound(this.e, ne, 2, ms + 1);
    for (let j = at - 1; j >= 0 && this.e[j * 2] === ms; j--)
      if (this.e[j * 2 + 1] === code) return;
    if ((ne + 1) * 2 > this.e.length) this.e = grown(this.e);
    if (at < ne) this.e.copyWithin((at + 1) * 2, at * 2, ne * 2);
    this.e[at * 2] = ms;
    this.e[at * 2 + 1] = code;
    this.ne = ne + 1;
  }

  /** Drops buckets (and their distinct entries) before `ms`; returns the count of buckets left. */
  dropBefore(ms: number): number {
    const j = this.entryBound(ms);
    if (j > 0) {
      this.e.copyWithin(0, j * 2, this.ne * 2);
      this.ne -= j;
    }
    const i = this.lowerBound(ms);
    if (i > 0) {
      this.r.copyWithin(0, i * this.stride, this.n * this.stride);
      this.n -= i;
    }
    return this.n;
  }
}

/** Index of the first record of `a` (n records of `stride` numbers, sorted by the first) whose key is >= ms. */
function lowerBound(a: Float64Array, n: number, stride: number, ms: number): number {
  // the usual cases first: a lookup at "now" (after every bucket), a window reaching the first bucket
  if (n === 0 || a[(n - 1) * stride] < ms) return n;
  if (a[0] >= ms) return 0;
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid * stride] < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function grown(a: Float64Array): Float64Array {
  const b = new Float64Array(Math.max(8, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Everything the tier holds of one user: [click minutes, click hours, order minutes, order hours]
 * (absent until the user has a row of that source). One map lookup per user and lookup.
 */
type UserSeries = (Series | undefined)[];
const CLICK = 0;
const ORDER = 2;
/** Added to a source's base: minute or hour buckets. */
const MIN = 0;
const HR = 1;

/** How each user measure is computed from one stored row: the TypeScript twin of the MV's SQL. */
type RowFn<R> = (s: Series, i: number, r: R, slot: (name: string) => number) => void;

function slotsOf(spec: RollupSpec): Slot[] {
  let num = 0;
  let set = 0;
  return spec.measures.map((m) => ({
    name: m.name,
    kind: m.kind,
    index: m.kind === 'uniq' ? set++ : num++,
  }));
}

/**
 * Distinct values (SKU and category ids) as small integers: each bucket keeps the ids it saw, and a
 * window's distinct count is taken with a stamp per value id — no hashing, no allocation per lookup.
 */
const valueIds = new Map<string, number>();
let seen = new Uint32Array(1 << 12);
let stamp = 0;
function idOf(x: string): number {
  let id = valueIds.get(x);
  if (id === undefined) {
    id = valueIds.size;
    valueIds.set(x, id);
    if (id >= seen.length) {
      const bigger = new Uint32Array(seen.length * 2);
      bigger.set(seen);
      seen = bigger;
    }
  }
  return id;
}
function nextStamp(): number {
  if (stamp === 0xffffffff) {
    seen.fill(0);
    stamp = 0;
  }
  return ++stamp;
}

/** Per-source layout and row semantics (user rollups only; checked against the spec at start-up). */
class SourceBuckets<R extends { userId: string; tsMs: number }> {
  readonly slots: Slot[];
  /** Per numeric column: 0 sum, 1 max, 2 min (the rollup merge rules). */
  readonly ops: Uint8Array;
  private readonly bySlot = new Map<string, Slot>();
  private readonly width: number;
  private readonly setWidth: number;
  private readonly init: Float64Array;
  private readonly slotIndex = (name: string) => this.slot(name).index;

  constructor(
    readonly spec: RollupSpec,
    private readonly apply: RowFn<R>,
    private readonly users: Map<string, UserSeries>,
    /** This source's place in {@link UserSeries}. */
    readonly base: typeof CLICK | typeof ORDER,
  ) {
    this.slots = slotsOf(spec);
    this.ops = opsOf(this.slots);
    for (const s of this.slots) this.bySlot.set(s.name, s);
    this.width = this.slots.filter((s) => s.kind !== 'uniq').length;
    this.setWidth = this.slots.length - this.width;
    if (this.setWidth > 127)
      throw new Error(`online store: too many distinct measures in ${spec.source}`);
    this.init = new Float64Array(this.width);
    for (const s of this.slots) {
      if (s.kind === 'min_ts') this.init[s.index] = Infinity;
      if (s.kind === 'arg_max_decimal' || s.kind === 'arg_max_int')
        throw new Error(`online store: ${spec.entity}/${spec.source} ${s.name} (${s.kind})`);
    }
  }

  /** A fresh row of numeric measures with the neutral values (0; Infinity for earliest times). */
  initialRow(): Float64Array {
    return Float64Array.from(this.init);
  }

  slot(name: string): Slot {
    const s = this.bySlot.get(name);
    if (!s) throw new Error(`online store: no measure ${name} in ${this.spec.source}`);
    return s;
  }

  /** The user's minute (MIN) or hour (HR) series of this source, created when absent. */
  private series(user: string, g: typeof MIN | typeof HR): Series {
    let u = this.users.get(user);
    if (!u) this.users.set(user, (u = [undefined, undefined, undefined, undefined]));
    return (u[this.base + g] ??= new Series(this.width, this.setWidth, this.init));
  }

  addRow(r: R): void {
    const m = this.series(r.userId, MIN);
    this.apply(m, m.bucket(Math.floor(r.tsMs / MINUTE) * MINUTE), r, this.slotIndex);
    const h = this.series(r.userId, HR);
    this.apply(h, h.bucket(Math.floor(r.tsMs / HOUR) * HOUR), r, this.slotIndex);
  }

  /**
   * `u` with `rows` folded into copies of this source's series (the tier's own series are left
   * as they are): the user's buckets as they will be once the rows are stored.
   */
  withRows(u: UserSeries | undefined, rows: readonly R[]): UserSeries {
    const out: UserSeries = u ? [...u] : [undefined, undefined, undefined, undefined];
    const m = (out[this.base + MIN] =
      out[this.base + MIN]?.clone() ?? new Series(this.width, this.setWidth, this.init));
    const h = (out[this.base + HR] =
      out[this.base + HR]?.clone() ?? new Series(this.width, this.setWidth, this.init));
    for (const r of rows) {
      this.apply(m, m.bucket(Math.floor(r.tsMs / MINUTE) * MINUTE), r, this.slotIndex);
      this.apply(h, h.bucket(Math.floor(r.tsMs / HOUR) * HOUR), r, this.slotIndex);
    }
    return out;
  }

  /** Merges an aggregated minute bucket (warm-up) into its minute and its hour bucket. */
  mergeBucket(user: string, b: number, nums: number[], sets: string[][]): void {
    const ids = sets.map((l) => l.map(idOf));
    this.mergeInto(this.series(user, MIN), b, nums, ids);
    this.mergeInto(this.series(user, HR), Math.floor(b / HOUR) * HOUR, nums, ids);
  }

  /** The rollup merge rules: sum, max, min, union. */
  private mergeInto(s: Series, b: number, nums: number[], ids: number[][]): void {
    const i = s.bucket(b);
    const base = s.base(i);
    const v = s.r;
    for (const sl of this.slots) {
      if (sl.kind === 'uniq') {
        for (const x of ids[sl.index]) s.addDistinct(b, sl.index, x);
      } else {
        const x = nums[sl.index];
        const k = base + sl.index;
        if (sl.kind === 'max_ts') v[k] = Math.max(v[k], x);
        else if (sl.kind === 'min_ts') v[k] = Math.min(v[k], x);
        else v[k] += x;
      }
    }
  }
}

/** user/click measures, row by row (the SQL in rollups.ts, `ROLLUPS[user/click]`). */
const clickRow: RowFn<OnlineClick> = (s, i, r, slot) => {
  const o = s.base(i);
  const v = s.r;
  v[o + slot('n_events')] += 1;
  if ((CLICKSTREAM_TYPES as readonly string[]).includes(r.type)) v[o + slot(`n_${r.type}`)] += 1;
  if (r.type === 'product_view' && r.sku !== '')
    s.addDistinct(s.at(i), slot('skus_viewed'), idOf(r.sku));
  if (r.type === 'product_view' && r.category !== '')
    s.addDistinct(s.at(i), slot('categories_viewed'), idOf(r.category));
  v[o + slot('last_ts')] = Math.max(v[o + slot('last_ts')], r.tsMs);
  v[o + slot('first_ts')] = Math.min(v[o + slot('first_ts')], r.tsMs);
};

/** user/order measures, line by line (money in 1/10,000: the Decimal(…, 4) of the rollup). */
const orderRow: RowFn<OnlineOrderLine> = (s, i, r, slot) => {
  const o = s.base(i);
  const v = s.r;
  const placed = r.type === PLACED;
  if (placed && r.lineNo === 0) v[o + slot('n_orders')] += 1;
  if (r.type === 'order_cancelled' && r.lineNo === 0) v[o + slot('n_cancellations')] += 1;
  if (placed) {
    v[o + slot('units')] += r.qty;
    v[o + slot('spend')] += r.qty * Math.round(r.unitPrice * 10_000);
    v[o + slot('last_order_ts')] = Math.max(v[o + slot('last_order_ts')], r.tsMs);
    v[o + slot('first_order_ts')] = Math.min(v[o + slot('first_order_ts')], r.tsMs);
  }
};

/** Warm-up SELECT of one source: the rollup's state expressions, minute buckets, plain values. */
function warmupSql(spec: RollupSpec, slots: Slot[]): string {
  const exprs = spec.measures.map((m, i) => {
    const s = slots[i];
    switch (s.kind) {
      case 'uniq':
        return m.state.replace(/^uniqExactState(If)?\(/, 'groupUniqArray$1(');
      case 'money':
        return `toFloat64(toInt64(${m.state} * 10000))`;
      case 'max_ts':
      case 'min_ts':
        return `toFloat64(toUnixTimestamp64Milli(${m.state}))`;
      default:
        return `toFloat64(${m.state})`;
    }
  });
  const nums = slots.flatMap((s, i) => (s.kind === 'uniq' ? [] : [exprs[i]]));
  const sets = slots.flatMap((s, i) => (s.kind === 'uniq' ? [exprs[i]] : []));
  return (
    `SELECT ${spec.keyColumn} AS k, toFloat64(toUnixTimestamp(toStartOfMinute(ts))) * 1000 AS mb,\n` +
    `  [${nums.join(', ')}] AS nums, [${sets.length > 0 ? sets.join(', ') : ''}] AS sets\n` +
    `FROM ${spec.rawTable}\n` +
    `WHERE ts >= fromUnixTimestamp64Milli({lo:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({hi:Int64}, 'UTC')\n` +
    `  AND ({all:UInt8} = 1 OR (has({tps:Array(String)}, concat(_topic, '/', toString(_partition)))\n` +
    `  AND _offset <= {maxs:Array(UInt64)}[indexOf({tps:Array(String)}, concat(_topic, '/', toString(_partition)))]))\n` +
    `GROUP BY k, mb`
  );
}

export interface OnlineStatus {
  state: 'off' | 'warming' | 'ready' | 'failed';
  /** Buckets from this time on are complete (epoch ms). */
  coveredFromMs: number | null;
  users: number;
  /** Minute buckets held (clicks and orders). */
  buckets: number;
  /** Hour buckets held (clicks and orders). */
  hourBuckets: number;
  /**
   * Bytes the users' bucket arrays take (allocated, so with the slack of their doubling growth).
   * Minute and hour buckets are kept for the whole horizon (29 days + 1 h): under a steady load
   * this grows until the oldest live bucket leaves the horizon.
   */
  bytes: number;
  warmupMs: number | null;
  appliedRows: number;
  skippedRows: number;
  /** Users with a lifetime accumulator (events before the horizon), and those inexact (lifetimeExact). */
  lifetimeUsers: number;
  lifetimeInexact: number;
  error?: string;
}

export interface OnlineOptions {
  /**
   * The ingest ledger pipeline feeding this store live ('aggregator'): the warm-up loads only the
   * chunks it had marked done. Omit when nothing ingests while the store runs (benches, tools):
   * the warm-up then loads every stored row.
   */
  pipeline?: string;
  /** Wall clock (tests and benches move it). */
  now?: () => number;
  /** Progress lines during warm-up. */
  onProgress?: (line: string) => void;
}

/** The online tier (user entity). Thread of control: all mutations run on the JS thread. */
export class OnlineFeatureStore {
  /** Every user's series (see {@link UserSeries}). */
  private readonly users = new Map<string, UserSeries>();
  /**
   * Lifetime accumulators: per user, [click, order] numeric measures (Series row layout) merged over
   * every hour bucket before the horizon (`coveredFrom`), from the hour rollups at warm-up and folded
   * from the evicted hour buckets afterwards. Kept when a user's series are evicted.
   */
  private base = new Map<string, (Float64Array | undefined)[]>();
  /** Users with a row older than the horizon applied live: their base may lack it (see lifetimeExact). */
  private dirty = new Set<string>();
  private readonly click: SourceBuckets<OnlineClick>;
  private readonly order: SourceBuckets<OnlineOrderLine>;
  private readonly defs: FeatureDef[];
  private readonly groups: TableGroup[];
  private readonly activity: ('click' | 'order')[];
  /** The plan's aggregates, resolved once: source (0 click, 1 order), column, kind, window bound. */
  private readonly compiled: {
    /** Per source and window end (granularity): windows by increasing span, with their aggregates. */
    passes: Pass[];
    nAggs: number;
    program: FeatureProgram;
    /** Per source (0 click, 1 order): the numeric columns the lifetime aggregates read. */
    lifetimeCols: { index: number; kind: MeasureKind; name: string }[][];
  };
  private readonly now: () => number;
  private state: OnlineStatus['state'] = 'off';
  private coveredFrom: number | null = null;
  private snapshot = new Map<string, number>();
  /** Offsets whose chunk is in the tier: the warm-up's snapshot, then every chunk applied. */
  private readonly appliedOffsets = new AppliedRanges();
  private pending: StoredRows[] = [];
  private warmupMs: number | null = null;
  private error: string | undefined;
  private applied = 0;
  private skipped = 0;
  private stopping = false;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly opts: OnlineOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.click = new SourceBuckets(findRollup('user', 'click'), clickRow, this.users, CLICK);
    this.order = new SourceBuckets(findRollup('user', 'order'), orderRow, this.users, ORDER);
    this.defs = featuresOf('user');
    this.groups = plan('user', this.defs);
    this.activity = activityNeeds(this.defs);
    // every aggregate the plan needs must be a measure the online store keeps
    const passes: Pass[] = [];
    const aliasIndex = new Map<string, number>();
    let nAggs = 0;
    for (const grp of this.groups) {
      const buckets = this.source(grp.source);
      const series = buckets.base + (grp.g === '1h' ? HR : MIN);
      let pass = passes.find((p) => p.series === series);
      if (!pass) {
        pass = {
          series,
          g: grp.g,
          windows: [],
          ops: opsOf(buckets.slots),
          uniq: [],
          uniqOf: new Int8Array(buckets.slots.length).fill(-1),
          stamps: new Uint32Array(buckets.slots.length),
          counts: new Float64Array(buckets.slots.length),
        };
        passes.push(pass);
      }
      for (const a of grp.aggs) {
        const slot = buckets.slot(a.ref.measure);
        let w = pass.windows.find((x) => x.window === a.window);
        if (!w) pass.windows.push((w = { window: a.window, aggs: [] }));
        aliasIndex.set(a.alias, nAggs);
        const agg = { j: nAggs++, kind: slot.kind, index: slot.index };
        w.aggs.push(agg);
        if (a.window === LIFETIME)
          (pass.lifetime ??= { src: grp.source === 'click' ? 0 : 1, aggs: [] }).aggs.push(agg);
        if (slot.kind === 'uniq' && pass.uniqOf[slot.index] < 0) {
          pass.uniqOf[slot.index] = pass.uniq.length;
          pass.uniq.push(slot.index);
        }
      }
    }
    for (const p of passes)
      p.windows.sort((x, y) => WINDOW_SECONDS[x.window] - WINDOW_SECONDS[y.window]);
    const program = compileFeatures(this.defs, (alias) => aliasIndex.get(alias) ?? -1);
    const lifetimeCols: { index: number; kind: MeasureKind; name: string }[][] = [[], []];
    for (const grp of this.groups.filter((g) => g.lifetime)) {
      if (grp.g !== '1h') throw new Error('online store: lifetime aggregates read hour buckets');
      const src = grp.source === 'click' ? 0 : 1;
      for (const a of grp.aggs) {
        const slot = this.source(grp.source).slot(a.ref.measure);
        if (!lifetimeCols[src].some((x) => x.index === slot.index))
          lifetimeCols[src].push({ index: slot.index, kind: slot.kind, name: slot.name });
      }
    }
    this.compiled = { passes, nAggs, program, lifetimeCols };
  }

  /** The columns of this tier's lookups: every user feature, in catalog order. */
  get features(): readonly string[] {
    return this.compiled.program.names;
  }

  private source(s: SourceKind): SourceBuckets<OnlineClick> | SourceBuckets<OnlineOrderLine> {
    if (s === 'click') return this.click;
    if (s === 'order') return this.order;
    throw new Error(`online store: user features have no ${s} source`);
  }

  status(): OnlineStatus {
    return {
      state: this.state,
      coveredFromMs: this.coveredFrom,
      users: this.users.size,
      ...this.size(),
      warmupMs: this.warmupMs,
      appliedRows: this.applied,
      skippedRows: this.skipped,
      lifetimeUsers: this.base.size,
      lifetimeInexact: this.dirty.size,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  /** Whether a lookup of user features at `tMs` is answered here (ready, and t's windows within the horizon). */
  covers(tMs: number): boolean {
    return (
      this.state === 'ready' &&
      this.coveredFrom !== null &&
      windowBoundsMs(tMs, '1h', '28d')[0] >= this.coveredFrom
    );
  }

  /**
   * Loads the horizon from the raw tables, day by day (progress), cut at a per-partition offset
   * snapshot taken first; then applies the chunks that arrived meanwhile (rows above the snapshot).
   */
  async warmUp(): Promise<void> {
    const t0 = Date.now();
    this.state = 'warming';
    try {
      const now = this.now();
      const from = Math.floor(now / HOUR) * HOUR - HORIZON_MS;
      const to = now + 7 * 86_400_000; // events up to the max future skew are stored too
      const snap = new Map<string, number>();
      if (this.opts.pipeline !== undefined) {
        const rows = await queryRows<{ tp: string; m: string }>(
          this.client,
          `SELECT concat(topic, '/', toString(partition)) AS tp, toString(max(last_offset)) AS m
           FROM ingest_ledger FINAL WHERE pipeline = {p:String} AND state = 'done' GROUP BY tp`,
          { p: this.opts.pipeline },
        );
        for (const r of rows) snap.set(r.tp, Number(r.m));
      }
      const all = this.opts.pipeline === undefined ? 1 : 0;
      const tps = [...snap.keys()];
      const maxs = tps.map((k) => snap.get(k)!);
      const days: number[] = [];
      for (let d = Math.floor(from / 86_400_000) * 86_400_000; d < to; d += 86_400_000)
        days.push(d);
      let loaded = 0;
      for (const [i, d] of days.entries()) {
        if (this.stopping) {
          this.state = 'off';
          this.pending = [];
          return;
        }
        const lo = Math.max(d, from);
        const hi = Math.min(d + 86_400_000, to);
        for (const src of [this.click, this.order] as const) {
          const rs = await this.client.query({
            query: warmupSql(src.spec, src.slots),
            query_params: { lo, hi, tps, maxs, all },
            format: 'JSONCompactEachRow',
          });
          const rows = await rs.json<[string, number, number[], string[][]]>();
          for (const [k, mb, nums, sets] of rows) src.mergeBucket(k, mb, nums, sets);
          loaded += rows.length;
        }
        if (i % 7 === 6 || i === days.length - 1)
          this.opts.onProgress?.(
            `[online] warm-up ${(((i + 1) / days.length) * 100).toFixed(0)}%  ${new Date(d).toISOString().slice(0, 10)}  ${loaded} minute buckets  ${((Date.now() - t0) / 1000).toFixed(1)} s`,
          );
      }
      // after the ledger snapshot: every chunk done before it is in the rollups read here
      this.base = await this.loadBase(from);
      this.snapshot = snap;
      for (const [tp, last] of snap) {
        const cut = tp.lastIndexOf('/');
        this.appliedOffsets.add(tp.slice(0, cut), Number(tp.slice(cut + 1)), 0, last);
      }
      this.coveredFrom = from;
      this.state = 'ready';
      const queued = this.pending;
      this.pending = [];
      for (const c of queued) this.apply(c);
      this.warmupMs = Date.now() - t0;
    } catch (e) {
      this.state = 'failed';
      this.error = (e as Error).message;
      throw e;
    }
  }

  /** Stops a running warm-up at the next day boundary (shutdown); lookups go to ClickHouse. */
  stop(): void {
    this.stopping = true;
  }

  /** A durable chunk's rows (called by the aggregator after its ledger says 'done'). */
  onStored(c: StoredRows): void {
    if (this.stopping) return;
    if (this.state === 'warming' || this.state === 'off') {
      this.pending.push(c);
      return;
    }
    if (this.state === 'ready') this.apply(c);
  }

  /**
   * Whether the chunk holding this offset of a storefront topic-partition is in the tier (loaded by
   * the warm-up or applied since). False while the tier is not ready.
   */
  isApplied(topic: string, partition: number, offset: number): boolean {
    return this.state === 'ready' && this.appliedOffsets.has(topic, partition, offset);
  }

  private apply(c: StoredRows): void {
    const n = (c.clicks?.length ?? 0) + (c.orderLines?.length ?? 0);
    this.appliedOffsets.add(c.topic, c.partition, c.firstOffset, c.lastOffset ?? c.firstOffset);
    // done at the snapshot → already in the warm-up
    if (c.firstOffset <= (this.snapshot.get(`${c.topic}/${c.partition}`) ?? -1)) {
      this.skipped += n;
      return;
    }
    const from = this.coveredFrom ?? -Infinity;
    // a row older than the horizon: the rollups have it, the user's accumulator may not
    for (const r of c.clicks ?? [])
      if (r.tsMs >= from) this.click.addRow(r);
      else this.dirty.add(r.userId);
    for (const r of c.orderLines ?? [])
      if (r.tsMs >= from) this.order.addRow(r);
      else this.dirty.add(r.userId);
    this.applied += n;
  }

  /** Minute buckets held (clicks and orders). */
  private size(): { buckets: number; hourBuckets: number; bytes: number } {
    let buckets = 0;
    let hourBuckets = 0;
    let bytes = 0;
    for (const u of this.users.values()) {
      buckets += (u[CLICK + MIN]?.n ?? 0) + (u[ORDER + MIN]?.n ?? 0);
      hourBuckets += (u[CLICK + HR]?.n ?? 0) + (u[ORDER + HR]?.n ?? 0);
      for (const series of u) if (series) bytes += series.r.byteLength + series.e.byteLength;
    }
    for (const b of this.base.values()) for (const a of b) bytes += a?.byteLength ?? 0;
    return { buckets, hourBuckets, bytes };
  }

  /** Drops buckets that fell out of the horizon (call periodically). */
  evict(): void {
    if (this.state !== 'ready' || this.coveredFrom === null) return;
    const from = Math.floor(this.now() / HOUR) * HOUR - HORIZON_MS;
    if (from <= this.coveredFrom) return;
    for (const [user, u] of this.users) {
      let left = 0;
      this.fold(user, u[CLICK + HR], 0, from);
      this.fold(user, u[ORDER + HR], 1, from);
      for (const series of u) left += series?.dropBefore(from) ?? 0;
      if (left === 0) this.users.delete(user);
    }
    this.coveredFrom = from;
  }

  /**
   * Whether the lifetime columns of this user are exact here: false after a row of the user older
   * than the horizon was applied live (possible only with an allowed lateness above 29 days) until
   * the next {@link refreshLifetimeBase}. FeatureStore then takes those columns from ClickHouse.
   */
  lifetimeExact(id: string): boolean {
    return !this.dirty.has(id);
  }

  /**
   * Re-reads the lifetime accumulators from the hour rollups before the horizon (call periodically,
   * e.g. hourly: follows the rollup TTL dropping old buckets, and makes users exact again whose late
   * rows were applied before the query started — those are in the rollups by then). Skipped when an
   * eviction moved the horizon meanwhile.
   */
  async refreshLifetimeBase(): Promise<boolean> {
    const from = this.coveredFrom;
    if (this.state !== 'ready' || from === null) return false;
    const dirtyBefore = this.dirty;
    this.dirty = new Set();
    let base: Map<string, (Float64Array | undefined)[]>;
    try {
      base = await this.loadBase(from);
    } catch (e) {
      for (const u of dirtyBefore) this.dirty.add(u);
      throw e;
    }
    if (this.coveredFrom !== from) {
      for (const u of dirtyBefore) this.dirty.add(u);
      return false;
    }
    this.base = base;
    return true;
  }

  /** The lifetime accumulators of every user: hour rollups with bucket < `fromMs`. */
  private async loadBase(fromMs: number): Promise<Map<string, (Float64Array | undefined)[]>> {
    const base = new Map<string, (Float64Array | undefined)[]>();
    for (const [src, buckets] of [this.click, this.order].entries()) {
      const cols = this.compiled.lifetimeCols[src];
      if (cols.length === 0) continue;
      const exprs = cols.map((col) => {
        switch (col.kind) {
          case 'money':
            return `toFloat64(toInt64(sum(${col.name}) * 10000))`;
          case 'max_ts':
            return `toFloat64(toUnixTimestamp64Milli(max(${col.name})))`;
          case 'min_ts':
            return `toFloat64(toUnixTimestamp64Milli(min(${col.name})))`;
          default:
            return `toFloat64(sum(${col.name}))`;
        }
      });
      const rs = await this.client.query({
        query:
          `SELECT user_id AS k, [${exprs.join(', ')}] AS v FROM ${rollupTable('user', buckets.spec.source, '1h')}\n` +
          `WHERE bucket < toDateTime({from:Int64}, 'UTC') GROUP BY user_id`,
        query_params: { from: Math.floor(fromMs / 1000) },
        format: 'JSONCompactEachRow',
      });
      const rows = await rs.json<[string, number[]]>();
      for (const [k, v] of rows) {
        let b = base.get(k);
        if (!b) base.set(k, (b = [undefined, undefined]));
        const arr = (b[src] = buckets.initialRow());
        cols.forEach((col, i) => (arr[col.index] = Number(v[i])));
      }
    }
    return base;
  }

  /** Merges the user's hour buckets before `to` into its lifetime accumulator (before eviction). */
  private fold(user: string, s: Series | undefined, src: 0 | 1, to: number): void {
    if (!s || s.n === 0 || s.at(0) >= to) return;
    const sb = src === 0 ? this.click : this.order;
    let b = this.base.get(user);
    if (!b) this.base.set(user, (b = [undefined, undefined]));
    const acc = (b[src] ??= sb.initialRow());
    const ops = sb.ops;
    const end = s.lowerBound(to);
    for (let i = 0; i < end; i++) {
      const o = s.base(i);
      for (let c = 0; c < acc.length; c++) {
        const x = s.r[o + c];
        if (ops[c] === 1) acc[c] = Math.max(acc[c], x);
        else if (ops[c] === 2) acc[c] = Math.min(acc[c], x);
        else acc[c] += x;
      }
    }
  }

  /**
   * Features of these users at `tMs` (must be {@link covers}). `found` = any bucket before the start
   * of t's minute within the horizon; callers resolve users not found here against ClickHouse.
   */
  lookup(ids: readonly string[], tMs: number): EntityFeatures[] {
    return matrixRows(this.lookupMatrix(ids, tMs));
  }

  /**
   * {@link lookup} as a matrix (one row per id, in order; see {@link FeatureMatrix}). `pending`: rows
   * not in the tier yet, folded into their users' buckets for this lookup only (the scorer's
   * events whose chunk is not durable yet); `found` counts them.
   */
  lookupMatrix(ids: readonly string[], tMs: number, pending?: PendingRows): FeatureMatrix {
    const t = Math.floor(tMs);
    const c = this.compiled;
    const m = emptyMatrix('user', c.program.names, ids, t);
    const width = c.program.names.length;
    const endMinute = windowBoundsMs(t, '1m', '15m')[1];
    const actFrom = windowBoundsMs(t, '1h', '28d')[0];
    const vals = new Float64Array(c.nAggs);
    const acc = new Float64Array(Math.max(this.click.slots.length, this.order.slots.length));
    const ends = {
      '1m': windowBoundsMs(t, '1m', '15m')[1],
      '1h': windowBoundsMs(t, '1h', '28d')[1],
    };
    const starts = c.passes.map((p) => p.windows.map((w) => windowBoundsMs(t, p.g, w.window)[0]));
    for (let row = 0; row < ids.length; row++) {
      const id = ids[row];
      let u = this.users.get(id);
      const p = pending?.get(id);
      if (p) u = this.withPending(u, p);
      const clicks = u?.[CLICK + MIN];
      const orders = u?.[ORDER + MIN];
      const found =
        (clicks !== undefined && clicks.n > 0 && clicks.at(0) < endMinute) ||
        (orders !== undefined && orders.n > 0 && orders.at(0) < endMinute);
      m.found[row] = found ? 1 : 0;
      vals.fill(0);
      for (let pi = 0; pi < c.passes.length; pi++) {
        const pass = c.passes[pi];
        const series = u?.[pass.series];
        if (!series || series.n === 0) continue;
        runPass(pass, series, ends[pass.g], starts[pi], acc, vals);
      }
      const b = this.base.get(id);
      if (b) for (const pass of c.passes) if (pass.lifetime) mergeBase(pass.lifetime, b, vals);
      const act =
        this.activity.length > 0
          ? this.activityOf(clicks, orders, actFrom, endMinute)
          : NO_ACTIVITY;
      evaluateInto(c.program, vals, t, act, m.values, row * width);
    }
    return m;
  }

  /** The user's series with pending rows folded into copies (rows before the horizon are left out). */
  private withPending(u: UserSeries | undefined, p: PendingUserRows): UserSeries | undefined {
    const from = this.coveredFrom ?? -Infinity;
    const clicks = p.clicks.filter((r) => r.tsMs >= from);
    const lines = p.orderLines.filter((r) => r.tsMs >= from);
    let out = u;
    if (clicks.length > 0) out = this.click.withRows(out, clicks);
    if (lines.length > 0) out = this.order.withRows(out, lines);
    return out;
  }

  /** Scratch buffers for a user's session activity (reused user after user: no garbage per lookup). */
  private actClicks = new Float64Array(1024);
  private actOrders = new Float64Array(256);

  /** The user's minute-bucket activity in [from, to) as sessions.ts reads it (views on scratch space). */
  private activityOf(
    clicks: Series | undefined,
    orders: Series | undefined,
    from: number,
    to: number,
  ): Activity {
    let nc = 0;
    if (clicks) {
      const cs = this.click.slot(ACTIVITY_MEASURES.click.first).index;
      const cl = this.click.slot(ACTIVITY_MEASURES.click.last).index;
      const cc = this.click.slot(ACTIVITY_MEASURES.click.carts).index;
      const lo = clicks.lowerBound(from);
      const hi = clicks.lowerBound(to);
      if ((hi - lo) * CLICK_STRIDE > this.actClicks.length)
        this.actClicks = new Float64Array((hi - lo) * CLICK_STRIDE * 2);
      const a = this.actClicks;
      const r = clicks.r;
      for (let i = lo; i < hi; i++) {
        const o = clicks.base(i);
        a[nc] = r[o - 1];
        a[nc + 1] = r[o + cs];
        a[nc + 2] = r[o + cl];
        a[nc + 3] = r[o + cc];
        nc += CLICK_STRIDE;
      }
    }
    let no = 0;
    if (orders) {
      const on = this.order.slot(ACTIVITY_MEASURES.order.placed).index;
      const of = this.order.slot(ACTIVITY_MEASURES.order.first).index;
      const ol = this.order.slot(ACTIVITY_MEASURES.order.last).index;
      const lo = orders.lowerBound(from);
      const hi = orders.lowerBound(to);
      if ((hi - lo) * ORDER_STRIDE > this.actOrders.length)
        this.actOrders = new Float64Array((hi - lo) * ORDER_STRIDE * 2);
      const a = this.actOrders;
      const r = orders.r;
      for (let i = lo; i < hi; i++) {
        const o = orders.base(i);
        if (r[o + on] <= 0) continue;
        a[no] = r[o - 1];
        a[no + 1] = r[o + of];
        a[no + 2] = r[o + ol];
        no += ORDER_STRIDE;
      }
    }
    return { clicks: this.actClicks.subarray(0, nc), orders: this.actOrders.subarray(0, no) };
  }
}

/**
 * The aggregates of one source at one window end: the windows share the end and nest, so one walk
 * backwards from the end visits each bucket (and each distinct entry) once, growing sums, maxima and
 * distinct counts window by window (the merge rules of the rollups: sum, max, union).
 */
interface Pass {
  /** Which of the user's series it reads ({@link UserSeries}). */
  series: number;
  g: Granularity;
  windows: { window: WindowName; aggs: { j: number; kind: MeasureKind; index: number }[] }[];
  /** Per numeric column: 0 sum (counts, money), 1 max, 2 min. */
  ops: Uint8Array;
  /** Hour passes: the lifetime aggregates, merged with the user's accumulator after the walk. */
  lifetime?: { src: 0 | 1; aggs: { j: number; kind: MeasureKind; index: number }[] };
  /** Distinct columns the pass needs. */
  uniq: number[];
  /** Per distinct column: its position in `uniq`, or −1 when the pass does not read it. */
  uniqOf: Int8Array;
  /** Scratch space for runPass (per position in `uniq`): the stamp and the running count. */
  stamps: Uint32Array;
  counts: Float64Array;
}

/** Adds a user's lifetime accumulator (before the horizon) to the lifetime aggregates of a pass. */
function mergeBase(
  life: NonNullable<Pass['lifetime']>,
  b: (Float64Array | undefined)[],
  vals: Float64Array,
): void {
  const row = b[life.src];
  if (!row) return;
  for (const a of life.aggs) {
    const x = row[a.index];
    if (a.kind === 'max_ts') vals[a.j] = Math.max(vals[a.j], x);
    // 0: the user has no series of this source in the horizon (times are > 0)
    else if (a.kind === 'min_ts') vals[a.j] = vals[a.j] > 0 ? Math.min(vals[a.j], x) : x;
    else if (a.kind === 'money') vals[a.j] += x / 10_000;
    else vals[a.j] += x;
  }
}

function opsOf(slots: Slot[]): Uint8Array {
  const ops = new Uint8Array(slots.filter((s) => s.kind !== 'uniq').length);
  for (const s of slots)
    if (s.kind !== 'uniq') ops[s.index] = s.kind === 'max_ts' ? 1 : s.kind === 'min_ts' ? 2 : 0;
  return ops;
}

function runPass(
  pass: Pass,
  s: Series,
  end: number,
  starts: number[],
  acc: Float64Array,
  vals: Float64Array,
): void {
  const w = s.width;
  const st = s.stride;
  const r = s.r;
  const ops = pass.ops;
  const nu = pass.uniq.length;
  acc.fill(0);
  for (let c = 0; c < w; c++) if (ops[c] === 2) acc[c] = Infinity;
  const stamps = pass.stamps;
  const counts = pass.counts;
  const uniqOf = pass.uniqOf;
  const marks = seen; // a local: the module binding may be reassigned (grow), which defeats optimisation
  for (let u = 0; u < nu; u++) {
    stamps[u] = nextStamp();
    counts[u] = 0;
  }
  const e = s.e;
  let i = s.lowerBound(end);
  let j = nu > 0 ? s.entryBound(end) : 0;
  for (let k = 0; k < pass.windows.length; k++) {
    const start = starts[k];
    // walk down to the window's start: every bucket on the way is read anyway (no binary search)
    while (i > 0 && r[(i - 1) * st] >= start) {
      i--;
      const o = i * st + 1;
      for (let c = 0; c < w; c++) {
        const op = ops[c];
        if (op === 0) acc[c] += r[o + c];
        else if (op === 1) {
          if (r[o + c] > acc[c]) acc[c] = r[o + c];
        } else if (r[o + c] < acc[c]) acc[c] = r[o + c];
      }
    }
    if (nu > 0)
      while (j > 0 && e[(j - 1) * 2] >= start) {
        j--;
        const code = e[j * 2 + 1];
        const slot = code % 128;
        const u = uniqOf[slot];
        if (u < 0) continue;
        const x = (code - slot) / 128;
        if (marks[x] !== stamps[u]) {
          marks[x] = stamps[u];
          counts[u]++;
        }
      }
    for (const a of pass.windows[k].aggs)
      vals[a.j] =
        a.kind === 'uniq'
          ? counts[uniqOf[a.index]]
          : a.kind === 'money'
            ? acc[a.index] / 10_000
            : acc[a.index];
  }
}

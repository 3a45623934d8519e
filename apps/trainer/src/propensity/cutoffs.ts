// Training cut-offs and labels for purchase propensity: which instants t become examples, how they are
// split by time (never at random), and the label rule P(≥ 1 order_placed in [t, t + H)).

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface CutoffPlanInput {
  /** Earliest event time in the store. */
  dataStartMs: number;
  /** Latest event time in the store: a label is complete only when t + H ≤ watermark. */
  watermarkMs: number;
  horizonMs: number;
  /** Spacing of the grid; cut-offs are multiples of it since the epoch (stable across runs). */
  everyMs: number;
  /** Sliding window: training cut-offs no older than test − window. */
  windowMs: number;
  /** History a user needs before the first cut-off (features need a past). Default 24 h. */
  minHistoryMs?: number;
  /**
   * How training is kept apart from validation (test is always purged by time: every training and
   * validation label ends by the test cut-off).
   * - `time` (default): training cut-offs have t + H ≤ validation, so no training label overlaps the
   *   validation period at all. On a short history this leaves training only the oldest cut-offs.
   * - `users`: training cut-offs run up to the one before validation; a training row whose label
   *   window overlaps the validation labels (t + H > validation) must not be of a validation user
   *   (the builder leaves those users out there). Rows of one user never share a label period across
   *   the split; other users share only the calendar (promotions, seasonality).
   */
  purge?: 'time' | 'users';
}

export interface CutoffPlan {
  train: number[];
  validation: number[];
  test: number[];
  /**
   * Training cut-offs t > this (t + H > validation) overlap the validation labels: with purge
   * `users` they must leave the validation users out. Infinity with purge `time` (none overlap).
   */
  userPurgeAfterMs: number;
}

export class NotEnoughHistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotEnoughHistoryError';
  }
}

/**
 * Hour-aligned cut-offs t with t + H ≤ watermark, split by time with purging: the test cut-off is the
 * latest; the validation cut-off is the latest t with t + H ≤ test (its labels end before the test
 * features start); training cut-offs have t + H ≤ validation (purge `time`), so no training label
 * peeks into the validation or test period, or run up to validation (purge `users`; see
 * {@link CutoffPlanInput.purge}), every training label still ending by the test cut-off.
 */
export function planCutoffs(p: CutoffPlanInput): CutoffPlan {
  const every = Math.max(HOUR_MS, Math.round(p.everyMs / HOUR_MS) * HOUR_MS);
  const first = Math.ceil((p.dataStartMs + (p.minHistoryMs ?? DAY_MS)) / every) * every;
  const last = Math.floor((p.watermarkMs - p.horizonMs) / every) * every;
  const need = `need at least ${fmt(3 * p.horizonMs + (p.minHistoryMs ?? DAY_MS) + every)} of history (three horizons: train labels, validation, test)`;
  if (last < first)
    throw new NotEnoughHistoryError(
      `no complete label: data spans ${iso(p.dataStartMs)} – ${iso(p.watermarkMs)}, ${need}`,
    );
  const test = last;
  const validation = Math.floor((test - p.horizonMs) / every) * every;
  const byUsers = p.purge === 'users';
  const trainLast = byUsers
    ? validation - every
    : Math.floor((validation - p.horizonMs) / every) * every;
  const trainFirst = Math.max(first, test - p.windowMs);
  if (validation < first || trainLast < trainFirst)
    throw new NotEnoughHistoryError(
      `too little history for a time split with horizon ${fmt(p.horizonMs)}: data spans ${iso(p.dataStartMs)} – ${iso(p.watermarkMs)}, ${need}`,
    );
  const train: number[] = [];
  for (let t = trainFirst; t <= trainLast; t += every) train.push(t);
  return {
    train,
    validation: [validation],
    test: [test],
    userPurgeAfterMs: byUsers ? validation - p.horizonMs : Infinity,
  };
}

/** Label: at least one order time in [t, t + H). `orderTimes` ascending. */
export function hasOrderIn(orderTimes: ArrayLike<number>, t: number, horizonMs: number): boolean {
  let lo = 0;
  let hi = orderTimes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((orderTimes[mid] ?? Infinity) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo < orderTimes.length && (orderTimes[lo] ?? Infinity) < t + horizonMs;
}

/** Deterministic pseudo-random number in [0, 1) for (user, t, salt). */
export function unitHash(userId: string, t: number, salt: number): number {
  // FNV-1a over salt, hour and the id, then a murmur3 finaliser for avalanche.
  let h = 0x811c9dc5 ^ salt;
  const mix = (c: number) => {
    h ^= c;
    h = Math.imul(h, 0x01000193);
  };
  const hour = Math.floor(t / HOUR_MS);
  for (let k = 0; k < 4; k++) mix((hour >>> (8 * k)) & 0xff);
  mix(Math.floor(hour / 2 ** 32) & 0xff);
  for (let i = 0; i < userId.length; i++) mix(userId.charCodeAt(i));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Up to `cap` users, a deterministic sample that does not depend on the input order. */
export function sampleUsers(users: readonly string[], t: number, cap: number): string[] {
  if (users.length <= cap) return [...users].sort();
  return users
    .map((u) => ({ u, r: unitHash(u, t, 0x5a3f) }))
    .sort((a, b) => a.r - b.r)
    .slice(0, cap)
    .map((x) => x.u)
    .sort();
}

/** Negative subsampling: keep a negative with probability `rate`; its weight is then 1 / rate. */
export function keepNegative(userId: string, t: number, rate: number): boolean {
  return rate >= 1 || unitHash(userId, t, 0x0e9a) < rate;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
function fmt(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS}d` : `${Math.round(ms / HOUR_MS)}h`;
}

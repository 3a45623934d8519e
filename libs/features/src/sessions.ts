import { SESSION_GAP_MS, type SessionStat } from './catalog';

/**
 * A user's minute-bucket activity, as the session features read it (sorted by bucket):
 * - `clicks`: flattened `[bucketMs, firstMs, lastMs, addToCarts]` per clickstream minute bucket;
 * - `orders`: flattened `[bucketMs, firstMs, lastMs]` per minute bucket with a placed order.
 */
export interface Activity {
  clicks: ArrayLike<number>;
  orders: ArrayLike<number>;
}

export const CLICK_STRIDE = 4;
export const ORDER_STRIDE = 3;

export interface SessionStats {
  sessions: number;
  /** Sum over sessions of (last − first event time), ms. */
  totalMs: number;
  /** Closed sessions (no event for 30 min before the window end) with an add-to-cart. */
  closedCartSessions: number;
  /** Of those, sessions with no order placed in [first event, last event + 30 min). */
  abandoned: number;
}

/**
 * Sessions of the events in [startMs, endMs) (bucket-aligned bounds), split where two consecutive
 * events are at least {@link SESSION_GAP_MS} apart. Exact from minute buckets: two events of one
 * minute are < 1 min apart, so a gap can only fall between buckets, where it is
 * `first(next bucket) − last(previous bucket)`. Whether an order falls in [a, b) (b − a ≥ 30 min) is
 * exact from an order bucket's first and last times, because a one-minute bucket cannot contain such
 * an interval.
 */
export function sessionStats(a: Activity, startMs: number, endMs: number): SessionStats {
  const out: SessionStats = { sessions: 0, totalMs: 0, closedCartSessions: 0, abandoned: 0 };
  const c = a.clicks;
  const o = a.orders;
  let oi = 0;
  const ordered = (from: number, to: number): boolean => {
    // orders are sorted and sessions come in time order: skip buckets that end before `from`
    while (oi < o.length && o[oi + 2] < from) oi += ORDER_STRIDE;
    for (let j = oi; j < o.length && o[j] < to; j += ORDER_STRIDE) {
      if (o[j] < startMs || o[j] >= endMs) continue;
      const first = o[j + 1];
      const last = o[j + 2];
      if ((first >= from && first < to) || (last >= from && last < to)) return true;
    }
    return false;
  };
  let open = false;
  let first = 0;
  let last = 0;
  let cart = false;
  const close = () => {
    out.sessions++;
    out.totalMs += last - first;
    if (cart && last + SESSION_GAP_MS <= endMs) {
      out.closedCartSessions++;
      if (!ordered(first, last + SESSION_GAP_MS)) out.abandoned++;
    }
  };
  for (let i = 0; i < c.length; i += CLICK_STRIDE) {
    const bucket = c[i];
    if (bucket < startMs || bucket >= endMs) continue;
    const f = c[i + 1];
    const l = c[i + 2];
    if (open && f - last >= SESSION_GAP_MS) {
      close();
      open = false;
    }
    if (!open) {
      open = true;
      first = f;
      last = l;
      cart = false;
    }
    if (l > last) last = l;
    if (c[i + 3] > 0) cart = true;
  }
  if (open) close();
  return out;
}

/** The value of one session statistic (null where the catalog says so). */
export function sessionValue(stat: SessionStat, s: SessionStats): number | null {
  switch (stat) {
    case 'sessions':
      return s.sessions;
    case 'mean_seconds':
      return s.sessions > 0 ? s.totalMs / s.sessions / 1000 : null;
    case 'abandoned_carts':
      return s.abandoned;
    case 'cart_abandonment':
      return s.closedCartSessions > 0 ? s.abandoned / s.closedCartSessions : null;
  }
}

/** total / sessions (a per-session rate); null without sessions. */
export function perSession(total: number, s: SessionStats): number | null {
  return s.sessions > 0 ? total / s.sessions : null;
}

/**
 * Mean seconds between consecutive events of a session: the sessions' summed span over the gaps
 * inside them (`events` − sessions, `events` the clickstream events of the same window); null when
 * no session has two events.
 */
export function sessionGapSeconds(events: number, s: SessionStats): number | null {
  const gaps = events - s.sessions;
  return s.sessions > 0 && gaps > 0 ? s.totalMs / gaps / 1000 : null;
}

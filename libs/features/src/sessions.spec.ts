import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { featuresOf, isSessionBased, SESSION_GAP_MS, type FeatureDef } from './catalog';
import { featureValue, windowBoundsMs } from './query';
import { ReferenceFeatures, type RefClick, type RefOrderLine } from './reference';
import {
  perSession,
  sessionGapSeconds,
  sessionStats,
  sessionValue,
  type Activity,
} from './sessions';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

/** What the minute rollups hold for these events (as the materialized views aggregate them). */
function activityOf(clicks: RefClick[], orders: RefOrderLine[]): Activity {
  const cb = new Map<number, [number, number, number]>();
  for (const c of clicks) {
    const b = Math.floor(c.tsMs / MIN) * MIN;
    const x = cb.get(b) ?? [Infinity, -Infinity, 0];
    cb.set(b, [
      Math.min(x[0], c.tsMs),
      Math.max(x[1], c.tsMs),
      x[2] + (c.type === 'add_to_cart' ? 1 : 0),
    ]);
  }
  const ob = new Map<number, [number, number]>();
  for (const o of orders.filter((r) => r.type === 'order_placed')) {
    const b = Math.floor(o.tsMs / MIN) * MIN;
    const x = ob.get(b) ?? [Infinity, -Infinity];
    ob.set(b, [Math.min(x[0], o.tsMs), Math.max(x[1], o.tsMs)]);
  }
  return {
    clicks: [...cb.entries()].sort((a, b) => a[0] - b[0]).flatMap(([b, v]) => [b, ...v]),
    orders: [...ob.entries()].sort((a, b) => a[0] - b[0]).flatMap(([b, v]) => [b, ...v]),
  };
}

const click = (tsMs: number, type = 'page_view'): RefClick => ({
  type,
  userId: 'u',
  sku: '',
  category: '',
  price: null,
  tsMs,
});
const placed = (tsMs: number): RefOrderLine => ({
  type: 'order_placed',
  orderId: `o-${tsMs}`,
  userId: 'u',
  sku: 'S',
  category: '',
  lineNo: 0,
  qty: 1,
  unitPrice: 1,
  tsMs,
});

const CLICK_MEASURE_TYPE: Record<string, string> = {
  n_search: 'search',
  n_add_to_cart: 'add_to_cart',
  n_product_view: 'product_view',
  n_page_view: 'page_view',
  n_checkout_started: 'checkout_started',
};

/** The rollup total of a per-session feature's numerator over its window (0 for other kinds). */
function windowTotal(
  f: FeatureDef,
  clicks: RefClick[],
  orders: RefOrderLine[],
  at: number,
): number {
  const a = f.aggregation;
  const of = a.kind === 'per_session' ? a.of : a.kind === 'session_gap' ? a.events : undefined;
  if (!of) return 0;
  const [lo, hi] = windowBoundsMs(at, f.granularity, f.window);
  const inWin = (ts: number) => ts >= lo && ts < hi;
  if (of.source === 'order')
    return orders.filter((o) => o.type === 'order_placed' && o.lineNo === 0 && inWin(o.tsMs))
      .length;
  const type = CLICK_MEASURE_TYPE[of.measure];
  return clicks.filter((c) => inWin(c.tsMs) && (of.measure === 'n_events' || c.type === type))
    .length;
}

describe('sessions (30-minute inactivity gap) from minute buckets', () => {
  it('splits at a gap of exactly 30 minutes, not at 29:59.999', () => {
    const a = activityOf(
      [click(T0), click(T0 + SESSION_GAP_MS - 1), click(T0 + 2 * SESSION_GAP_MS - 1)],
      [],
    );
    const s = sessionStats(a, T0 - 60 * MIN, T0 + 300 * MIN);
    assert.equal(s.sessions, 2);
    assert.equal(s.totalMs, SESSION_GAP_MS - 1);
    assert.equal(sessionValue('mean_seconds', s), (SESSION_GAP_MS - 1) / 2 / 1000);
  });

  it('abandoned cart: closed session with an add-to-cart and no order within 30 min of its end', () => {
    const clicks = [
      click(T0),
      click(T0 + 5 * MIN, 'add_to_cart'), // session 1: cart, order 20 min after the end → converted
      click(T0 + 120 * MIN, 'add_to_cart'), // session 2: cart, order 31 min after → abandoned
      click(T0 + 240 * MIN, 'add_to_cart'), // session 3: cart, still open at the window end
    ];
    const orders = [placed(T0 + 25 * MIN), placed(T0 + 151 * MIN)];
    const a = activityOf(clicks, orders);
    const end = T0 + 260 * MIN;
    const s = sessionStats(a, T0, end);
    assert.deepEqual(s, {
      sessions: 3,
      totalMs: 5 * MIN,
      closedCartSessions: 2,
      abandoned: 1,
    });
    assert.equal(sessionValue('cart_abandonment', s), 0.5);
    // once session 3 is 30 min old, it counts as abandoned
    assert.equal(sessionStats(a, T0, T0 + 270 * MIN).abandoned, 2);
  });

  it('a window starting mid-session cuts the session at the window start', () => {
    const a = activityOf([click(T0), click(T0 + 10 * MIN), click(T0 + 20 * MIN)], []);
    const s = sessionStats(a, T0 + 10 * MIN, T0 + 60 * MIN);
    assert.equal(s.sessions, 1);
    assert.equal(s.totalMs, 10 * MIN);
    assert.equal(sessionValue('mean_seconds', sessionStats(a, T0 + 90 * MIN, T0 + 99 * MIN)), null);
  });

  it('per-session rates and the mean gap between a session’s events, by hand', () => {
    // session 1: 3 events over 40 s (2 gaps); session 2: 1 event; session 3: 2 events 10 s apart
    const clicks = [
      click(T0, 'search'),
      click(T0 + 15_000, 'product_view'),
      click(T0 + 40_000, 'add_to_cart'),
      click(T0 + 90 * MIN, 'page_view'),
      click(T0 + 200 * MIN, 'search'),
      click(T0 + 200 * MIN + 10_000, 'search'),
    ];
    const s = sessionStats(activityOf(clicks, []), T0, T0 + 300 * MIN);
    assert.equal(s.sessions, 3);
    assert.equal(perSession(6, s), 2);
    assert.equal(perSession(3, s), 1); // searches
    // (40 s + 0 s + 10 s) over (6 events − 3 sessions) gaps
    assert.equal(sessionGapSeconds(6, s), 50 / 3);
    // one-event sessions only: no gap to measure; no session: no rate
    const single = sessionStats(
      activityOf([click(T0), click(T0 + 60 * MIN)], []),
      T0,
      T0 + 2 * 60 * MIN,
    );
    assert.equal(sessionGapSeconds(2, single), null);
    const none = sessionStats(activityOf([], []), T0, T0 + MIN);
    assert.equal(perSession(0, none), null);
    assert.equal(sessionGapSeconds(0, none), null);
  });

  it('equals the raw-event oracle for every session feature on random histories', () => {
    const defs = featuresOf('user').filter((f) => isSessionBased(f.aggregation));
    // 4 statistics × 5 windows; 7 per-session rates and the mean event gap × 3 windows
    assert.equal(defs.length, 20 + 24);
    let seed = 7;
    const rnd = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    let nonTrivial = 0;
    let gaps = 0;
    for (let trial = 0; trial < 300; trial++) {
      const clicks: RefClick[] = [];
      const orders: RefOrderLine[] = [];
      let t = T0 + Math.floor(rnd() * 3_600_000);
      const n = 1 + Math.floor(rnd() * 40);
      for (let i = 0; i < n; i++) {
        // gaps around the 30-minute boundary, within a minute, and days long
        const r = rnd();
        t +=
          r < 0.3
            ? Math.floor(rnd() * 60_000)
            : r < 0.6
              ? SESSION_GAP_MS + Math.floor((rnd() - 0.5) * 120_000)
              : r < 0.9
                ? Math.floor(rnd() * 20 * MIN)
                : Math.floor(rnd() * 3 * 86_400_000);
        const r2 = rnd();
        clicks.push(click(t, r2 < 0.3 ? 'add_to_cart' : r2 < 0.45 ? 'search' : 'product_view'));
        if (rnd() < 0.15) orders.push(placed(t + Math.floor(rnd() * 40 * MIN)));
      }
      const oracle = new ReferenceFeatures('user', { clicks, orders, inventory: [] });
      const activity = activityOf(clicks, orders);
      for (let k = 0; k < 4; k++) {
        const at = T0 + Math.floor(rnd() * 10 * 86_400_000);
        for (const f of defs) {
          // the rollup total a per-session feature divides (what the rollups hold in its window)
          const got = featureValue(f, () => windowTotal(f, clicks, orders, at), at, activity);
          const want = oracle.value(f, 'u', at);
          if (want === null || got === null || f.aggregation.kind === 'session')
            assert.equal(got, want, `${f.name} at ${new Date(at).toISOString()} (trial ${trial})`);
          else
            // Σ span / Σ gaps in another order of summation
            assert.ok(
              Math.abs(got - want) <= 1e-9 * Math.abs(want),
              `${f.name}: ${got} vs ${want}`,
            );
          if (f.name.startsWith('user_abandoned_carts') && want !== 0) nonTrivial++;
          if (f.name.startsWith('user_mean_event_gap') && want !== null) gaps++;
        }
      }
    }
    assert.ok(nonTrivial > 50, `abandoned carts seen ${nonTrivial} times`);
    assert.ok(gaps > 200, `event gaps measured ${gaps} times`);
  });
});

/** TEMPORARY timing harness (not committed): cost of the lifetime columns on tier-served lookups. */
import { after, before, describe, it } from 'node:test';
import {
  createClickHouse,
  insertIdempotent,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { CLICKSTREAM_TYPES, toChDateTime64 } from '@storepulse/contracts';
import { testConfig } from '../../../test/support/env';
import { FeatureStore } from './store';
import { featuresOf } from './catalog';
import { boundValues, pointInTimeQuery } from './query';
import { queryRows } from '@storepulse/clickhouse';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 20, 12, 25, 17, 250);
const START = NOW - 400 * DAY;
const USERS = 3000;

describe('timing', () => {
  let ch: ClickHouseHandle;
  before(async () => {
    ch = await createClickHouse(testConfig().clickhouse);
    await runMigrations(ch.client);
    let seed = 5;
    const rnd = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    const int = (n: number) => Math.floor(rnd() * n);
    const byMonthC = new Map<string, object[]>();
    const byMonthO = new Map<string, object[]>();
    let off = 0;
    for (let u = 0; u < USERS; u++) {
      const userId = `u-${u}`;
      const bursts = 5 + int(70);
      for (let b = 0; b < bursts; b++) {
        let ts = b === 0 ? NOW - int(20 * HOUR) - 1 : START + int(400 * DAY);
        for (let e = 0; e < 5 && ts < NOW; e++) {
          const type = CLICKSTREAM_TYPES[int(CLICKSTREAM_TYPES.length)];
          const mo = new Date(ts).toISOString().slice(0, 7);
          const l = byMonthC.get(mo) ?? [];
          l.push({
            event_id: `00000000-0000-4000-8000-${String(off).padStart(12, '0')}`,
            type,
            user_id: userId,
            session_id: 's',
            ts: toChDateTime64(ts),
            sku: `S${int(200)}`,
            price: null,
            category: `c${int(10)}`,
            query: '',
            _topic: 'c',
            _partition: 0,
            _offset: off++,
          });
          byMonthC.set(mo, l);
          if (type === 'add_to_cart' && rnd() < 0.4) {
            const lo = byMonthO.get(mo) ?? [];
            lo.push({
              event_id: `00000000-0000-4000-9000-${String(off).padStart(12, '0')}`,
              type: 'order_placed',
              order_id: `o${off}`,
              user_id: userId,
              ts: toChDateTime64(ts),
              currency: 'EUR',
              line_no: 0,
              sku: 'S1',
              category: 'c1',
              qty: 1,
              unit_price: 9.99,
              _topic: 'o',
              _partition: 0,
              _offset: off++,
            });
            byMonthO.set(mo, lo);
          }
          ts += int(5 * 60_000);
        }
      }
    }
    const lim = { maxRows: 100_000, maxBytes: 1 << 28 };
    let n = 0;
    for (const [mo, rows] of byMonthC) {
      n += rows.length;
      await insertIdempotent(ch.client, 'clickstream_events', rows, `c/${mo}`, lim);
    }
    for (const [mo, rows] of byMonthO) {
      n += rows.length;
      await insertIdempotent(ch.client, 'order_lines', rows, `o/${mo}`, lim);
    }
    console.log(`rows ${n}`);
  });
  after(async () => {
    await ch?.close();
  });

  it('times', async () => {
    const plain = new FeatureStore(ch.client);
    const ids = Array.from({ length: USERS }, (_, u) => `u-${u}`);
    const life = featuresOf('user').filter((f) => f.window === 'lifetime');
    const lq = pointInTimeQuery('user', life);
    const rest = pointInTimeQuery('user', featuresOf('user').filter((f) => f.window !== 'lifetime'));
    const run = async (q: typeof lq, spine: { id: string; atMs: number }[]) => {
      const per = spine.map((x) => boundValues(q.groups, x.atMs, q.activity.length > 0));
      const sb: Record<string, number[]> = {};
      for (const n of Object.keys(per[0])) sb[`spine_${n}`] = per.map((b) => b[n]);
      const t0 = performance.now();
      await queryRows(ch.client, q.sql, { ...sb, spine_ids: spine.map((x) => x.id), spine_ts: spine.map((x) => x.atMs), keys: [...new Set(spine.map((x) => x.id))], lo: Math.floor((NOW - 400 * DAY) / 1000), hi: Math.floor(NOW / 1000) + 3600 });
      return performance.now() - t0;
    };
    const res: Record<string, number[]> = { full: [], lifetimeOnly: [], withoutLifetime: [] };
    for (let i = 0; i < 5; i++) {
      const spine = Array.from({ length: 1000 }, () => ({ id: ids[Math.floor(Math.random() * ids.length)], atMs: NOW - Math.floor(Math.random() * 300 * DAY) }));
      let t0 = performance.now();
      await plain.asOf('user', spine);
      res.full.push(performance.now() - t0);
      res.lifetimeOnly.push(await run(lq, spine));
      res.withoutLifetime.push(await run(rest, spine));
    }
    for (const [k, v] of Object.entries(res)) console.log(k, v.map((x) => x.toFixed(0)).join(' '));
  });
});


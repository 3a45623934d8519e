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
import { OnlineFeatureStore } from './online';
import { FeatureStore } from './store';

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
    const online = new OnlineFeatureStore(ch.client, { now: () => NOW });
    await online.warmUp();
    const tiered = new FeatureStore(ch.client, online);
    const plain = new FeatureStore(ch.client);
    const ids = Array.from({ length: USERS }, (_, u) => `u-${u}`);
    const pick = (k: number) =>
      Array.from({ length: k }, () => ids[Math.floor(Math.random() * ids.length)]);
    const time = async (n: number, f: () => unknown) => {
      const xs: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await f();
        xs.push(performance.now() - t0);
      }
      xs.sort((a, b) => a - b);
      return `p50 ${xs[Math.floor(n / 2)].toFixed(2)} ms / p99 ${xs[Math.floor(n * 0.99)].toFixed(2)} ms`;
    };
    for (let i = 0; i < 5; i++) {
      await tiered.lookupMatrix('user', pick(1000), NOW);
      online.lookupMatrix(pick(1000), NOW);
    }
    console.log(
      'tier only, 1 user      ',
      await time(300, () => online.lookupMatrix(pick(1), NOW)),
    );
    console.log(
      'tier+lifetime, 1 user  ',
      await time(300, () => tiered.lookupMatrix('user', pick(1), NOW)),
    );
    console.log(
      'tier only, 1000 users  ',
      await time(40, () => online.lookupMatrix(pick(1000), NOW)),
    );
    console.log(
      'tier+lifetime, 1000    ',
      await time(40, () => tiered.lookupMatrix('user', pick(1000), NOW)),
    );
    console.log(
      'ClickHouse full, 1000  ',
      await time(10, () => plain.lookupMatrix('user', pick(1000), NOW, 'if')),
    );
    console.log(
      'ClickHouse full, 1     ',
      await time(50, () => plain.lookupMatrix('user', pick(1), NOW, 'if')),
    );
    console.log(
      'asOf 1000 rows         ',
      await time(5, () =>
        plain.asOf(
          'user',
          pick(1000).map((id) => ({ id, atMs: NOW - Math.floor(Math.random() * 300 * DAY) })),
        ),
      ),
    );
    const [r] = await queryHourRows(ch);
    console.log(`hour rows: ${JSON.stringify(r)}`);
  });
});

async function queryHourRows(ch: ClickHouseHandle) {
  const rs = await ch.client.query({
    query:
      'SELECT (SELECT count() FROM fr_user_click_1h) AS c, (SELECT count() FROM fr_user_order_1h) AS o',
    format: 'JSONEachRow',
  });
  return rs.json<{ c: string; o: string }>();
}

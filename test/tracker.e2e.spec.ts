import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { waitFor } from './support/kafka';
import { tempDir, testBrokers } from './support/env';
import { ChildOutput, platformHttp, spawnPlatform } from './support/platform-child';

/**
 * The browser tracker end to end: a demo page on its own origin loads storepulse.js from the
 * all-in-one's collector (headless Chromium), tracks clicks and an order with a write key (one
 * fetch when the batch fills), and the rest goes out by sendBeacon when the page is closed. The
 * events must be stored in ClickHouse (the raw order read back) and appear in the user's online
 * features with exact counts.
 */
const CHROMIUM = '/usr/bin/chromium';
const HTTP_PORT = 30_000 + ((process.pid + 2_911) % 5_000);

interface UserFeatures {
  found: boolean;
  features: Record<string, number | null>;
}
interface RawOrder {
  lines: { sku: string; qty: number }[];
}

function demoPage(collector: string, key: string, user: string, order: string): string {
  return `<!doctype html><html><head><title>demo shop</title></head><body><h1>demo shop</h1>
<script type="module">
  import storepulse from '${collector}/v1/storepulse.js';
  window.errors = [];
  const t = storepulse.init({
    endpoint: '${collector}', key: '${key}', userId: '${user}',
    batchSize: 5, flushIntervalMs: 600000, onError: (e) => window.errors.push(e),
  });
  window.sp = t;
  storepulse.track('page_view');
  storepulse.track('product_view', { sku: 'TRK-1', price: 12.5, category: 'demo' });
  storepulse.track('product_view', { sku: 'TRK-2', price: 20, category: 'demo' });
  storepulse.track('add_to_cart', { sku: 'TRK-1', price: 12.5 });
  storepulse.track('order_placed', {
    order_id: '${order}', currency: 'EUR', items: [{ sku: 'TRK-1', qty: 2, unit_price: 12.5 }],
  });
  window.ready = true;
</script></body></html>`;
}

describe('browser tracker (storepulse.js) in Chromium against the running collector', () => {
  const out = new ChildOutput();
  const dataDir = tempDir('tracker-e2e');
  const key = `sp_e2e_${randomUUID()}`;
  const user = `tracker-user-${process.pid}`;
  const order = `tracker-order-${process.pid}`;
  const base = `http://127.0.0.1:${HTTP_PORT}`;
  const http = platformHttp(base);
  let child: ChildProcess | undefined;
  let pages: Server | undefined;
  let pageOrigin = '';
  let context: BrowserContext | undefined;
  let page: Page | undefined;

  before(async () => {
    pages = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(demoPage(base, key, user, order));
    });
    await new Promise<void>((r) => pages!.listen(0, '127.0.0.1', r));
    pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    const suffix = `${process.pid}-${Date.now()}`;
    child = spawnPlatform(
      {
        HTTP_PORT: String(HTTP_PORT),
        KAFKA_BROKERS: testBrokers().join(','),
        CLICKHOUSE_DATA_DIR: join(dataDir, 'chdb'),
        AGGREGATOR_GROUP_ID: `agg-${suffix}`,
        SIMULATOR_EVENTS_PER_SEC: '0',
        SIMULATOR_HISTORY_DAYS: '0',
        TRAINER_ENABLED: 'false',
        SCORER_ENABLED: 'false',
        DEMAND_ENABLED: 'false',
        REPLENISHMENT_ENABLED: 'false',
        COLLECTOR_WRITE_KEYS: `demo:${createHash('sha256').update(key).digest('hex')}`,
        COLLECTOR_CORS_ORIGINS: pageOrigin,
      },
      out,
    );
    await http.up(120_000);
    context = await chromium.launchPersistentContext(tempDir('chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'],
    });
    page = await context.newPage();
  });

  after(async () => {
    await context?.close();
    await new Promise((r) => pages?.close(r));
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('sends a full batch by fetch, the rest by sendBeacon on page close; stored and in the online features', async () => {
    const p = page!;
    await p.goto(pageOrigin);
    await p.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    // the first five events filled the batch: one POST; wait until the collector acknowledged it
    await p.waitForFunction(
      () => (globalThis as unknown as { sp: { pending(): number } }).sp.pending() === 0,
      undefined,
      { timeout: 30_000 },
    );
    // three more stay queued (the interval is 10 minutes) until the page goes away
    const queued = await p.evaluate(() => {
      const w = globalThis as unknown as {
        sp: { track(t: string, p: Record<string, unknown>): string; pending(): number };
      };
      w.sp.track('product_view', { sku: 'TRK-3', price: 7, category: 'demo' });
      w.sp.track('product_view', { sku: 'TRK-1', price: 12.5, category: 'demo' });
      w.sp.track('search', { query: 'red shoes' });
      return w.sp.pending();
    });
    assert.equal(queued, 3);
    const errors = await p.evaluate(() => (globalThis as unknown as { errors: unknown[] }).errors);
    assert.deepEqual(errors, [], 'no event rejected or dropped');
    await p.close({ runBeforeUnload: true }); // pagehide → sendBeacon

    // 7 clicks (page_view, 4 product views, add_to_cart, search) and 1 order for the user
    let last: UserFeatures | undefined;
    try {
      await waitFor(
        async () => {
          const r = await http.call(`/api/features/users/${user}`);
          if (r.status === 404) return false; // not stored yet: "unknown user"
          assert.equal(r.status, 200, await r.clone().text());
          last = (await r.json()) as UserFeatures;
          return last.features.user_events_1h === 7 && last.features.user_orders_1h === 1;
        },
        90_000,
        'the beaconed events in the user features',
      );
    } catch (e) {
      throw new Error(
        `${(e as Error).message}: ${JSON.stringify(last)}\n${out.text.slice(-4000)}`,
        {
          cause: e,
        },
      );
    }
    const f = last!.features;
    assert.equal(last!.found, true);
    assert.equal(f.user_product_views_1h, 4);
    assert.equal(f.user_add_to_carts_1h, 1);
    assert.equal(f.user_searches_1h, 1);
    assert.equal(f.user_units_1h, 2);
    assert.equal(f.user_spend_1h, 25);
    const online = await http.get<{ online: { enabled?: boolean; state?: string } }>(
      '/api/features/online',
    );
    assert.ok(online.online, 'the online tier reports its state');

    const raw = await http.get<RawOrder>(`/api/raw/orders/${order}`);
    assert.deepEqual(
      raw.lines.map((l) => [l.sku, Number(l.qty)]),
      [['TRK-1', 2]],
    );
  });
});

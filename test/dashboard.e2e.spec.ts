import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ConfigModule, type AppConfig } from '@storepulse/config';
import {
  ClickHouseModule,
  createClickHouse,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { KafkaModule, createKafka } from '@storepulse/kafka';
import { HealthRegistry, ObservabilityModule, PipelineMetrics } from '@storepulse/observability';
import { AggregatorModule } from '@storepulse/aggregator';
import { MonitorModule, setupApiDocs, type GroupView } from '@storepulse/monitor';
import { outputDir, tempDir, testConfig, testLogger } from './support/env';
import {
  createTopicsReady,
  produce,
  resetStorefrontTopics,
  testKafka,
  waitFor,
} from './support/kafka';

const CHROMIUM = '/usr/bin/chromium';

/** The bits of the DOM the page functions use (the project compiles without lib.dom). */
interface MiniEl {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelector(selector: string): MiniEl | null;
}
interface MiniDoc {
  body: MiniEl;
  querySelectorAll(selector: string): Iterable<MiniEl>;
}

interface LagResponse {
  cluster: string;
  at: string;
  groups: GroupView[];
}

describe('ops dashboard in headless Chromium (aggregator + monitor, real broker, embedded ClickHouse)', () => {
  const run = randomUUID().slice(0, 8);
  const stoppedTopic = `dash-stopped-${run}`;
  const stoppedGroup = `dash-stopped-group-${run}`;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let ch: ClickHouseHandle;
  let config: AppConfig;
  let app: INestApplication;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let feeding: NodeJS.Timeout | undefined;

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    admin = kafka.admin();
    await admin.connect();
    // A group that consumed part of its topic and stopped: stable numbers to compare.
    await createTopicsReady(admin, [{ topic: stoppedTopic, numPartitions: 2 }]);
    const old = Date.now() - 90_000;
    await produce(
      kafka,
      stoppedTopic,
      Array.from({ length: 30 }, (_, i) => ({
        partition: i % 2,
        value: `s-${i}`,
        timestamp: String(old + i * 1000),
      })),
    );
    await admin.setOffsets({
      groupId: stoppedGroup,
      topic: stoppedTopic,
      partitions: [
        { partition: 0, offset: '5' },
        { partition: 1, offset: '15' },
      ],
    });

    config = testConfig({
      AGGREGATOR_GROUP_ID: `dash-agg-${run}`,
      MONITOR_POLL_INTERVAL_MS: '1000',
      MONITOR_STALL_AFTER_MS: '3000',
      MONITOR_STOP_AFTER_MS: '6000',
      MONITOR_ALERT_DLQ_MIN_EVENTS: '20',
      MONITOR_CLUSTER_NAME: 'e2e',
      CLICKHOUSE_DATA_DIR: tempDir('chdb-dash'),
    });
    ch = await createClickHouse(config.clickhouse);
    await runMigrations(ch.client);
    const logger = testLogger();
    const metrics = new PipelineMetrics(false);
    const health = new HealthRegistry();
    const brokers = config.kafka.brokers ?? [];
    @Module({
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot(logger, metrics, health),
        KafkaModule.forRoot(createKafka({ brokers, clientId: 'dash-e2e', logger }), {
          brokers,
          localBroker: false,
        }),
        ClickHouseModule.forRoot(ch),
        AggregatorModule,
        MonitorModule,
      ],
    })
    class DashboardTestModule {}
    app = await NestFactory.create(DashboardTestModule, { logger: false });
    setupApiDocs(app, 'StorePulse monitor (e2e)');
    await app.listen(0);
    const port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;

    // Live storefront traffic with ~3% invalid messages (dead-lettered by the aggregator).
    producer = kafka.producer();
    await producer.connect();
    let i = 0;
    feeding = setInterval(() => {
      const messages = Array.from({ length: 20 }, () => {
        i++;
        const user = `u-${i % 17}`;
        if (i % 33 === 0) return { key: user, value: '{"event_id": "broken",' };
        return {
          key: user,
          value: JSON.stringify({
            event_id: randomUUID(),
            type: i % 3 === 0 ? 'add_to_cart' : 'product_view',
            user_id: user,
            session_id: `s-${i % 7}`,
            ts: new Date(Date.now() - 200).toISOString(),
            sku: `SKU-${i % 11}`,
            price: 10 + (i % 7),
          }),
        };
      });
      producer.send({ topic: TOPICS.clickstream, messages }).catch(() => undefined);
    }, 200);

    const userDataDir = tempDir('chromium');
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1440, height: 1300 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    clearInterval(feeding);
    await context?.close();
    await producer?.disconnect();
    await app?.close();
    await admin?.disconnect();
    await ch?.close();
  });

  const api = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const r = await fetch(base + path);
    return { status: r.status, body: (await r.json()) as T };
  };

  it('serves the dashboard with Chart.js from node_modules and updates live over SSE', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(base + '/');
    await page.waitForSelector(`tr[data-group="${stoppedGroup}"][data-partition="1"]`, {
      timeout: 30_000,
    });
    assert.ok(requests.some((u) => u.endsWith('/dashboard/chart.umd.min.js')));
    assert.ok(
      requests.every((u) => u.startsWith(base) || u.startsWith('data:')),
      'no request leaves the app (no CDN)',
    );
    const first = await page.evaluate(
      () => (globalThis as unknown as { document: MiniDoc }).document.body.dataset.updatedAt ?? '',
    );
    await page.waitForFunction(
      (f) =>
        ((globalThis as unknown as { document: MiniDoc }).document.body.dataset.updatedAt ?? '') !==
        f,
      first,
      { timeout: 10_000 },
    );
    assert.deepEqual(errors, [], 'no page errors');
  });

  it('shows the numbers /api/lag returns, per group and partition', async () => {
    // Wait until the aggregator group is consuming and the stopped group is flagged.
    await waitFor(
      async () => {
        const { body } = await api<LagResponse>('/api/lag');
        const s = body.groups.find((g) => g.groupId === stoppedGroup);
        const agg = body.groups.find((g) => g.groupId === config.aggregator.groupId);
        return s?.consumerStatus === 'STOPPED' && agg?.status === 'active';
      },
      40_000,
      'stopped group STOPPED and aggregator active',
    );
    // Read the page and the API for the same poll.
    let compared = false;
    for (let attempt = 0; attempt < 20 && !compared; attempt++) {
      const { body } = await api<LagResponse>('/api/lag');
      const dom = await page.evaluate(() => {
        const d = (globalThis as unknown as { document: MiniDoc }).document;
        const rows = [...d.querySelectorAll('#lag-body tr[data-partition]')];
        return {
          at: d.body.dataset.updatedAt ?? '',
          rows: rows.map((r) => {
            const cell = (f: string) => r.querySelector(`[data-field="${f}"]`);
            return {
              group: r.dataset.group ?? '',
              topic: r.dataset.topic ?? '',
              partition: Number(r.dataset.partition),
              committed: cell('committed')?.dataset.raw ?? '',
              logEnd: cell('logEnd')?.dataset.raw ?? '',
              lag: cell('lag')?.dataset.raw ?? '',
              lagText: cell('lag')?.textContent ?? '',
              timeLag: cell('timeLag')?.dataset.raw ?? '',
              timeLagText: cell('timeLag')?.textContent ?? '',
            };
          }),
        };
      });
      if (dom.at !== String(Date.parse(body.at))) {
        await new Promise((r) => setTimeout(r, 150));
        continue;
      }
      const expected = body.groups.flatMap((g) =>
        g.partitions.map((p) => ({
          group: g.groupId,
          topic: p.topic,
          partition: p.partition,
          committed: p.committed ?? '',
          logEnd: p.logEnd ?? '',
          lag: p.lag,
          timeLag: p.timeLagSeconds === null ? '' : String(p.timeLagSeconds),
        })),
      );
      assert.deepEqual(
        dom.rows.map(({ lagText: _l, timeLagText: _t, ...r }) => r),
        expected,
      );
      const s1 = dom.rows.find((r) => r.group === stoppedGroup && r.partition === 1);
      assert.equal(s1?.committed, '15');
      assert.equal(s1?.logEnd, '15');
      assert.equal(s1?.lagText, '0');
      assert.equal(s1?.timeLagText, '0.0 s');
      const s0 = dom.rows.find((r) => r.group === stoppedGroup && r.partition === 0);
      assert.equal(s0?.lagText, '10');
      assert.match(s0?.timeLagText ?? '', /^1\.\d min$/); // message at offset 5 was produced ~80 s ago
      compared = true;
    }
    assert.ok(compared, 'page and API were compared on the same poll');
  });

  it('lists active alerts and the dead-letter reasons; API 404s and OpenAPI docs', async () => {
    await page.waitForSelector(`[data-alert="ConsumerGroupStalled/${stoppedGroup}"]`, {
      timeout: 20_000,
    });
    await waitFor(
      async () => {
        const n = await page.locator('#dlq-reasons tr td.reason').count();
        return n > 0;
      },
      30_000,
      'dead-letter reasons shown',
    );
    const alerts = await api<{ active: { id: string }[] }>('/api/alerts');
    assert.ok(alerts.body.active.some((a) => a.id === `ConsumerGroupStalled/${stoppedGroup}`));
    const missing = await api<{ message: string }>('/api/lag/no-such-group-' + run);
    assert.equal(missing.status, 404);
    const one = await api<GroupView>('/api/lag/' + encodeURIComponent(stoppedGroup));
    assert.equal(one.status, 200);
    assert.equal(one.body.totalLag, '10');
    const docs = await api<{ paths: Record<string, unknown> }>('/api/docs-json');
    for (const p of ['/api/lag', '/api/lag/{group}', '/api/alerts', '/api/stream'])
      assert.ok(p in docs.body.paths, `OpenAPI documents ${p}`);

    // Give the charts a few more points, then take the screenshot.
    await new Promise((r) => setTimeout(r, 4000));
    const dir = outputDir();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    console.log(`dashboard screenshot: ${file}`);
  });
});

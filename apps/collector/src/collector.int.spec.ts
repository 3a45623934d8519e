import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { Kafka } from 'kafkajs';
import { DLQ_HEADERS, TOPICS, TOPIC_SPECS } from '@storepulse/contracts';
import { createKafka, ensureTopics } from '@storepulse/kafka';
import { testKafka, waitFor } from '../../../test/support/kafka';
import { createLogger } from '@storepulse/observability';
import { testConfig } from '../../../test/support/env';
import {
  post,
  recordTopics,
  startCollector,
  type RunningCollector,
  type SeenRecord,
} from '../../../test/support/collector';
import { newWriteKey } from './auth/write-keys';
import { CollectorState } from './collector.state';
import type { IngestResult } from './ingest/route-events';

const run = randomUUID().slice(0, 8);
const keyA = newWriteKey('shopA');
const keyB = newWriteKey('shopB');
const ts = () => new Date().toISOString();
const click = (user: string, over: Record<string, unknown> = {}) => ({
  event_id: randomUUID(),
  type: 'product_view',
  user_id: user,
  session_id: `s-${run}`,
  ts: ts(),
  sku: 'SKU-1',
  ...over,
});
const order = (id: string) => ({
  event_id: randomUUID(),
  type: 'order_placed',
  order_id: id,
  user_id: `u-${run}`,
  ts: ts(),
  currency: 'EUR',
  items: [{ sku: 'SKU-1', qty: 1, unit_price: 9.5 }],
});
const auth = (k = keyA.key) => ({
  authorization: `Bearer ${k}`,
  'content-type': 'application/json',
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('collector over HTTP into Kafka (real broker)', () => {
  let kafka: Kafka;
  let c: RunningCollector;
  let seen: { records: SeenRecord[]; stop(): Promise<void> };
  const mine = (topic: string, pred: (r: SeenRecord) => boolean) =>
    seen.records.filter((r) => r.topic === topic && pred(r));

  before(async () => {
    kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, TOPIC_SPECS, 3, 1);
    await admin.disconnect();
    seen = await recordTopics(kafka, [
      TOPICS.clickstream,
      TOPICS.orders,
      TOPICS.inventory,
      TOPICS.storefrontDlq,
    ]);
    c = await startCollector(
      testConfig({
        COLLECTOR_WRITE_KEYS: `${keyA.configEntry}`,
        COLLECTOR_CORS_ORIGINS: 'https://shop.example',
        COLLECTOR_MAX_EVENTS: '50',
        COLLECTOR_MAX_BODY_BYTES: '65536',
      }),
      kafka,
    );
  });
  after(async () => {
    await c?.close();
    await seen?.stop();
  });

  it('valid events land on their topics with the topic key; the answer says accepted', async () => {
    const user = `u-valid-${run}`;
    const events = [
      click(user),
      click(user, { type: 'page_view', sku: undefined }),
      order(`o-${run}`),
    ];
    const r = await post(`${c.url}/v1/events`, JSON.stringify(events), auth());
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { accepted: 3, rejected: [] });
    const inv = await post(
      `${c.url}/v1/inventory`,
      JSON.stringify({ sku: `SKU-${run}`, on_hand: 4, on_order: 0, lead_time_days: 3, ts: ts() }),
      { 'x-api-key': keyA.key, 'content-type': 'application/json' },
    );
    assert.equal(inv.status, 200, inv.text);
    await waitFor(
      () =>
        Promise.resolve(
          mine(TOPICS.clickstream, (x) => x.key === user).length === 2 &&
            mine(TOPICS.orders, (x) => x.key === `o-${run}`).length === 1 &&
            mine(TOPICS.inventory, (x) => x.key === `SKU-${run}`).length === 1,
        ),
      20_000,
      'the valid events on their topics',
    );
    const clicks = mine(TOPICS.clickstream, (x) => x.key === user);
    assert.deepEqual(
      clicks.map((x) => (JSON.parse(x.value) as { event_id: string }).event_id).sort(),
      [events[0].event_id, events[1].event_id].sort(),
    );
    assert.equal(clicks[0].headers['x-storefront'], 'shopA');
  });

  it('mixed batch: rejected events go to the DLQ with their original bytes and reasons', async () => {
    const user = `u-mixed-${run}`;
    const bad = `{"event_id":"${randomUUID()}","type":"add_to_cart","user_id":"${user}","session_id":"s","ts":"yesterday"}`;
    const body = `[${JSON.stringify(click(user))},${bad},{"type":"warp"}]`;
    const r = await post(`${c.url}/v1/events`, body, auth());
    assert.equal(r.status, 200, r.text);
    const res = r.json as IngestResult;
    assert.equal(res.accepted, 1);
    assert.deepEqual(
      res.rejected.map((x) => [x.index, x.errors.map((e) => e.field).sort()]),
      [
        [1, ['sku', 'ts']],
        [2, ['type']],
      ],
    );
    const requestId = r.headers.get('x-request-id');
    await waitFor(
      () =>
        Promise.resolve(
          mine(TOPICS.storefrontDlq, (x) => x.headers['x-dlq-request-id'] === requestId).length ===
            2 && mine(TOPICS.clickstream, (x) => x.key === user).length >= 1,
        ),
      20_000,
      'two dead letters and the accepted event',
    );
    const dlq = mine(TOPICS.storefrontDlq, (x) => x.headers['x-dlq-request-id'] === requestId);
    const first = dlq.find((x) => x.headers['x-dlq-index'] === '1');
    assert.ok(first);
    assert.equal(first.value, bad);
    assert.equal(first.key, user);
    assert.equal(first.headers[DLQ_HEADERS.sourceTopic], TOPICS.clickstream);
    assert.match(first.headers[DLQ_HEADERS.reason], /ts: must be an ISO-8601 timestamp/);
    assert.match(first.headers[DLQ_HEADERS.reason], /sku: is required for type add_to_cart/);
    assert.equal(mine(TOPICS.clickstream, (x) => x.key === user).length, 1);
  });

  it('all wrong is still 200; NDJSON and text/plain beacons with ?key=', async () => {
    const allBad = await post(`${c.url}/v1/events`, '[{},{"type":"x"}]', auth());
    assert.equal(allBad.status, 200);
    assert.equal((allBad.json as IngestResult).accepted, 0);
    assert.equal((allBad.json as IngestResult).rejected.length, 2);
    const user = `u-nd-${run}`;
    const nd = await post(
      `${c.url}/v1/events`,
      `${JSON.stringify(click(user))}\n${JSON.stringify(click(user))}\n`,
      { ...auth(), 'content-type': 'application/x-ndjson' },
    );
    assert.deepEqual(nd.json, { accepted: 2, rejected: [] });
    const beacon = await post(
      `${c.url}/v1/events?key=${encodeURIComponent(keyA.key)}`,
      JSON.stringify([click(user)]),
      { 'content-type': 'text/plain;charset=UTF-8' },
    );
    assert.deepEqual(beacon.json, { accepted: 1, rejected: [] });
    // ?key= is for beacons only
    const notBeacon = await post(
      `${c.url}/v1/events?key=${encodeURIComponent(keyA.key)}`,
      JSON.stringify([click(user)]),
      { 'content-type': 'application/json' },
    );
    assert.equal(notBeacon.status, 401);
    await waitFor(
      () => Promise.resolve(mine(TOPICS.clickstream, (x) => x.key === user).length === 3),
      20_000,
      'NDJSON + beacon events',
    );
  });

  it('400 for a body that is not JSON (NDJSON names the line); 415 for other types', async () => {
    const r = await post(`${c.url}/v1/events`, '{"a":', auth());
    assert.equal(r.status, 400);
    assert.match((r.json as { message: string }).message, /^body is not valid JSON/);
    const nd = await post(`${c.url}/v1/events`, '{}\n{}\n{oops}\n', {
      ...auth(),
      'content-type': 'application/x-ndjson',
    });
    assert.equal(nd.status, 400);
    assert.match((nd.json as { message: string }).message, /^line 3 is not valid JSON/);
    const form = await post(`${c.url}/v1/events`, 'a=b', {
      ...auth(),
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(form.status, 415);
  });

  it('413 beyond the byte limit and beyond the event limit', async () => {
    const big = JSON.stringify([click('u', { query: 'x'.repeat(70_000), type: 'search' })]);
    const r = await post(`${c.url}/v1/events`, big, auth());
    assert.equal(r.status, 413);
    assert.match((r.json as { message: string }).message, /COLLECTOR_MAX_BODY_BYTES/);
    const many = await post(
      `${c.url}/v1/events`,
      JSON.stringify(Array.from({ length: 51 }, () => click('u'))),
      auth(),
    );
    assert.equal(many.status, 413);
    assert.match((many.json as { message: string }).message, /more than 50 events/);
    // the connection is usable afterwards
    const ok = await post(`${c.url}/v1/events`, JSON.stringify(click(`u-after-${run}`)), auth());
    assert.equal(ok.status, 200);
  });

  it('401 without a key, 403 for an unknown key', async () => {
    const none = await post(`${c.url}/v1/events`, '{}', { 'content-type': 'application/json' });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const unknown = await post(`${c.url}/v1/events`, '{}', auth(keyB.key));
    assert.equal(unknown.status, 403);
    assert.match((unknown.json as { message: string }).message, /unknown write key/);
    // a write key reads nothing: the collector serves no read API
    const read = await fetch(`${c.url}/api/features/users/u-1`, {
      headers: { authorization: `Bearer ${keyA.key}` },
    });
    assert.equal(read.status, 404);
  });

  it('CORS: preflight for allowed origins with the key headers; others refused', async () => {
    const pre = await fetch(`${c.url}/v1/events`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://shop.example');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /X-Api-Key/);
    const denied = await fetch(`${c.url}/v1/events`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
    const r = await post(`${c.url}/v1/events`, JSON.stringify(click(`u-cors-${run}`)), {
      ...auth(),
      origin: 'https://shop.example',
    });
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://shop.example');
  });

  it('metrics, readiness, OpenAPI with /v1/*, the tracker route', async () => {
    const m = await (await fetch(`${c.url}/metrics`)).text();
    assert.match(m, /storepulse_collector_requests_total\{route="\/v1\/events",status="200"\} \d+/);
    assert.match(m, /storepulse_collector_requests_total\{route="\/v1\/events",status="413"\} 2/);
    assert.match(
      m,
      /storepulse_collector_events_total\{topic="storefront.clickstream.v1",outcome="accepted"\}/,
    );
    assert.match(
      m,
      /storepulse_collector_events_total\{topic="http:\/v1\/events",outcome="rejected"\}/,
    );
    assert.match(m, /storepulse_collector_produce_seconds_bucket/);
    const h = await fetch(`${c.url}/health`);
    assert.equal(h.status, 200);
    const doc = (await (await fetch(`${c.url}/api/docs-json`)).json()) as {
      paths: Record<string, unknown>;
    };
    assert.ok(doc.paths['/v1/events'] && doc.paths['/v1/inventory'], Object.keys(doc.paths).join());
    const js = await fetch(`${c.url}/v1/storepulse.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.equal(js.headers.get('access-control-allow-origin'), '*');
    const src = await js.text();
    assert.match(src, /export function init\(/, 'the compiled tracker module');
    assert.doesNotMatch(src, /sourceMappingURL/);
    const again = await fetch(`${c.url}/v1/storepulse.js`, {
      headers: { 'If-None-Match': js.headers.get('etag') ?? '' },
    });
    assert.equal(again.status, 304);
  });

  it('429 with Retry-After past the burst', async () => {
    const k = newWriteKey('limited');
    const limited = await startCollector(
      testConfig({
        COLLECTOR_WRITE_KEYS: k.configEntry,
        COLLECTOR_RATE_PER_SEC: '0.5',
        COLLECTOR_BURST: '2',
      }),
      kafka,
    );
    try {
      const send = () =>
        post(`${limited.url}/v1/events`, JSON.stringify(click(`u-rl-${run}`)), auth(k.key));
      assert.equal((await send()).status, 200);
      assert.equal((await send()).status, 200);
      const third = await send();
      assert.equal(third.status, 429);
      assert.equal(third.headers.get('retry-after'), '2');
      assert.match((third.json as { message: string }).message, /rate limit of limited/);
    } finally {
      await limited.close();
    }
  });

  it('503 with Retry-After when Kafka is unreachable: nothing reported accepted', async () => {
    const port = await closedPort();
    const dead = createKafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'dead',
      logger: createLogger('silent', 'dead-kafka'),
    });
    const k = newWriteKey('down');
    const down = await startCollector(
      testConfig({
        COLLECTOR_WRITE_KEYS: k.configEntry,
        COLLECTOR_PRODUCE_TIMEOUT_MS: '800',
        COLLECTOR_RETRY_AFTER_S: '7',
        SHUTDOWN_DRAIN_TIMEOUT_MS: '500',
      }),
      dead,
    );
    try {
      const t0 = Date.now();
      const r = await post(`${down.url}/v1/events`, JSON.stringify([click('u-down')]), auth(k.key));
      assert.equal(r.status, 503, r.text);
      assert.equal(r.headers.get('retry-after'), '7');
      assert.match(
        (r.json as { message: string }).message,
        /events not accepted: Kafka did not acknowledge within 800 ms/,
      );
      assert.ok(Date.now() - t0 < 5_000);
      const ready = await fetch(`${down.url}/health`);
      assert.equal(ready.status, 503);
    } finally {
      await down.close();
    }
  });

  it('graceful shutdown: requests in progress are produced and answered, later ones get 503', async () => {
    const k = newWriteKey('drain');
    const d = await startCollector(testConfig({ COLLECTOR_WRITE_KEYS: k.configEntry }), kafka);
    const user = `u-drain-${run}`;
    const state = d.app.get(CollectorState);
    const inflight = Array.from({ length: 20 }, () =>
      post(
        `${d.url}/v1/events`,
        JSON.stringify(Array.from({ length: 40 }, () => click(user))),
        auth(k.key),
      ).catch((e: unknown) => ({ status: 0, text: String(e), json: undefined })),
    );
    await waitFor(() => Promise.resolve(state.pending() > 0), 10_000, 'a request in progress', 1);
    const closing = d.close();
    const late = await post(`${d.url}/v1/events`, JSON.stringify(click(user)), auth(k.key)).catch(
      () => ({ status: 0 }),
    );
    assert.ok(late.status === 503 || late.status === 0, `late request: ${late.status}`);
    const results = await Promise.all(inflight);
    await closing;
    const accepted = results
      .filter((r) => r.status === 200)
      .reduce((n, r) => n + (r.json as IngestResult).accepted, 0);
    assert.ok(accepted >= 40, `accepted ${accepted}`);
    for (const r of results) assert.ok([200, 503, 0].includes(r.status), `status ${r.status}`);
    await waitFor(
      () => Promise.resolve(mine(TOPICS.clickstream, (x) => x.key === user).length >= accepted),
      20_000,
      `${accepted} drained events on the topic`,
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(mine(TOPICS.clickstream, (x) => x.key === user).length, accepted);
  });

  it('COLLECTOR_PRODUCERS=3: concurrent requests each acknowledged and on the topic once; a client awaiting each answer keeps its order', async () => {
    const lanes = await startCollector(
      testConfig({ COLLECTOR_WRITE_KEYS: keyA.configEntry, COLLECTOR_PRODUCERS: '3' }),
      kafka,
    );
    try {
      const user = `u-lanes-${run}`;
      const bodies = Array.from({ length: 40 }, () => [click(user), click(user)]);
      const answers = await Promise.all(
        bodies.map((b) => post(`${lanes.url}/v1/events`, JSON.stringify(b), auth())),
      );
      for (const r of answers)
        assert.deepEqual([r.status, r.json], [200, { accepted: 2, rejected: [] }]);
      const seqUser = `u-lanes-seq-${run}`;
      const order: string[] = [];
      for (let i = 0; i < 10; i++) {
        const e = click(seqUser);
        order.push(e.event_id);
        const r = await post(`${lanes.url}/v1/events`, JSON.stringify(e), auth());
        assert.equal(r.status, 200, r.text);
      }
      const ids = (u: string) =>
        mine(TOPICS.clickstream, (x) => x.key === u).map(
          (x) => (JSON.parse(x.value) as { event_id: string }).event_id,
        );
      await waitFor(
        () => Promise.resolve(ids(user).length >= 80 && ids(seqUser).length >= 10),
        20_000,
        'the events of the 3-producer collector on the topic',
      );
      await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive meanwhile
      assert.deepEqual(
        ids(user).sort(),
        bodies
          .flat()
          .map((e) => e.event_id)
          .sort(),
      );
      assert.deepEqual(ids(seqUser), order, 'one key, one partition: in the order acknowledged');
      const text = await lanes.metrics.registry.metrics();
      const requests = Number(
        /storepulse_collector_produce_request_records_count (\d+)/.exec(text)?.[1],
      );
      assert.ok(requests >= 2 && requests <= 50, `produce requests ${requests}`);
    } finally {
      await lanes.close();
    }
  });
});

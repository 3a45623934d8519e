import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLICKSTREAM_TYPES as CONTRACT_CLICK_TYPES,
  ORDER_TYPES as CONTRACT_ORDER_TYPES,
} from '@storepulse/contracts';
import type {
  HttpResponseLike,
  TrackedEvent,
  TrackerEnv,
  TrackerError,
  TrackerOptions,
} from './storepulse.mjs' with { 'resolution-mode': 'import' };

/** A browser with a virtual clock, scripted HTTP answers, a Map as localStorage and a beacon log. */
class FakeBrowser {
  t = Date.parse('2026-12-01T10:00:00.000Z');
  private seq = 0;
  private timers: { id: number; at: number; fn: () => void }[] = [];
  private nextTimer = 1;
  readonly store = new Map<string, string>();
  readonly requests: { url: string; headers: Record<string, string>; events: TrackedEvent[] }[] =
    [];
  readonly beacons: { url: string; events: TrackedEvent[] }[] = [];
  /** Status per request in order; when empty, 200 accepting all. */
  answers: (number | { status: number; retryAfter?: string; body?: string } | 'network')[] = [];
  beaconOk = true;
  hide: (() => void) | undefined;

  env(withBeacon = true): TrackerEnv {
    return {
      now: () => this.t,
      randomUUID: () => `00000000-0000-4000-8000-${String(++this.seq).padStart(12, '0')}`,
      random: () => 1, // full jitter at its cap: deterministic
      fetch: (url, init) => {
        const events = JSON.parse(init.body) as TrackedEvent[];
        this.requests.push({ url, headers: init.headers, events });
        const a = this.answers.shift() ?? 200;
        if (a === 'network') return Promise.reject(new TypeError('Failed to fetch'));
        const { status, retryAfter, body } = typeof a === 'number' ? { status: a } : a;
        const res: HttpResponseLike = {
          status,
          headers: {
            get: (n) => (n.toLowerCase() === 'retry-after' ? (retryAfter ?? null) : null),
          },
          text: () =>
            Promise.resolve(
              body ??
                (status === 200 ? JSON.stringify({ accepted: events.length, rejected: [] }) : ''),
            ),
        };
        return Promise.resolve(res);
      },
      sendBeacon: withBeacon
        ? (url, body) => {
            if (!this.beaconOk) return false;
            this.beacons.push({ url, events: JSON.parse(body) as TrackedEvent[] });
            return true;
          }
        : undefined,
      storage: {
        getItem: (k) => this.store.get(k) ?? null,
        setItem: (k, v) => void this.store.set(k, v),
        removeItem: (k) => void this.store.delete(k),
      },
      setTimeout: (fn, ms) => {
        const id = this.nextTimer++;
        this.timers.push({ id, at: this.t + ms, fn });
        return id;
      },
      clearTimeout: (h) => {
        this.timers = this.timers.filter((x) => x.id !== h);
      },
      onPageHide: (fn) => {
        this.hide = fn;
      },
    };
  }

  /** Advances the clock, firing due timers in order and letting their promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

async function tracker(b: FakeBrowser, opts: Partial<TrackerOptions> = {}, withBeacon = true) {
  const { Tracker } = await import('./storepulse.mjs');
  return new Tracker({ endpoint: 'https://c.example/', key: 'k-1', ...opts }, b.env(withBeacon));
}

describe('storepulse.js tracker', () => {
  it('batches events: one request when the batch fills, with the key and a JSON array', async () => {
    const b = new FakeBrowser();
    const t = await tracker(b, { batchSize: 3, userId: 'u1' });
    t.track('page_view');
    t.track('product_view', { sku: 'S1', price: 9.5, category: 'shoes' });
    await b.advance(10);
    assert.equal(b.requests.length, 0, 'two events wait for the batch or the interval');
    t.track('add_to_cart', { sku: 'S1' });
    await b.advance(0);
    assert.equal(b.requests.length, 1);
    const r = b.requests[0];
    assert.equal(r.url, 'https://c.example/v1/events');
    assert.equal(r.headers.Authorization, 'Bearer k-1');
    assert.deepEqual(
      r.events.map((e) => [e.type, e.user_id, e.sku]),
      [
        ['page_view', 'u1', undefined],
        ['product_view', 'u1', 'S1'],
        ['add_to_cart', 'u1', 'S1'],
      ],
    );
    assert.equal(r.events[1].price, 9.5);
    assert.equal(r.events[0].ts, '2026-12-01T10:00:00.000Z');
    assert.equal(new Set(r.events.map((e) => e.event_id)).size, 3, 'an event id each');
    assert.equal(t.pending(), 0);
  });

  it('flushes a partial batch after flushIntervalMs', async () => {
    const b = new FakeBrowser();
    const t = await tracker(b, { batchSize: 20, flushIntervalMs: 2000 });
    t.track('page_view');
    await b.advance(1999);
    assert.equal(b.requests.length, 0);
    await b.advance(1);
    assert.equal(b.requests.length, 1);
    assert.equal(b.requests[0].events.length, 1);
  });

  it('keeps a session for 30 minutes of inactivity, then starts a new one', async () => {
    const b = new FakeBrowser();
    const t = await tracker(b, { batchSize: 1 });
    t.track('page_view');
    await b.advance(29 * 60_000);
    t.track('page_view');
    await b.advance(30 * 60_000); // 30 minutes without an event
    t.track('page_view');
    await b.advance(0);
    const s = b.requests.map((r) => r.events[0].session_id);
    assert.equal(s.length, 3);
    assert.equal(s[0], s[1], 'activity within 30 minutes keeps the session');
    assert.notEqual(s[1], s[2], 'a 30-minute gap starts a new session');
  });

  it('the session and anonymous user survive a page load (localStorage)', async () => {
    const b = new FakeBrowser();
    const t1 = await tracker(b, { batchSize: 1 });
    t1.track('page_view');
    await b.advance(60_000);
    t1.stop();
    const t2 = await tracker(b, { batchSize: 1 });
    t2.track('page_view');
    await b.advance(0);
    const [a, c] = b.requests.map((r) => r.events[0]);
    assert.match(String(a.user_id), /^anon-/);
    assert.equal(c.user_id, a.user_id);
    assert.equal(c.session_id, a.session_id);
  });

  it('retries 503 and network errors with backoff, honouring Retry-After, resending the same ids', async () => {
    const b = new FakeBrowser();
    b.answers = [{ status: 503, retryAfter: '5' }, 'network', 429];
    const t = await tracker(b, { batchSize: 2, backoffBaseMs: 1000, backoffMaxMs: 30_000 });
    t.track('page_view');
    t.track('search', { query: 'red shoes' });
    await b.advance(0);
    assert.equal(b.requests.length, 1);
    await b.advance(4999);
    assert.equal(b.requests.length, 1, 'Retry-After: 5 s is honoured');
    await b.advance(1);
    assert.equal(b.requests.length, 2);
    // attempt 2 failed (network): wait = random(1) × min(30 s, 1 s × 2^1) = 2 s
    await b.advance(1999);
    assert.equal(b.requests.length, 2);
    await b.advance(1);
    assert.equal(b.requests.length, 3);
    // attempt 3 failed (429): 4 s
    await b.advance(4000);
    assert.equal(b.requests.length, 4);
    const ids = b.requests.map((r) => r.events.map((e) => e.event_id).join(','));
    assert.equal(new Set(ids).size, 1, 'every retry carries the same event ids');
    assert.equal(t.pending(), 0);
  });

  it('drops a batch on a permanent error (403) and reports it; later events still go', async () => {
    const b = new FakeBrowser();
    const errors: TrackerError[] = [];
    b.answers = [{ status: 403, body: '{"message":"revoked key"}' }];
    const t = await tracker(b, { batchSize: 1, onError: (e) => errors.push(e) });
    t.track('page_view');
    await b.advance(0);
    assert.equal(t.pending(), 0);
    assert.deepEqual(errors, [
      { kind: 'dropped', status: 403, events: 1, message: '{"message":"revoked key"}' },
    ]);
    t.track('page_view');
    await b.advance(0);
    assert.equal(b.requests.length, 2);
  });

  it('reports the events the collector rejected, by event id', async () => {
    const b = new FakeBrowser();
    const errors: TrackerError[] = [];
    const t = await tracker(b, { batchSize: 2, onError: (e) => errors.push(e) });
    b.answers = [
      {
        status: 200,
        body: JSON.stringify({
          accepted: 1,
          rejected: [{ index: 1, errors: [{ field: 'sku', message: 'is required' }] }],
        }),
      },
    ];
    t.track('page_view');
    const bad = t.track('product_view', {});
    await b.advance(0);
    assert.deepEqual(errors, [
      { kind: 'rejected', event_id: bad, errors: [{ field: 'sku', message: 'is required' }] },
    ]);
    assert.equal(t.pending(), 0, 'a rejected event is not retried');
  });

  it('halves the batch on 413 and sends everything', async () => {
    const b = new FakeBrowser();
    b.answers = [413];
    const t = await tracker(b, { batchSize: 4 });
    for (let i = 0; i < 4; i++) t.track('page_view');
    await b.advance(0);
    assert.deepEqual(
      b.requests.map((r) => r.events.length),
      [4, 2, 2],
    );
    assert.equal(t.pending(), 0);
  });

  it('builds order events with order fields and no session id', async () => {
    const b = new FakeBrowser();
    const t = await tracker(b, { batchSize: 1, userId: 'u9' });
    t.track('order_placed', {
      order_id: 'o-1',
      currency: 'EUR',
      items: [{ sku: 'S1', qty: 2, unit_price: 5 }],
    });
    await b.advance(0);
    const e = b.requests[0].events[0];
    assert.deepEqual(
      { ...e, event_id: 'x' },
      {
        event_id: 'x',
        type: 'order_placed',
        order_id: 'o-1',
        user_id: 'u9',
        ts: '2026-12-01T10:00:00.000Z',
        currency: 'EUR',
        items: [{ sku: 'S1', qty: 2, unit_price: 5 }],
      },
    );
  });

  it('throws on an unknown type, naming the allowed ones', async () => {
    const b = new FakeBrowser();
    const t = await tracker(b);
    assert.throws(
      () => t.track('clicked' as 'page_view'),
      /unknown type "clicked"; one of page_view, .*order_cancelled/,
    );
  });

  it('on page hide sends the queue by sendBeacon, key in the query, and empties it', async () => {
    const b = new FakeBrowser();
    const t = await tracker(b, { batchSize: 50, key: 'k/1' });
    for (let i = 0; i < 3; i++) t.track('page_view');
    b.hide!();
    assert.equal(b.beacons.length, 1);
    assert.equal(b.beacons[0].url, 'https://c.example/v1/events?key=k%2F1');
    assert.equal(b.beacons[0].events.length, 3);
    assert.equal(t.pending(), 0);
    assert.equal(b.store.has('storepulse.queue'), false);
    await b.advance(5000);
    assert.equal(b.requests.length, 0, 'nothing is sent twice');
  });

  it('splits beacons under 60 KB; what the browser refuses stays queued for the next page', async () => {
    const b = new FakeBrowser();
    const t = await tracker(b, { batchSize: 1000, flushIntervalMs: 60_000 });
    const q = 'x'.repeat(1000);
    for (let i = 0; i < 150; i++) t.track('search', { query: q });
    b.beaconOk = true;
    b.hide!();
    assert.ok(b.beacons.length >= 3, `150 × ~1.2 KB needs ≥ 3 beacons, got ${b.beacons.length}`);
    for (const x of b.beacons) assert.ok(JSON.stringify(x.events).length <= 60_000);
    assert.equal(
      b.beacons.reduce((n, x) => n + x.events.length, 0),
      150,
    );
    for (let i = 0; i < 5; i++) t.track('page_view');
    b.beaconOk = false;
    b.hide!();
    assert.equal(t.pending(), 5);
    t.stop();
    const next = await tracker(b, { batchSize: 1000 });
    assert.equal(next.pending(), 5, 'the next page load resumes the refused events');
    await b.advance(0);
    assert.equal(b.requests.at(-1)!.events.length, 5);
  });

  it('bounds the queue: the oldest events are dropped and reported', async () => {
    const b = new FakeBrowser();
    b.answers = Array<'network'>(100).fill('network');
    const errors: TrackerError[] = [];
    const t = await tracker(b, { maxQueue: 5, batchSize: 100, onError: (e) => errors.push(e) });
    for (let i = 0; i < 8; i++) t.track('page_view');
    assert.equal(t.pending(), 5);
    assert.deepEqual(
      errors.filter((e) => e.kind === 'overflow').reduce((n, e) => n + e.events, 0),
      3,
    );
  });

  it('knows exactly the event types of the contracts (it cannot import them: no dependencies)', async () => {
    const tracker = await import('./storepulse.mjs');
    assert.deepEqual([...tracker.CLICKSTREAM_TYPES], [...CONTRACT_CLICK_TYPES]);
    assert.deepEqual([...tracker.ORDER_TYPES], [...CONTRACT_ORDER_TYPES]);
  });

  it('rejects init without endpoint or key', async () => {
    const { Tracker } = await import('./storepulse.mjs');
    const b = new FakeBrowser();
    assert.throws(() => new Tracker({ endpoint: '', key: 'k' }, b.env()), /endpoint is required/);
    assert.throws(
      () => new Tracker({ endpoint: 'https://c', key: '' }, b.env()),
      /key is required/,
    );
  });
});

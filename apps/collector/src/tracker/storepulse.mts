/**
 * storepulse.js — the StorePulse browser tracker. A dependency-free ES module served by the
 * collector at `GET /v1/storepulse.js`:
 *
 *   <script type="module">
 *     import storepulse from 'https://collect.example.com/v1/storepulse.js';
 *     storepulse.init({ endpoint: 'https://collect.example.com', key: 'sp_live_…' });
 *     storepulse.track('product_view', { sku: 'SKU-1', price: 19.9, category: 'shoes' });
 *   </script>
 *
 * What it does (docs: apps/collector/src/tracker/README.md):
 * - batches events (`batchSize`, `flushIntervalMs`) and posts them to `/v1/events` as a JSON array;
 * - gives every event an `event_id` (UUID v4) and every visit a session id that ends after 30 minutes
 *   without an event (`sessionTimeoutMs`), kept in localStorage so it spans page loads;
 * - keeps unsent events in localStorage, so a page load resumes what the last one could not send;
 * - retries 429, 5xx and network errors with capped exponential backoff and full jitter, honouring
 *   `Retry-After`; drops a batch on other 4xx (bad key, bad body) and reports it through `onError`;
 * - on page hide (`visibilitychange` to hidden, `pagehide`) flushes what is queued with
 *   `navigator.sendBeacon` (text/plain, the key in the query string: a beacon cannot set headers).
 *
 * A resent event keeps its `event_id`, and the platform stores an event id once within its dedup
 * window, so a retry after a lost response never counts twice.
 *
 * Written against a small environment port (`TrackerEnv`) so its logic is unit-tested in Node;
 * `init()` binds the browser's globals.
 */

export const CLICKSTREAM_TYPES = [
  'page_view',
  'product_view',
  'search',
  'add_to_cart',
  'remove_from_cart',
  'checkout_started',
] as const;
export const ORDER_TYPES = ['order_placed', 'order_cancelled'] as const;
export type ClickstreamType = (typeof CLICKSTREAM_TYPES)[number];
export type OrderType = (typeof ORDER_TYPES)[number];
export type EventType = ClickstreamType | OrderType;

export interface OrderItemProps {
  sku: string;
  qty: number;
  unit_price: number;
  category?: string;
}

/** What `track()` takes: the contract's fields the page knows; ids and times are added here. */
export interface TrackProps {
  sku?: string;
  price?: number;
  category?: string;
  query?: string;
  /** order_placed / order_cancelled only */
  order_id?: string;
  currency?: string;
  items?: OrderItemProps[];
}

/** An event as sent to the collector (the storefront contracts in libs/contracts). */
export type TrackedEvent = Record<string, unknown> & { event_id: string; type: EventType };

export type TrackerError =
  | { kind: 'rejected'; event_id: string | undefined; errors: { field: string; message: string }[] }
  | { kind: 'dropped'; status: number; events: number; message: string }
  | { kind: 'overflow'; events: number };

export interface TrackerOptions {
  /** The collector's base URL, e.g. `https://collect.example.com` (no trailing `/v1`). */
  endpoint: string;
  /** The storefront's write key. */
  key: string;
  /** A known user id; otherwise an anonymous id kept in localStorage (`identify()` sets it later). */
  userId?: string;
  /** Events per request (default 20; the collector takes up to 1,000). */
  batchSize?: number;
  /** How long an event waits for a batch to fill (default 2,000 ms). */
  flushIntervalMs?: number;
  /** Unsent events kept at most; beyond it the oldest are dropped and reported (default 1,000). */
  maxQueue?: number;
  /** Inactivity that ends a session (default 30 minutes). */
  sessionTimeoutMs?: number;
  /** First retry delay (default 500 ms); doubles per failed attempt up to `backoffMaxMs` (30 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Called for events the collector rejected and batches dropped; never throws into the page. */
  onError?: (e: TrackerError) => void;
}

export interface HttpResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The browser, as the tracker needs it. */
export interface TrackerEnv {
  now(): number;
  randomUUID(): string;
  random(): number;
  fetch(
    url: string,
    init: { method: 'POST'; headers: Record<string, string>; body: string; keepalive: boolean },
  ): Promise<HttpResponseLike>;
  /** `navigator.sendBeacon`; undefined where the browser has none. */
  sendBeacon: ((url: string, body: string) => boolean) | undefined;
  /** localStorage, or undefined where it is blocked (then state lives in memory). */
  storage: StorageLike | undefined;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Registers the page-hide flush. */
  onPageHide(fn: () => void): void;
}

const KEYS = {
  queue: 'storepulse.queue',
  session: 'storepulse.session',
  anon: 'storepulse.anon',
  user: 'storepulse.user',
} as const;
/** sendBeacon bodies are capped by browsers at 64 KiB in total; stay under it per beacon. */
const BEACON_MAX_BYTES = 60_000;

const CLICK_SET: ReadonlySet<string> = new Set(CLICKSTREAM_TYPES);
const ORDER_SET: ReadonlySet<string> = new Set(ORDER_TYPES);

function isRetryable(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export class Tracker {
  private readonly opts: Required<Omit<TrackerOptions, 'userId' | 'onError'>> &
    Pick<TrackerOptions, 'onError'>;
  private queue: TrackedEvent[];
  private userId: string;
  private timer: unknown = undefined;
  private timerDue = Infinity;
  private inflight: Promise<void> | undefined;
  private attempt = 0;
  private retryAt = 0;
  private stopped = false;
  private memory = new Map<string, string>();

  constructor(
    options: TrackerOptions,
    private readonly env: TrackerEnv,
  ) {
    if (!options || typeof options.endpoint !== 'string' || options.endpoint === '')
      throw new TypeError('storepulse.init: endpoint is required (the collector base URL)');
    if (typeof options.key !== 'string' || options.key === '')
      throw new TypeError('storepulse.init: key is required (a write key)');
    this.opts = {
      endpoint: options.endpoint.replace(/\/+$/, ''),
      key: options.key,
      batchSize: Math.max(1, Math.min(1000, options.batchSize ?? 20)),
      flushIntervalMs: Math.max(0, options.flushIntervalMs ?? 2000),
      maxQueue: Math.max(1, options.maxQueue ?? 1000),
      sessionTimeoutMs: Math.max(1, options.sessionTimeoutMs ?? 30 * 60_000),
      backoffBaseMs: Math.max(1, options.backoffBaseMs ?? 500),
      backoffMaxMs: Math.max(1, options.backoffMaxMs ?? 30_000),
      onError: options.onError,
    };
    this.queue = this.restoreQueue();
    this.userId = options.userId ?? this.read(KEYS.user) ?? this.anonymousId();
    if (options.userId) this.write(KEYS.user, options.userId);
    env.onPageHide(() => this.flushOnHide());
    if (this.queue.length > 0) this.schedule(0);
  }

  /** Queues one event; returns its event id. Throws on an unknown type (a page bug). */
  track(type: EventType, props: TrackProps = {}): string {
    const now = this.env.now();
    const event_id = this.env.randomUUID();
    const ts = new Date(now).toISOString();
    let event: TrackedEvent;
    if (CLICK_SET.has(type)) {
      event = { event_id, type, user_id: this.userId, session_id: this.session(now), ts };
      for (const f of ['sku', 'price', 'category', 'query'] as const)
        if (props[f] !== undefined) event[f] = props[f];
    } else if (ORDER_SET.has(type)) {
      this.session(now); // an order is activity too
      event = {
        event_id,
        type,
        order_id: props.order_id,
        user_id: this.userId,
        ts,
        currency: props.currency,
        items: props.items,
      };
    } else {
      throw new TypeError(
        `storepulse.track: unknown type ${JSON.stringify(type)}; one of ${[...CLICKSTREAM_TYPES, ...ORDER_TYPES].join(', ')}`,
      );
    }
    this.queue.push(event);
    if (this.queue.length > this.opts.maxQueue) {
      const over = this.queue.length - this.opts.maxQueue;
      this.queue.splice(0, over);
      this.report({ kind: 'overflow', events: over });
    }
    this.persist();
    this.schedule(this.queue.length >= this.opts.batchSize ? 0 : this.opts.flushIntervalMs);
    return event_id;
  }

  /** Sets the user id for the events that follow (after login). */
  identify(userId: string): void {
    if (typeof userId !== 'string' || userId === '')
      throw new TypeError('storepulse.identify: userId must be a non-empty string');
    this.userId = userId;
    this.write(KEYS.user, userId);
  }

  get user(): string {
    return this.userId;
  }

  /** Events not yet acknowledged by the collector. */
  pending(): number {
    return this.queue.length;
  }

  /**
   * Sends what is queued, a batch at a time, until the queue is empty or a send fails; resolves
   * then (a failed send is retried later on its own schedule). Never rejects.
   */
  async flush(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      if (this.env.now() < this.retryAt) {
        this.schedule(0); // backing off: the timer flushes when the wait is over
        return;
      }
      const before = this.queue.length;
      this.inflight ??= this.sendHead().finally(() => (this.inflight = undefined));
      await this.inflight;
      if (this.queue.length >= before && this.attempt > 0) return; // failed: backoff scheduled
    }
  }

  /** Stops timers (the queue stays persisted). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.env.clearTimeout(this.timer);
    this.timer = undefined;
  }

  // ---------------------------------------------------------------------------------------------

  /** Flushes in `ms`, or at the end of the backoff if later; keeps an earlier pending flush. */
  private schedule(ms: number): void {
    if (this.stopped) return;
    const now = this.env.now();
    const due = Math.max(now + ms, this.retryAt);
    if (this.timer !== undefined) {
      if (this.timerDue <= due) return;
      this.env.clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = this.env.setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      void this.flush();
    }, due - now);
  }

  private async sendHead(): Promise<void> {
    const batch = this.queue.slice(0, this.opts.batchSize);
    let status: number;
    let retryAfterMs: number | undefined;
    let body = '';
    try {
      const res = await this.env.fetch(`${this.opts.endpoint}/v1/events`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${this.opts.key}`,
        },
        body: JSON.stringify(batch),
        keepalive: true,
      });
      status = res.status;
      const ra = res.headers.get('Retry-After');
      if (ra !== null && /^\d+$/.test(ra.trim())) retryAfterMs = Number(ra.trim()) * 1000;
      body = await res.text().catch(() => '');
    } catch {
      status = 0; // network error, CORS failure, offline
    }
    if (status === 200) {
      this.remove(batch);
      this.attempt = 0;
      this.retryAt = 0;
      this.reportRejected(batch, body);
      return;
    }
    if (status === 0 || isRetryable(status)) {
      this.attempt += 1;
      const cap = Math.min(
        this.opts.backoffMaxMs,
        this.opts.backoffBaseMs * 2 ** (this.attempt - 1),
      );
      const wait = Math.max(retryAfterMs ?? 0, Math.round(this.env.random() * cap));
      this.retryAt = this.env.now() + wait;
      this.schedule(wait);
      return;
    }
    if (status === 413 && batch.length > 1) {
      // too large: halve the batch size and try again at once
      this.opts.batchSize = Math.max(1, Math.floor(batch.length / 2));
      this.attempt = 0;
      return;
    }
    // a permanent failure (400, 401, 403, 413 of one event, …): retrying cannot help
    this.remove(batch);
    this.attempt = 0;
    this.report({ kind: 'dropped', status, events: batch.length, message: body.slice(0, 500) });
  }

  private reportRejected(batch: TrackedEvent[], body: string): void {
    if (!this.opts.onError || body === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return;
    }
    const rejected = (parsed as { rejected?: unknown }).rejected;
    if (!Array.isArray(rejected)) return;
    for (const r of rejected as { index?: unknown; errors?: unknown }[]) {
      const i = typeof r.index === 'number' ? r.index : -1;
      const errors = Array.isArray(r.errors)
        ? (r.errors as { field: string; message: string }[])
        : [];
      this.report({ kind: 'rejected', event_id: batch[i]?.event_id, errors });
    }
  }

  private flushOnHide(): void {
    if (this.queue.length === 0) return;
    const beacon = this.env.sendBeacon;
    if (!beacon) {
      void this.flush();
      return;
    }
    const url = `${this.opts.endpoint}/v1/events?key=${encodeURIComponent(this.opts.key)}`;
    const sent: TrackedEvent[] = [];
    let chunk: TrackedEvent[] = [];
    let bytes = 2;
    const send = (): boolean => {
      if (chunk.length === 0) return true;
      const ok = beacon(url, JSON.stringify(chunk));
      if (ok) sent.push(...chunk);
      chunk = [];
      bytes = 2;
      return ok;
    };
    for (const e of this.queue) {
      const size = JSON.stringify(e).length + 1;
      if (bytes + size > BEACON_MAX_BYTES || chunk.length >= 1000) if (!send()) break;
      chunk.push(e);
      bytes += size;
    }
    send();
    // Queued by the browser: sent even if the page goes away. What it refused stays persisted and
    // goes out with the next page load.
    this.remove(sent);
  }

  private remove(events: TrackedEvent[]): void {
    if (events.length === 0) return;
    const ids = new Set(events.map((e) => e.event_id));
    this.queue = this.queue.filter((e) => !ids.has(e.event_id));
    this.persist();
  }

  private session(now: number): string {
    const raw = this.read(KEYS.session);
    let id: string | undefined;
    if (raw) {
      try {
        const s = JSON.parse(raw) as { id?: unknown; last?: unknown };
        if (
          typeof s.id === 'string' &&
          typeof s.last === 'number' &&
          now - s.last < this.opts.sessionTimeoutMs
        )
          id = s.id;
      } catch {
        /* a corrupt entry starts a new session */
      }
    }
    id ??= this.env.randomUUID();
    this.write(KEYS.session, JSON.stringify({ id, last: now }));
    return id;
  }

  private anonymousId(): string {
    const id = this.read(KEYS.anon) ?? `anon-${this.env.randomUUID()}`;
    this.write(KEYS.anon, id);
    return id;
  }

  private restoreQueue(): TrackedEvent[] {
    const raw = this.read(KEYS.queue);
    if (!raw) return [];
    try {
      const q: unknown = JSON.parse(raw);
      return Array.isArray(q)
        ? (q as TrackedEvent[]).filter((e) => typeof e?.event_id === 'string')
        : [];
    } catch {
      return [];
    }
  }

  private persist(): void {
    if (this.queue.length === 0) this.remove_(KEYS.queue);
    else this.write(KEYS.queue, JSON.stringify(this.queue));
  }

  private read(key: string): string | null {
    try {
      return this.env.storage ? this.env.storage.getItem(key) : (this.memory.get(key) ?? null);
    } catch {
      return this.memory.get(key) ?? null;
    }
  }

  private write(key: string, value: string): void {
    this.memory.set(key, value);
    try {
      this.env.storage?.setItem(key, value);
    } catch {
      /* storage full or blocked: memory keeps it for this page */
    }
  }

  private remove_(key: string): void {
    this.memory.delete(key);
    try {
      this.env.storage?.removeItem(key);
    } catch {
      /* ignore */
    }
  }

  private report(e: TrackerError): void {
    try {
      this.opts.onError?.(e);
    } catch {
      /* a throwing callback must not break tracking */
    }
  }
}

// ---- browser binding --------------------------------------------------------------------------

interface BrowserGlobals {
  fetch: TrackerEnv['fetch'];
  crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array };
  navigator?: { sendBeacon?: (url: string, body: string) => boolean };
  localStorage?: StorageLike;
  document?: {
    visibilityState?: string;
    addEventListener(type: string, fn: () => void): void;
  };
  addEventListener?: (type: string, fn: () => void) => void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
}

function uuidV4(g: BrowserGlobals): string {
  if (g.crypto?.randomUUID) return g.crypto.randomUUID();
  const b = new Uint8Array(16);
  if (g.crypto?.getRandomValues) g.crypto.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The browser's globals as a TrackerEnv. */
export function browserEnv(g: BrowserGlobals = globalThis): TrackerEnv {
  let storage: StorageLike | undefined;
  try {
    storage = g.localStorage;
  } catch {
    storage = undefined; // access itself throws when storage is blocked
  }
  const beacon = g.navigator?.sendBeacon;
  return {
    now: () => Date.now(),
    randomUUID: () => uuidV4(g),
    random: () => Math.random(),
    fetch: (url, init) => g.fetch(url, init),
    sendBeacon: beacon ? (url, body) => beacon.call(g.navigator, url, body) : undefined,
    storage,
    setTimeout: (fn, ms) => g.setTimeout(fn, ms),
    clearTimeout: (h) => g.clearTimeout(h),
    onPageHide: (fn) => {
      g.document?.addEventListener('visibilitychange', () => {
        if (g.document?.visibilityState === 'hidden') fn();
      });
      g.addEventListener?.('pagehide', fn);
    },
  };
}

let instance: Tracker | undefined;

/** Starts the page's tracker; a second call replaces the first. */
export function init(options: TrackerOptions): Tracker {
  instance?.stop();
  instance = new Tracker(options, browserEnv());
  return instance;
}

function current(): Tracker {
  if (!instance) throw new Error('storepulse: call storepulse.init({endpoint, key}) first');
  return instance;
}

export function track(type: EventType, props?: TrackProps): string {
  return current().track(type, props);
}
export function identify(userId: string): void {
  current().identify(userId);
}
export function flush(): Promise<void> {
  return current().flush();
}

export default { init, track, identify, flush };

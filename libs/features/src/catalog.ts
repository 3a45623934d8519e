import {
  findMeasure,
  findRollup,
  GRANULARITY_SECONDS,
  type EntityKind,
  type Granularity,
  type SourceKind,
} from './rollups';

/** Sliding windows; each is answered from minute buckets (≤ 24 h) or hour buckets (7 d, 28 d). */
export const WINDOWS = ['15m', '1h', '24h', '7d', '28d'] as const;
export type SlidingWindow = (typeof WINDOWS)[number];

/**
 * The all-time window: every hour bucket before the start of t's hour that the rollups still hold,
 * i.e. "lifetime" means "within the rollup retention" (`FEATURES_ROLLUP_TTL_DAYS`, default 400 days;
 * see docs/features.md, "Lifetime window"). Answered from hour buckets only.
 */
export const LIFETIME = 'lifetime' as const;
export type WindowName = SlidingWindow | typeof LIFETIME;

/** Span of each window; the lifetime window has no left edge (Infinity). */
export const WINDOW_SECONDS: Record<WindowName, number> = {
  '15m': 900,
  '1h': 3600,
  '24h': 86_400,
  '7d': 7 * 86_400,
  '28d': 28 * 86_400,
  lifetime: Infinity,
};

/** Every window name, sliding ones first (what `GET /api/features/catalog` lists). */
export const ALL_WINDOWS: readonly WindowName[] = [...WINDOWS, LIFETIME];

export function windowGranularity(w: WindowName): Granularity {
  return WINDOW_SECONDS[w] <= 86_400 ? '1m' : '1h';
}

/** One day in ms: the unit of the lifetime recency features. */
export const DAY_MS = 86_400_000;

export interface MeasureRef {
  source: SourceKind;
  measure: string;
}

/** How a feature's value is derived from merged rollup measures over its window. */
export type Aggregation =
  /** Sum (counts, units, money) or exact distinct count, depending on the measure. */
  | { kind: 'total'; of: MeasureRef }
  /** num / den over the same window; null when den = 0. */
  | { kind: 'ratio'; num: MeasureRef; den: MeasureRef }
  /** Value at the latest event time in the window; null when `guard` (a count) is 0. */
  | { kind: 'latest'; of: MeasureRef; guard: MeasureRef }
  /** (t − latest event time in the window) in seconds; null when none. */
  | { kind: 'seconds_since'; of: MeasureRef }
  /**
   * A statistic of the user's sessions in the window (30-minute inactivity gap), computed from the
   * minute buckets of the user's clickstream (first/last event time, add-to-carts) and placed orders
   * (first/last order time). Exact: see docs/features.md, "Sessions".
   */
  | { kind: 'session'; stat: SessionStat }
  /** (t − latest event time in the window) in days; null when none. */
  | { kind: 'days_since'; of: MeasureRef }
  /**
   * (t − earliest event time in the window over all of `of`, earliest-time measures) in days; null
   * when none. Earliest-time measures are read over the lifetime window only (see validateCatalog).
   */
  | { kind: 'days_since_first'; of: MeasureRef[] }
  /** (last − first event time) / (count − 1) in days over the window; null when count < 2. */
  | { kind: 'mean_interval'; count: MeasureRef; first: MeasureRef; last: MeasureRef }
  /**
   * total(of) over the window / the user's sessions in the window (as `session` counts them); null
   * without sessions. A per-session rate does not grow with the length of the history a window
   * covers, unlike the counts it divides.
   */
  | { kind: 'per_session'; of: MeasureRef }
  /**
   * Mean seconds between consecutive clickstream events of a session: Σ over the window's sessions
   * of (last − first event time) / (events − sessions), `events` the window's clickstream events;
   * null when no session has two events.
   */
  | { kind: 'session_gap'; events: MeasureRef };

/**
 * sessions: number of sessions; mean_seconds: mean (last − first event time) of those sessions (null
 * without sessions); abandoned_carts: closed sessions with an add-to-cart and no order placed between
 * the session's first event and 30 minutes after its last; cart_abandonment: abandoned_carts / closed
 * sessions with an add-to-cart (null without any).
 */
export type SessionStat = 'sessions' | 'mean_seconds' | 'abandoned_carts' | 'cart_abandonment';

/** Inactivity gap that ends a session (and the grace period for an order to convert a cart). */
export const SESSION_GAP_MS = 30 * 60_000;

export type FeatureType = 'count' | 'money' | 'ratio' | 'seconds' | 'days' | 'price' | 'quantity';

/** One feature = one declaration; the online and the point-in-time SQL are both generated from it. */
export interface FeatureDef {
  name: string;
  entity: EntityKind;
  /** Raw source(s) the feature reads (through rollups). */
  source: SourceKind[];
  aggregation: Aggregation;
  window: WindowName;
  /** Bucket size used to answer the window (see docs/features.md, window semantics). */
  granularity: Granularity;
  type: FeatureType;
  description: string;
}

const click = (measure: string): MeasureRef => ({ source: 'click', measure });
const order = (measure: string): MeasureRef => ({ source: 'order', measure });
const inventory = (measure: string): MeasureRef => ({ source: 'inventory', measure });

/** The rollup measures an aggregation reads (sessions read the user minute buckets directly). */
export function measureRefs(a: Aggregation): MeasureRef[] {
  switch (a.kind) {
    case 'ratio':
      return [a.num, a.den];
    case 'latest':
      return [a.of, a.guard];
    case 'session':
      return [];
    case 'days_since_first':
      return a.of;
    case 'mean_interval':
      return [a.count, a.first, a.last];
    case 'per_session':
      return [a.of];
    case 'session_gap':
      return [a.events];
    default:
      return [a.of];
  }
}

function sourcesOf(a: Aggregation): SourceKind[] {
  if (a.kind === 'session')
    return a.stat === 'abandoned_carts' || a.stat === 'cart_abandonment'
      ? ['click', 'order']
      : ['click'];
  // sessions are the user's clickstream runs, so a per-session feature reads clicks too
  if (a.kind === 'per_session' || a.kind === 'session_gap')
    return [...new Set<SourceKind>(['click', ...measureRefs(a).map((r) => r.source)])];
  return [...new Set(measureRefs(a).map((r) => r.source))];
}

interface Template {
  base: string;
  aggregation: Aggregation;
  type: FeatureType;
  description: string;
}

function windowed(
  entity: EntityKind,
  templates: Template[],
  windows: readonly SlidingWindow[] = WINDOWS,
): FeatureDef[] {
  return windows.flatMap((window) =>
    templates.map((t) => ({
      name: `${entity}_${t.base}_${window}`,
      entity,
      source: sourcesOf(t.aggregation),
      aggregation: t.aggregation,
      window,
      granularity: windowGranularity(window),
      type: t.type,
      description: `${t.description} in the last ${window}`,
    })),
  );
}

function single(
  entity: EntityKind,
  name: string,
  aggregation: Aggregation,
  window: WindowName,
  granularity: Granularity,
  type: FeatureType,
  description: string,
): FeatureDef {
  return {
    name: `${entity}_${name}`,
    entity,
    source: sourcesOf(aggregation),
    aggregation,
    window,
    granularity,
    type,
    description,
  };
}

const total = (of: MeasureRef): Aggregation => ({ kind: 'total', of });
const ratio = (num: MeasureRef, den: MeasureRef): Aggregation => ({ kind: 'ratio', num, den });

const CLICK_TYPE_FEATURES: Template[] = [
  ['page_views', 'n_page_view', 'page views'],
  ['product_views', 'n_product_view', 'product views'],
  ['searches', 'n_search', 'searches'],
  ['add_to_carts', 'n_add_to_cart', 'add-to-cart events'],
  ['remove_from_carts', 'n_remove_from_cart', 'remove-from-cart events'],
  ['checkouts_started', 'n_checkout_started', 'checkouts started'],
].map(([base, measure, what]) => ({
  base,
  aggregation: total(click(measure)),
  type: 'count' as const,
  description: `Number of ${what}`,
}));

/**
 * Per-session rates of the user's behaviour: they tell how a user shops (a researcher's sessions are
 * long and start with searches, a loyal customer's add to cart and check out) and, unlike the counts
 * they divide, do not grow with the span of history a window covers. Windows of a day and more
 * (15 minutes hold about one session).
 */
const PER_SESSION_WINDOWS = ['24h', '7d', '28d'] as const;
const PER_SESSION_TEMPLATES: Template[] = [
  ...(
    [
      ['events', click('n_events'), 'clickstream events'],
      ['page_views', click('n_page_view'), 'page views'],
      ['product_views', click('n_product_view'), 'product views'],
      ['searches', click('n_search'), 'searches'],
      ['add_to_carts', click('n_add_to_cart'), 'add-to-cart events'],
      ['checkouts', click('n_checkout_started'), 'checkouts started'],
      ['orders', order('n_orders'), 'orders placed'],
    ] as const
  ).map(([base, of, what]) => ({
    base: `${base}_per_session`,
    aggregation: { kind: 'per_session', of } as const,
    type: 'ratio' as const,
    description: `${what[0]?.toUpperCase() ?? ''}${what.slice(1)} per session (null without sessions)`,
  })),
  {
    base: 'mean_event_gap_seconds',
    aggregation: { kind: 'session_gap', events: click('n_events') },
    type: 'seconds',
    description:
      'Mean seconds between consecutive clickstream events of a session (null when no session has two events)',
  },
];

const LIFETIME_NOTE = 'over the lifetime: hour buckets before t’s hour within the rollup retention';

/** The lifetime user features besides first_seen_days (named `user_<base>_lifetime`). */
const LIFETIME_TEMPLATES: Template[] = [
  {
    base: 'orders',
    aggregation: total(order('n_orders')),
    type: 'count',
    description: `Orders placed ${LIFETIME_NOTE}`,
  },
  {
    base: 'units',
    aggregation: total(order('units')),
    type: 'quantity',
    description: `Units bought (placed orders) ${LIFETIME_NOTE}`,
  },
  {
    base: 'spend',
    aggregation: total(order('spend')),
    type: 'money',
    description: `Money spent, sum of qty × unit_price of placed orders, ${LIFETIME_NOTE}`,
  },
  {
    base: 'days_since_last_order',
    aggregation: { kind: 'days_since', of: order('last_order_ts') },
    type: 'days',
    description: `Days from the last placed order to t, ${LIFETIME_NOTE} (null if never)`,
  },
  {
    base: 'mean_days_between_orders',
    aggregation: {
      kind: 'mean_interval',
      count: order('n_orders'),
      first: order('first_order_ts'),
      last: order('last_order_ts'),
    },
    type: 'days',
    description: `(last − first placed order time) / (orders − 1) in days, ${LIFETIME_NOTE} (null with fewer than 2 orders)`,
  },
];

export const FEATURES: readonly FeatureDef[] = [
  // ---- user ----
  ...windowed('user', [
    {
      base: 'events',
      aggregation: total(click('n_events')),
      type: 'count',
      description: 'Clickstream events (all types)',
    },
    ...CLICK_TYPE_FEATURES,
    {
      base: 'orders',
      aggregation: total(order('n_orders')),
      type: 'count',
      description: 'Orders placed',
    },
    {
      base: 'cancellations',
      aggregation: total(order('n_cancellations')),
      type: 'count',
      description: 'Orders cancelled',
    },
    {
      base: 'units',
      aggregation: total(order('units')),
      type: 'quantity',
      description: 'Units bought (placed orders)',
    },
    {
      base: 'spend',
      aggregation: total(order('spend')),
      type: 'money',
      description: 'Money spent, sum of qty × unit_price of placed orders',
    },
    {
      base: 'distinct_skus_viewed',
      aggregation: total(click('skus_viewed')),
      type: 'count',
      description: 'Distinct SKUs viewed (exact)',
    },
    {
      base: 'distinct_categories_viewed',
      aggregation: total(click('categories_viewed')),
      type: 'count',
      description: 'Distinct categories viewed (exact)',
    },
    {
      base: 'view_to_cart',
      aggregation: ratio(click('n_add_to_cart'), click('n_product_view')),
      type: 'ratio',
      description: 'add-to-cart / product views (null without views)',
    },
    {
      base: 'cart_to_order',
      aggregation: ratio(order('n_orders'), click('n_add_to_cart')),
      type: 'ratio',
      description: 'orders placed / add-to-cart events (null without carts)',
    },
    {
      base: 'sessions',
      aggregation: { kind: 'session', stat: 'sessions' },
      type: 'count',
      description:
        'Sessions (clickstream runs split by 30 minutes of inactivity, cut at the window start)',
    },
    {
      base: 'mean_session_seconds',
      aggregation: { kind: 'session', stat: 'mean_seconds' },
      type: 'seconds',
      description: 'Mean session length, last − first event, in seconds (null without sessions)',
    },
    {
      base: 'abandoned_carts',
      aggregation: { kind: 'session', stat: 'abandoned_carts' },
      type: 'count',
      description:
        'Sessions with an add-to-cart, closed (30 min without events), and no order placed from the session start to 30 min after its last event',
    },
    {
      base: 'cart_abandonment',
      aggregation: { kind: 'session', stat: 'cart_abandonment' },
      type: 'ratio',
      description:
        'abandoned carts / closed sessions with an add-to-cart (null without such sessions)',
    },
  ]),
  ...windowed('user', PER_SESSION_TEMPLATES, PER_SESSION_WINDOWS),
  single(
    'user',
    'seconds_since_last_event',
    { kind: 'seconds_since', of: click('last_ts') },
    '28d',
    '1m',
    'seconds',
    'Seconds from t to the last clickstream event before the start of t’s minute (looks back to 28 d before t’s hour; null if none)',
  ),
  single(
    'user',
    'seconds_since_last_order',
    { kind: 'seconds_since', of: order('last_order_ts') },
    '28d',
    '1m',
    'seconds',
    'Seconds from t to the last order placed before the start of t’s minute (looks back to 28 d before t’s hour; null if none)',
  ),
  // ---- user, lifetime (hour buckets before t's hour, within the rollup retention) ----
  single(
    'user',
    'first_seen_days',
    { kind: 'days_since_first', of: [click('first_ts'), order('first_order_ts')] },
    LIFETIME,
    '1h',
    'days',
    'Days from the user’s first event (clickstream event or placed order) to t, over the lifetime: hour buckets before t’s hour within the rollup retention (null if none)',
  ),
  ...LIFETIME_TEMPLATES.map((t) =>
    single('user', `${t.base}_${LIFETIME}`, t.aggregation, LIFETIME, '1h', t.type, t.description),
  ),
  // ---- sku ----
  ...windowed('sku', [
    {
      base: 'views',
      aggregation: total(click('n_views')),
      type: 'count',
      description: 'Product views',
    },
    {
      base: 'carts',
      aggregation: total(click('n_carts')),
      type: 'count',
      description: 'Add-to-cart events',
    },
    {
      base: 'orders',
      aggregation: total(order('n_orders')),
      type: 'count',
      description: 'Placed orders containing the SKU',
    },
    {
      base: 'units',
      aggregation: total(order('units')),
      type: 'quantity',
      description: 'Units sold (placed orders)',
    },
    {
      base: 'revenue',
      aggregation: total(order('revenue')),
      type: 'money',
      description: 'Revenue, sum of qty × unit_price of placed orders',
    },
    {
      base: 'distinct_viewers',
      aggregation: total(click('viewers')),
      type: 'count',
      description: 'Distinct users who viewed the SKU (exact)',
    },
    {
      base: 'distinct_buyers',
      aggregation: total(order('buyers')),
      type: 'count',
      description: 'Distinct users who bought the SKU (exact)',
    },
    {
      base: 'view_to_cart',
      aggregation: ratio(click('n_carts'), click('n_views')),
      type: 'ratio',
      description: 'add-to-cart / views (null without views)',
    },
    {
      base: 'view_to_order',
      aggregation: ratio(order('n_orders'), click('n_views')),
      type: 'ratio',
      description: 'orders / views (null without views)',
    },
  ]),
  single(
    'sku',
    'last_price',
    { kind: 'latest', of: click('last_price'), guard: click('n_priced') },
    '28d',
    '1h',
    'price',
    'Price on the latest priced clickstream event (28 d look-back; null if none)',
  ),
  single(
    'sku',
    'on_hand',
    { kind: 'latest', of: inventory('on_hand'), guard: inventory('n_snapshots') },
    '28d',
    '1h',
    'quantity',
    'Stock on hand in the latest inventory snapshot (28 d look-back; null if none)',
  ),
  single(
    'sku',
    'on_order',
    { kind: 'latest', of: inventory('on_order'), guard: inventory('n_snapshots') },
    '28d',
    '1h',
    'quantity',
    'Stock on order in the latest inventory snapshot (28 d look-back; null if none)',
  ),
  // ---- category (the SKU aggregates rolled up to the category) ----
  ...windowed('category', [
    {
      base: 'views',
      aggregation: total(click('n_views')),
      type: 'count',
      description: 'Product views',
    },
    {
      base: 'carts',
      aggregation: total(click('n_carts')),
      type: 'count',
      description: 'Add-to-cart events',
    },
    {
      base: 'orders',
      aggregation: total(order('n_orders')),
      type: 'count',
      description: 'Placed orders with at least one line in the category',
    },
    {
      base: 'units',
      aggregation: total(order('units')),
      type: 'quantity',
      description: 'Units sold',
    },
    {
      base: 'revenue',
      aggregation: total(order('revenue')),
      type: 'money',
      description: 'Revenue',
    },
    {
      base: 'distinct_viewers',
      aggregation: total(click('viewers')),
      type: 'count',
      description: 'Distinct users who viewed a product of the category (exact)',
    },
    {
      base: 'distinct_buyers',
      aggregation: total(order('buyers')),
      type: 'count',
      description: 'Distinct buyers (exact)',
    },
    {
      base: 'distinct_skus_viewed',
      aggregation: total(click('skus_viewed')),
      type: 'count',
      description: 'Distinct SKUs viewed (exact)',
    },
    {
      base: 'view_to_cart',
      aggregation: ratio(click('n_carts'), click('n_views')),
      type: 'ratio',
      description: 'add-to-cart / views (null without views)',
    },
    {
      base: 'view_to_order',
      aggregation: ratio(order('n_orders'), click('n_views')),
      type: 'ratio',
      description: 'orders / views (null without views)',
    },
  ]),
];

/** Whether a feature reads the user's sessions (and so the minute-bucket activity). */
export function isSessionBased(a: Aggregation): boolean {
  return a.kind === 'session' || a.kind === 'per_session' || a.kind === 'session_gap';
}

/** What a feature name may be (it is also an identifier in generated code, see matrix.ts). */
export const FEATURE_NAME = /^[a-z][a-z0-9_]*$/;

export function featuresOf(entity: EntityKind): FeatureDef[] {
  return FEATURES.filter((f) => f.entity === entity);
}

/** Throws when a declaration references a measure or granularity its rollup does not have. */
export function validateCatalog(features: readonly FeatureDef[] = FEATURES): void {
  const names = new Set<string>();
  for (const f of features) {
    if (names.has(f.name)) throw new Error(`duplicate feature ${f.name}`);
    names.add(f.name);
    if (!FEATURE_NAME.test(f.name)) throw new Error(`bad feature name ${f.name}`);
    if (f.window === LIFETIME) {
      if (f.granularity !== '1h')
        throw new Error(`${f.name}: the lifetime window uses hour buckets`);
    } else if (WINDOW_SECONDS[f.window] % GRANULARITY_SECONDS[f.granularity] !== 0)
      throw new Error(`${f.name}: window is not a whole number of buckets`);
    const a = f.aggregation;
    if (isSessionBased(a) && f.entity !== 'user')
      throw new Error(`${f.name}: session features are user features`);
    if (
      a.kind === 'session_gap' &&
      (a.events.source !== 'click' || a.events.measure !== 'n_events')
    )
      throw new Error(`${f.name}: session_gap divides by the clickstream events (click.n_events)`);
    for (const r of measureRefs(a)) {
      const spec = findRollup(f.entity, r.source);
      const kind = findMeasure(spec, r.measure).kind;
      if (kind === 'min_ts' && f.window !== LIFETIME)
        throw new Error(
          `${f.name}: earliest-time measures are read over the lifetime window only (or by sessions)`,
        );
      if (
        a.kind === 'seconds_since' &&
        !(['1m', '1h'] as const).every((g) => spec.granularities.includes(g))
      )
        throw new Error(`${f.name}: recency needs minute and hour buckets`);
      if (!spec.granularities.includes(f.granularity))
        throw new Error(
          `${f.name}: rollup ${f.entity}/${r.source} has no ${f.granularity} buckets`,
        );
    }
  }
}

import { z } from 'zod';

/** Environment variables understood by StorePulse: validated once, at start-up, into {@link AppConfig}. */
const int = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(min, { error: `must be >= ${min}` })
    .max(max, { error: `must be <= ${max}` });
const num = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .min(min, { error: `must be >= ${min}` })
    .max(max, { error: `must be <= ${max}` });
const bool = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true/false/1/0' })
  .transform((v) => v === 'true' || v === '1');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], {
      error: 'must be development, production or test',
    })
    .default('development'),
  HTTP_PORT: int(0, 65535).default(3000),
  /** Interface the HTTP server binds to: loopback unless set (0.0.0.0 or :: for every interface). */
  HTTP_HOST: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9.:_-]+$/, { error: 'must be a host name or IP address, e.g. 0.0.0.0' })
    .default('127.0.0.1'),
  /** Read keys of the HTTP API: `name:sha256hex[,name:sha256hex...]` (npm run collector:key -- NAME). */
  API_READ_KEYS: optionalString,
  /** Admin keys (train, promote, rollback, run now; reads too), same format. */
  API_ADMIN_KEYS: optionalString,
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
      error: 'must be a pino level',
    })
    .default('info'),

  KAFKA_BROKERS: optionalString.pipe(
    z
      .string()
      .regex(/^[^,\s:]+:\d+(,[^,\s:]+:\d+)*$/, { error: 'must be host:port[,host:port...]' })
      .optional(),
  ),
  KAFKA_CLIENT_ID: z.string().min(1).default('storepulse'),
  KAFKA_TOPIC_PARTITIONS: int(1, 256).default(3),
  KAFKA_TOPIC_REPLICATION: int(1, 7).default(1),
  KAFKA_LOCAL_PORT: int(1, 65535).default(9092),

  CLICKHOUSE_URL: optionalString.pipe(
    z.url({ error: 'must be an http(s) URL, e.g. http://localhost:8123' }).optional(),
  ),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an identifier' })
    .default('storepulse'),
  CLICKHOUSE_DATA_DIR: z.string().min(1).default('.data/chdb'),
  RAW_TTL_DAYS: int(1, 3650).default(90),
  CLICKHOUSE_INSERT_MAX_ROWS: int(1, 1_000_000).default(50_000),
  CLICKHOUSE_INSERT_MAX_BYTES: int(1024, 1 << 30).default(16 * 1024 * 1024),
  // Server mode: how long a request may take (the client's default, 30 s, is shorter than a training
  // set query on a busy machine; the embedded engine has no such limit).
  CLICKHOUSE_REQUEST_TIMEOUT_MS: int(1_000, 3_600_000).default(600_000),
  // The ClickHouse HTTP gateway over the embedded engine (`npm run start:clickhouse`).
  CLICKHOUSE_GATEWAY_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:_-]+$/, { error: 'must be a host name or IP address' })
    .default('127.0.0.1'),
  CLICKHOUSE_GATEWAY_PORT: int(0, 65535).default(8123),
  CLICKHOUSE_GATEWAY_MAX_BODY_BYTES: int(1024, 2 * 1024 * 1024 * 1024 - 1).default(
    256 * 1024 * 1024,
  ),
  CLICKHOUSE_GATEWAY_MAX_CONCURRENCY: int(1, 64).default(4),

  AGGREGATOR_GROUP_ID: z.string().min(1).default('storepulse-aggregator'),
  AGGREGATOR_PARTITIONS_CONCURRENCY: int(1, 64).default(3),
  AGGREGATOR_MAX_INFLIGHT_INSERTS: int(1, 64).default(2),
  // 16 MiB: fewer fetch rounds (kafkajs fetches again only after every batch of a round is done,
  // and the engine idles meanwhile) and larger inserts (each insert pays a fixed cost in 13 views).
  AGGREGATOR_MAX_BYTES_PER_PARTITION: int(1024, 64 * 1024 * 1024).default(16 * 1024 * 1024),
  AGGREGATOR_STALL_TIMEOUT_MS: int(1000, 3_600_000).default(60_000),
  AGGREGATOR_SESSION_TIMEOUT_MS: int(6_000, 300_000).default(30_000),
  AGGREGATOR_RETRY_MAX_MS: int(100, 600_000).default(30_000),
  SHUTDOWN_DRAIN_TIMEOUT_MS: int(100, 120_000).default(10_000),

  /** An event whose event_id was stored from another offset within this window is dropped (0 = off). */
  DEDUP_WINDOW_MS: int(0, 30 * 86_400_000).default(86_400_000),
  /** Messages with the replay header (history import) may be this old (days) instead of the lateness. */
  IMPORT_MAX_AGE_DAYS: int(1, 3650).default(730),
  /**
   * The import's producer: librdkafka (native, scripts/kafka-native/provision.mjs), kafkajs, or auto
   * (librdkafka when its binding loads, else kafkajs).
   */
  IMPORT_KAFKA_CLIENT: z
    .enum(['auto', 'librdkafka', 'kafkajs'], { error: 'must be auto, librdkafka or kafkajs' })
    .default('auto'),
  /**
   * The transactional producers of the exactly-once transports (the scorer's): librdkafka, kafkajs,
   * or auto (librdkafka when its binding loads, else kafkajs). Their consumer: TRANSPORT_CONSUMER_CLIENT.
   */
  TRANSPORT_KAFKA_CLIENT: z
    .enum(['auto', 'librdkafka', 'kafkajs'], { error: 'must be auto, librdkafka or kafkajs' })
    .default('auto'),
  /**
   * The consumer of the exactly-once transports (the scorer's): auto (default: librdkafka when its
   * binding loads, else kafkajs), librdkafka (fetches while batches are handled), or kafkajs.
   */
  TRANSPORT_CONSUMER_CLIENT: z
    .enum(['auto', 'librdkafka', 'kafkajs'], { error: 'must be auto, librdkafka or kafkajs' })
    .default('auto'),
  FEATURES_ALLOWED_LATENESS_MS: int(0, 3650 * 86_400_000).default(7 * 86_400_000),
  FEATURES_MAX_FUTURE_MS: int(0, 86_400_000).default(5 * 60_000),
  FEATURES_ROLLUP_TTL_DAYS: int(1, 3650).default(400),
  FEATURES_MAX_BATCH: int(1, 100_000).default(5_000),
  FEATURES_ONLINE: z
    .enum(['auto', 'on', 'off'], { error: 'must be auto, on or off' })
    .default('auto'),

  SIMULATOR_EVENTS_PER_SEC: num(0, 1_000_000).default(50),
  SIMULATOR_SEED: int(0, 2 ** 31 - 1).default(42),
  SIMULATOR_USERS: int(1, 10_000_000).default(2_000),
  SIMULATOR_SKUS: int(1, 1_000_000).default(300),
  SIMULATOR_INVALID_RATE: num(0, 1).default(0),

  /** Purchase-propensity horizons, one model each: `24h,7d` (each 1h..365d, hours or days). */
  PROPENSITY_HORIZONS: z
    .string()
    .default('24h,7d')
    .pipe(
      z.string().regex(/^\s*\d+[hd]\s*(,\s*\d+[hd]\s*)*$/, {
        error: 'must be a comma-separated list such as 24h,7d (hours or days)',
      }),
    ),
  TRAINER_ENABLED: bool.default(true),
  TRAINER_INTERVAL_MS: int(0, 30 * 86_400_000).default(3_600_000),
  TRAINER_WINDOW_DAYS: int(1, 3650).default(28),
  TRAINER_CUTOFF_EVERY_HOURS: int(1, 24 * 30).default(6),
  /** Cut-off spacing of a model's first run (no champion yet; 0 = TRAINER_CUTOFF_EVERY_HOURS). */
  TRAINER_FIRST_RUN_CUTOFF_EVERY_HOURS: int(0, 24 * 30).default(18),
  TRAINER_USERS_PER_CUTOFF: int(10, 1_000_000).default(4_000),
  TRAINER_NEGATIVE_KEEP_RATE: num(0.01, 1).default(1),
  /**
   * A from-scratch or warm run leaves out the features whose PSI, validation cut-off against the
   * training cut-offs, exceeds this (not stationary over the window: e.g. 28-day windows still
   * filling on a short history); 0 = keep every feature.
   */
  TRAINER_MAX_FEATURE_PSI: num(0, 100).default(0.25),
  /**
   * How training cut-offs are kept apart from the validation cut-off (the test cut-off is always
   * purged by time): `users` (default) = training runs up to the validation cut-off, leaving the
   * validation users out where labels overlap; `time` = training labels end by the validation
   * cut-off (a horizon of history less to learn from; docs/models.md, "Quality benchmark").
   */
  TRAINER_SPLIT_PURGE: z
    .enum(['time', 'users'], { error: 'must be time or users' })
    .default('users'),
  TRAINER_MAX_EPOCHS: int(1, 1000).default(40),
  TRAINER_WARM_MAX_EPOCHS: int(1, 1000).default(10),
  /** How often the trainer compares live feature vectors with each champion's training profile (0 = never). */
  TRAINER_DRIFT_CHECK_MS: int(0, 30 * 86_400_000).default(600_000),
  /** A counted feature's PSI above this starts a retraining run. */
  TRAINER_DRIFT_PSI: num(0.01, 10).default(0.25),
  /** A feature's PSI counts only with at least this many live rows (users sampled). */
  TRAINER_DRIFT_MIN_SAMPLES: int(10, 1_000_000).default(1_000),
  /** At most this many recently active users are sampled per check. */
  TRAINER_DRIFT_MAX_USERS: int(10, 1_000_000).default(5_000),
  /** Users with an event in this window (before the data watermark) are sampled. */
  TRAINER_DRIFT_ACTIVE_WINDOW_MS: int(60_000, 30 * 86_400_000).default(3_600_000),
  /** After a drift-triggered run, no new drift run for that model before this has passed. */
  TRAINER_DRIFT_COOLDOWN_MS: int(0, 30 * 86_400_000).default(21_600_000),
  /** The live-AUC rule counts only a live AUC measured on at least this many matured labels. */
  TRAINER_DRIFT_MIN_LIVE_LABELS: int(10, 10_000_000).default(500),
  /** Retrain when the champion's live AUC is below its validation AUC minus this. */
  TRAINER_DRIFT_AUC_DROP: num(0.001, 1).default(0.05),
  /**
   * The live AUC is pooled over the matured samples whose prediction time lies in this window up to
   * the newest one (model_live_samples), not one resolution's batch.
   */
  TRAINER_DRIFT_LIVE_AUC_WINDOW_MS: int(60_000, 30 * 86_400_000).default(86_400_000),
  /** At most this many (the newest) samples of the window are pooled: bounds the read. */
  TRAINER_DRIFT_LIVE_AUC_MAX_SAMPLES: int(100, 10_000_000).default(200_000),
  /**
   * From-scratch propensity runs train this many networks (seeds 7, 8, …) and serve their mean logit
   * as one network (warm starts continue it); 1 = a single network.
   */
  TRAINER_ENSEMBLE: int(1, 16).default(3),
  TRAINER_HIDDEN: z
    .string()
    .default('64,32')
    .pipe(z.string().regex(/^\d+(,\d+)*$/, { error: 'must be layer sizes such as 64,32' })),
  /** After a rejected run: retrain once the data's watermark moved this much (event time)... */
  TRAINER_REJECTED_RETRY_NEW_DATA_MS: int(0, 30 * 86_400_000).default(900_000),
  /** ...or once this much wall time passed since the rejected run finished. */
  TRAINER_REJECTED_BACKOFF_MS: int(0, 30 * 86_400_000).default(3_600_000),
  GATE_MAX_AUC_DROP: num(0, 1).default(0.005),
  GATE_MAX_LOGLOSS_INCREASE: num(0, 10).default(0.02),
  SCORER_ENABLED: bool.default(true),
  SCORER_GROUP_ID: z.string().min(1).default('storepulse-scorer'),
  SCORER_DEBOUNCE_MS: int(0, 86_400_000).default(0),
  SCORER_MODEL_POLL_MS: int(100, 60_000).default(1_000),
  SCORER_FEATURES_WAIT_MS: int(100, 600_000).default(30_000),
  SCORER_MAX_PENDING_EVENTS: int(0, 10_000_000).default(100_000),
  SCORER_MAX_EVENT_AGE_MS: int(1000, 3650 * 86_400_000).default(3_600_000),
  SCORER_MAX_BYTES_PER_PARTITION: int(1024, 64 * 1024 * 1024).default(256 * 1024),
  SCORER_FETCH_MAX_WAIT_MS: int(1, 10_000).default(250),
  /** Demand forecasting (docs/models.md "Demand"). The day boundary is midnight in this IANA zone. */
  SHOP_TIME_ZONE: z
    .string()
    .default('UTC')
    .refine(
      (tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      },
      { error: 'must be an IANA time zone such as UTC or Europe/Berlin' },
    ),
  DEMAND_ENABLED: bool.default(true),
  DEMAND_TRAIN_INTERVAL_MS: int(0, 30 * 86_400_000).default(86_400_000),
  DEMAND_FORECAST_INTERVAL_MS: int(0, 30 * 86_400_000).default(3_600_000),
  DEMAND_HORIZON_DAYS: int(1, 365).default(28),
  DEMAND_BACKTEST_ORIGINS: int(3, 52).default(3),
  DEMAND_HISTORY_DAYS: int(28, 3650).default(365),
  DEMAND_MIN_HISTORY_DAYS: int(1, 3650).default(28),
  DEMAND_GLOBAL_MAX_EPOCHS: int(1, 1000).default(30),
  /**
   * Worker threads fitting the per-SKU demand models (AutoETS, seasonal naive, Croston, TSB) of an
   * hourly forecast run; unset = the available cores, 1 = in the scorer's own thread.
   */
  DEMAND_FORECAST_WORKERS: int(1, 64).optional(),
  GATE_MAX_WQL_INCREASE: num(0, 10).default(0.02),
  REPLENISHMENT_ENABLED: bool.default(true),
  REPLENISHMENT_GROUP_ID: z.string().min(1).default('storepulse-replenishment'),
  REPLENISHMENT_SERVICE_LEVEL: num(0.5, 0.9999).default(0.95),
  REPLENISHMENT_REVIEW_PERIOD_DAYS: num(0, 365).default(1),
  /**
   * Correlation of consecutive days' forecast errors in the lead-time demand Monte Carlo. A SKU's
   * forecast errors persist across days; 0 (independent days) under-states the lead-time spread:
   * `npm run bench -- demand-loop` loses to the fixed policy at 0 and wins at 0.6.
   */
  REPLENISHMENT_DAY_CORRELATION: num(0, 0.99).default(0.6),
  SIMULATOR_FOLLOW_REPLENISHMENT: bool.default(true),
  /** Wall ms between the simulator's inventory KPI snapshots to ClickHouse (0 = none). */
  SIMULATOR_KPI_SNAPSHOT_MS: int(0, 86_400_000).default(60_000),
  SIMULATOR_HISTORY_DAYS: num(0, 3650).default(28),
  SIMULATOR_ORDER_HISTORY_DAYS: num(0, 3650).default(120),
  SIMULATOR_HISTORY_EVENTS_PER_DAY: int(1, 1_000_000_000).default(30_000),

  MONITOR_CLUSTER_NAME: z.string().min(1).default('storepulse'),
  MONITOR_POLL_INTERVAL_MS: int(100, 3_600_000).default(5_000),
  MONITOR_WINDOW_SAMPLES: int(2, 1000).default(10),
  MONITOR_STALL_AFTER_MS: int(100, 86_400_000).default(60_000),
  MONITOR_STOP_AFTER_MS: int(100, 86_400_000).default(300_000),
  MONITOR_ALERT_TIME_LAG_SECONDS: num(0, 86_400).default(60),
  MONITOR_ALERT_TIME_LAG_FOR_MS: int(0, 86_400_000).default(120_000),
  MONITOR_ALERT_DLQ_RATE: num(0, 1).default(0.01),
  MONITOR_ALERT_DLQ_WINDOW_MS: int(1000, 86_400_000).default(300_000),
  MONITOR_ALERT_DLQ_MIN_EVENTS: int(0, 1_000_000_000).default(100),
  MONITOR_ALERT_STALLED: bool.default(true),
  MONITOR_HISTORY_POINTS: int(10, 100_000).default(360),
  /** Other services whose /health/ready the monitor reads for alerts: `name=http://host:port,…`. */
  MONITOR_READINESS_URLS: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]+=https?:\/\/[^,\s]+(,[A-Za-z0-9_-]+=https?:\/\/[^,\s]+)*$/, {
        error: 'must be name=http://host:port[,name=http://host:port...]',
      })
      .optional(),
  ),
  MONITOR_READINESS_TIMEOUT_MS: int(100, 60_000).default(3_000),

  /** Collector (HTTP ingest, README "HTTP ingest"). */
  COLLECTOR_ENABLED: bool.default(true),
  /** `storefront:sha256hex[,storefront:sha256hex...]`; see `npm run collector:key`. */
  COLLECTOR_WRITE_KEYS: optionalString,
  /** JSON file of hashed write keys: `{"keys":[{"storefront","sha256","revoked"}]}`. */
  COLLECTOR_KEYS_FILE: optionalString,
  /** How often the collector re-reads COLLECTOR_KEYS_FILE (a change applies within this; 0 = on SIGHUP only). */
  COLLECTOR_KEYS_RELOAD_MS: int(0, 3_600_000).default(2_000),
  COLLECTOR_ALLOW_ANONYMOUS: bool.default(false),
  COLLECTOR_MAX_EVENTS: int(1, 100_000).default(1_000),
  COLLECTOR_MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  COLLECTOR_MAX_DEPTH: int(2, 64).default(8),
  COLLECTOR_PRODUCE_TIMEOUT_MS: int(100, 120_000).default(5_000),
  COLLECTOR_MAX_PENDING_BYTES: int(1024 * 1024, 1 << 30).default(64 * 1024 * 1024),
  /** Idempotent producers of the collector, one produce request in flight each. */
  COLLECTOR_PRODUCERS: int(1, 16).default(1),
  COLLECTOR_RETRY_AFTER_S: int(1, 3600).default(5),
  /** Requests per second per write key (token bucket refill; 0 = no limit) and bucket size. */
  COLLECTOR_RATE_PER_SEC: num(0, 1_000_000).default(1_000),
  COLLECTOR_BURST: int(1, 10_000_000).default(2_000),
  /** Browser origins allowed by CORS: `https://shop.example,https://www.shop.example` or `*`. */
  COLLECTOR_CORS_ORIGINS: optionalString,

  STATUS_INTERVAL_MS: int(0, 3_600_000).default(5_000),
  STATUS_LINE: bool.default(true),
});

export type Env = z.infer<typeof envSchema>;

import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { AccessConfig } from './access';
import { envSchema, type Env } from './env.schema';
import {
  WriteKeysError,
  mergeWriteKeys,
  parseWriteKeys,
  readKeysFile,
  type WriteKey,
} from './write-keys';

export interface KafkaConfig {
  /** undefined: the all-in-one entry starts the local broker (infra/kafka). */
  brokers: string[] | undefined;
  clientId: string;
  topicPartitions: number;
  topicReplication: number;
  localPort: number;
  /** The history import's producer (IMPORT_KAFKA_CLIENT). */
  importClient: 'auto' | 'librdkafka' | 'kafkajs';
  /** The exactly-once transports' producers (TRANSPORT_KAFKA_CLIENT). */
  transportClient: 'auto' | 'librdkafka' | 'kafkajs';
  /** The exactly-once transports' consumer (TRANSPORT_CONSUMER_CLIENT). */
  transportConsumerClient: 'auto' | 'librdkafka' | 'kafkajs';
}
export interface ClickHouseConfig {
  mode: 'server' | 'embedded';
  url: string | undefined;
  user: string;
  password: string;
  database: string;
  dataDir: string;
  rawTtlDays: number;
  insertMaxRows: number;
  insertMaxBytes: number;
  /** Server mode: the client's request timeout. */
  requestTimeoutMs: number;
  gateway: ClickHouseGatewayConfig;
}
/** The ClickHouse HTTP gateway (`npm run start:clickhouse`): serves CLICKHOUSE_DATA_DIR's engine. */
export interface ClickHouseGatewayConfig {
  host: string;
  port: number;
  /** Largest request body (after decompression); larger ones are answered 413. */
  maxBodyBytes: number;
  /** Statements run by the engine at once; more wait their turn. */
  maxConcurrency: number;
}
export interface AggregatorConfig {
  groupId: string;
  partitionsConcurrency: number;
  maxInflightInserts: number;
  maxBytesPerPartition: number;
  stallTimeoutMs: number;
  retryMaxMs: number;
  /** Consumer group session timeout: how soon a crashed member's partitions move on. */
  sessionTimeoutMs: number;
  /**
   * An event whose event_id is already stored from another (topic, partition, offset), stored
   * within this window, is dropped (counted, not dead-lettered); 0 = no event_id dedup.
   */
  dedupWindowMs: number;
  /** Messages with the replay header (history import) may be up to this many days old. */
  importMaxAgeDays: number;
}
export interface FeaturesConfig {
  /** Events whose event time is older than now − this go to the DLQ (reason names the rule). */
  allowedLatenessMs: number;
  /** Events whose event time is later than now + this go to the DLQ. */
  maxFutureMs: number;
  /** TTL of the feature rollups (days); must exceed RAW_TTL_DAYS. */
  rollupTtlDays: number;
  /** Max entities per batched lookup request. */
  maxBatch: number;
  /**
   * In-process online tier for user features (FEATURES_ONLINE: auto = on with the embedded engine,
   * where this process is the only writer). Needs RAW_TTL_DAYS ≥ 29 (it warms up from 28 days of raw).
   */
  online: boolean;
}
export interface SimulatorConfig {
  eventsPerSec: number;
  seed: number;
  users: number;
  skus: number;
  invalidRate: number;
  /** On an empty store, this much history is produced at full speed before the live rate. */
  historyDays: number;
  /** Average traffic of that history (daily/weekly curve applied). */
  historyEventsPerDay: number;
  /**
   * Days of order-only history (orders, cancellations, stock positions; no clickstream) written before
   * those `historyDays`, ending where they start (0 = none): the demand models' longer series.
   */
  orderHistoryDays: number;
  /**
   * true: the simulated inventory system places the purchase orders recommended on
   * inventory.replenishment.v1; false: it keeps its own fixed reorder-point policy.
   */
  followReplenishment: boolean;
  /**
   * Wall ms between snapshots of the inventory KPIs per policy (following / fixed) written to
   * ClickHouse simulator_inventory_kpis, which the dashboard reads; 0 = none (LOOP.md).
   */
  kpiSnapshotMs: number;
}
export interface Horizon {
  /** Name as configured (`24h`, `7d`): in model names and predictions. */
  name: string;
  ms: number;
}
export interface TrainerConfig {
  enabled: boolean;
  horizons: Horizon[];
  /** Scheduled retraining interval (0 = on demand only). */
  intervalMs: number;
  /** Sliding window of cut-offs a run trains on. */
  windowDays: number;
  /** Spacing of the (hour-aligned) training cut-offs. */
  cutoffEveryHours: number;
  /**
   * Spacing of a first run's cut-offs (a model without a champion): a coarser grid on the same
   * hours of the day, so the first champions of `npm start` come within minutes (README, first run).
   */
  firstRunCutoffEveryHours: number;
  usersPerCutoff: number;
  /** Share of negative examples kept (weights 1/rate are recorded). */
  negativeKeepRate: number;
  /**
   * Features whose PSI (validation against training) exceeds this are left out of the model
   * (Infinity: every feature; TRAINER_MAX_FEATURE_PSI = 0).
   */
  maxFeaturePsi: number;
  /** How training is kept apart from validation (TRAINER_SPLIT_PURGE; docs/models.md, "Split"). */
  splitPurge: 'time' | 'users';
  maxEpochs: number;
  warmMaxEpochs: number;
  /** Networks per from-scratch propensity run, merged into one (TRAINER_ENSEMBLE). */
  ensemble: number;
  hidden: number[];
  gate: { maxAucDrop: number; maxLogLossIncrease: number };
  /**
   * After a run the gate rejected, the model is retrained only once the data's watermark moved by
   * `minNewDataMs` or `backoffMs` passed (identical data gives an identical, rejected candidate).
   */
  rejectedRetry: { minNewDataMs: number; backoffMs: number };
  /**
   * Drift as a retraining trigger (live feature PSI against the champion's training profile, and the
   * champion's persisted live AUC against its validation AUC).
   */
  drift: TrainerDriftConfig;
}
export interface TrainerDriftConfig {
  /** Check interval (0 = drift never triggers a run). */
  checkMs: number;
  psiThreshold: number;
  minSamples: number;
  maxUsers: number;
  activeWindowMs: number;
  cooldownMs: number;
  /** Matured labels a live AUC needs for the auc-drop rule to count (TRAINER_DRIFT_MIN_LIVE_LABELS). */
  minLiveLabels: number;
  /** Retrain when live AUC < validation AUC − aucDrop (TRAINER_DRIFT_AUC_DROP). */
  aucDrop: number;
  /**
   * The live AUC pools the matured samples of this much prediction time up to the newest one
   * (TRAINER_DRIFT_LIVE_AUC_WINDOW_MS), at most liveAucMaxSamples of the newest
   * (TRAINER_DRIFT_LIVE_AUC_MAX_SAMPLES). The monitor's stored live AUC uses the same pool.
   */
  liveAucWindowMs: number;
  liveAucMaxSamples: number;
}
export interface ScorerConfig {
  enabled: boolean;
  groupId: string;
  /** Per-user debounce: at most one score per user and horizon within this time (0 = every event). */
  debounceMs: number;
  /** How often running scorers look for a new champion. */
  modelPollMs: number;
  /** How long a batch waits for the aggregator to store its events before retrying. */
  featuresWaitMs: number;
  /**
   * With the online tier, a batch is scored at once, its events (and the earlier ones the aggregator
   * has not stored yet) folded into the features; this many such events are held at most, over all
   * partitions, before batches wait for the aggregator instead. 0: always wait (SCORER_MAX_PENDING_EVENTS).
   */
  maxPendingEvents: number;
  /**
   * Events older than this (event time vs now) are not scored live: a backfill or a first-run history
   * read from the start of the topics is skipped (counted), not scored.
   */
  maxEventAgeMs: number;
  /** Input fetched per partition and batch (one transaction per partition batch). */
  maxBytesPerPartition: number;
  /** How long the broker holds a fetch of an idle partition (data returns at once). */
  fetchMaxWaitMs: number;
}
export interface DemandConfig {
  enabled: boolean;
  /** IANA zone whose midnight is the day boundary of the daily series. */
  timeZone: string;
  /** Scheduled retraining (backtest + champion) interval (0 = on demand only). */
  trainIntervalMs: number;
  /** How often a new forecast is published with the latest actuals (0 = never on a timer). */
  forecastIntervalMs: number;
  horizonDays: number;
  /** Rolling-origin backtest origins (≥ 3), each with a horizonDays horizon. */
  backtestOrigins: number;
  /** Days of history read for training and forecasting. */
  historyDays: number;
  /** SKUs with fewer days since their first sale are forecast by the global model (cold_start). */
  minHistoryDays: number;
  globalMaxEpochs: number;
  /**
   * Threads fitting the per-SKU models of a forecast run (DEMAND_FORECAST_WORKERS, default the
   * available cores); 1 = in the calling thread, no worker.
   */
  forecastWorkers: number;
  gate: { maxWqlIncrease: number };
}
export interface ReplenishmentConfig {
  enabled: boolean;
  groupId: string;
  /** Target probability of not running out over lead time (cycle service level). */
  serviceLevel: number;
  reviewPeriodDays: number;
  /** AR(1) correlation of consecutive days' demand in the lead-time Monte Carlo. */
  dayCorrelation: number;
}
export interface MonitorConfig {
  /** `cluster_name` label on the kafka_consumergroup_* metrics. */
  clusterName: string;
  pollIntervalMs: number;
  /** Samples per partition in the sliding window used for the WARNING (lag growing) rule. */
  windowSamples: number;
  /** Committed offset not moving for this long while lag > 0: STALLED. */
  stallAfterMs: number;
  /** Committed offset not moving for this long while lag > 0: STOPPED. */
  stopAfterMs: number;
  alerts: {
    timeLagSeconds: number;
    timeLagForMs: number;
    dlqRate: number;
    dlqWindowMs: number;
    dlqMinEvents: number;
    stalled: boolean;
  };
  historyPoints: number;
  /** Services whose /health/ready is read for alerts (separate apps); in process: the registry. */
  readiness: { targets: { name: string; url: string }[]; timeoutMs: number };
}
export interface CollectorConfig {
  /** Mounted in the all-in-one process. */
  enabled: boolean;
  /** From COLLECTOR_WRITE_KEYS and COLLECTOR_KEYS_FILE (hashed). */
  writeKeys: WriteKey[];
  /** COLLECTOR_KEYS_FILE: re-read every `keysReloadMs` (0 = only on SIGHUP) and on SIGHUP. */
  keysFile: string | undefined;
  keysReloadMs: number;
  /** No keys configured and anonymous writes allowed explicitly. */
  allowAnonymous: boolean;
  maxEvents: number;
  maxBodyBytes: number;
  /** Max nesting of objects/arrays inside one event (the event itself is level 1). */
  maxDepth: number;
  /** Kafka must acknowledge within this, else 503. */
  produceTimeoutMs: number;
  /** Bytes queued or in flight to Kafka beyond which requests get 503 at once. */
  maxPendingBytes: number;
  /**
   * Idempotent producers (COLLECTOR_PRODUCERS), each with one produce request in flight: a request
   * waits for a free one instead of the end of the request in flight.
   */
  producers: number;
  /** Retry-After (seconds) of a 503. */
  retryAfterSeconds: number;
  /** Token bucket per write key: refill per second (0 = unlimited) and capacity (requests). */
  ratePerSec: number;
  burst: number;
  /** Allowed browser origins; `['*']` = any. Empty: no CORS headers. */
  corsOrigins: string[];
}
export interface AppConfig {
  env: Env['NODE_ENV'];
  httpPort: number;
  /** HTTP_HOST: the interface every app's HTTP server binds to (default 127.0.0.1). */
  httpHost: string;
  /** API_READ_KEYS / API_ADMIN_KEYS (docs/reliability.md "Access"). */
  access: AccessConfig;
  logLevel: Env['LOG_LEVEL'];
  kafka: KafkaConfig;
  clickhouse: ClickHouseConfig;
  aggregator: AggregatorConfig;
  features: FeaturesConfig;
  simulator: SimulatorConfig;
  monitor: MonitorConfig;
  trainer: TrainerConfig;
  scorer: ScorerConfig;
  demand: DemandConfig;
  replenishment: ReplenishmentConfig;
  collector: CollectorConfig;
  shutdownDrainTimeoutMs: number;
  statusIntervalMs: number;
  statusLine: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; rule: string; value: string | undefined }[]) {
    super(
      'Invalid configuration:\n' +
        problems
          .map(
            (p) =>
              `  - ${p.variable}: ${p.rule}${p.value === undefined ? ' (not set)' : ` (got "${p.value}")`}`,
          )
          .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Validates the environment once; throws {@link ConfigError} naming every bad variable and its rule. */
export function loadConfig(source: Record<string, string | undefined>): AppConfig {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i: z.core.$ZodIssue) => {
        const variable = String(i.path[0] ?? '?');
        return { variable, rule: i.message, value: source[variable] };
      }),
    );
  }
  const e = parsed.data;
  if (e.FEATURES_ROLLUP_TTL_DAYS <= e.RAW_TTL_DAYS)
    throw new ConfigError([
      {
        variable: 'FEATURES_ROLLUP_TTL_DAYS',
        rule: `must be greater than RAW_TTL_DAYS (${e.RAW_TTL_DAYS}): rollups outlive raw events`,
        value: source['FEATURES_ROLLUP_TTL_DAYS'],
      },
    ]);
  if (e.FEATURES_ONLINE === 'on' && e.RAW_TTL_DAYS < 29)
    throw new ConfigError([
      {
        variable: 'FEATURES_ONLINE',
        rule: `needs RAW_TTL_DAYS >= 29 (is ${e.RAW_TTL_DAYS}): the online tier warms up from 28 days of raw events`,
        value: source['FEATURES_ONLINE'],
      },
    ]);
  const horizons: Horizon[] = [];
  for (const raw of e.PROPENSITY_HORIZONS.split(',')) {
    const m = /^(\d+)([hd])$/.exec(raw.trim());
    const value = Number(m?.[1]);
    const ms = value * (m?.[2] === 'h' ? 3_600_000 : 86_400_000);
    if (!m || ms < 3_600_000 || ms > 365 * 86_400_000)
      throw new ConfigError([
        {
          variable: 'PROPENSITY_HORIZONS',
          rule: `horizon '${raw.trim()}' must be between 1h and 365d`,
          value: source['PROPENSITY_HORIZONS'],
        },
      ]);
    const name = `${value}${m[2]}`;
    if (horizons.some((h) => h.ms === ms))
      throw new ConfigError([
        {
          variable: 'PROPENSITY_HORIZONS',
          rule: `horizon '${name}' is listed twice (same length as another)`,
          value: source['PROPENSITY_HORIZONS'],
        },
      ]);
    horizons.push({ name, ms });
  }
  let writeKeys: WriteKey[];
  try {
    writeKeys = mergeWriteKeys(
      parseWriteKeys(e.COLLECTOR_WRITE_KEYS),
      readKeysFile(e.COLLECTOR_KEYS_FILE),
    );
  } catch (err) {
    if (!(err instanceof WriteKeysError)) throw err;
    // never echo COLLECTOR_WRITE_KEYS back (hashes only, but still credentials material)
    throw new ConfigError([
      {
        variable: err.variable,
        rule: err.message,
        value: err.variable === 'COLLECTOR_KEYS_FILE' ? source[err.variable] : '…',
      },
    ]);
  }
  const access = apiKeys(e.API_READ_KEYS, e.API_ADMIN_KEYS);
  const corsOrigins = (e.COLLECTOR_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/$/, ''))
    .filter((o) => o.length > 0);
  for (const o of corsOrigins)
    if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o))
      throw new ConfigError([
        {
          variable: 'COLLECTOR_CORS_ORIGINS',
          rule: `origin '${o}' must be scheme://host[:port] (e.g. https://shop.example) or *`,
          value: source['COLLECTOR_CORS_ORIGINS'],
        },
      ]);
  const online =
    e.FEATURES_ONLINE === 'on' ||
    (e.FEATURES_ONLINE === 'auto' && !e.CLICKHOUSE_URL && e.RAW_TTL_DAYS >= 29);
  return {
    env: e.NODE_ENV,
    httpPort: e.HTTP_PORT,
    httpHost: e.HTTP_HOST,
    access,
    logLevel: e.LOG_LEVEL,
    kafka: {
      brokers: e.KAFKA_BROKERS?.split(','),
      clientId: e.KAFKA_CLIENT_ID,
      topicPartitions: e.KAFKA_TOPIC_PARTITIONS,
      topicReplication: e.KAFKA_TOPIC_REPLICATION,
      localPort: e.KAFKA_LOCAL_PORT,
      importClient: e.IMPORT_KAFKA_CLIENT,
      transportClient: e.TRANSPORT_KAFKA_CLIENT,
      transportConsumerClient: e.TRANSPORT_CONSUMER_CLIENT,
    },
    clickhouse: {
      mode: e.CLICKHOUSE_URL ? 'server' : 'embedded',
      url: e.CLICKHOUSE_URL,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      dataDir: e.CLICKHOUSE_DATA_DIR,
      rawTtlDays: e.RAW_TTL_DAYS,
      insertMaxRows: e.CLICKHOUSE_INSERT_MAX_ROWS,
      insertMaxBytes: e.CLICKHOUSE_INSERT_MAX_BYTES,
      requestTimeoutMs: e.CLICKHOUSE_REQUEST_TIMEOUT_MS,
      gateway: {
        host: e.CLICKHOUSE_GATEWAY_HOST,
        port: e.CLICKHOUSE_GATEWAY_PORT,
        maxBodyBytes: e.CLICKHOUSE_GATEWAY_MAX_BODY_BYTES,
        maxConcurrency: e.CLICKHOUSE_GATEWAY_MAX_CONCURRENCY,
      },
    },
    aggregator: {
      groupId: e.AGGREGATOR_GROUP_ID,
      partitionsConcurrency: e.AGGREGATOR_PARTITIONS_CONCURRENCY,
      maxInflightInserts: e.AGGREGATOR_MAX_INFLIGHT_INSERTS,
      maxBytesPerPartition: e.AGGREGATOR_MAX_BYTES_PER_PARTITION,
      stallTimeoutMs: e.AGGREGATOR_STALL_TIMEOUT_MS,
      retryMaxMs: e.AGGREGATOR_RETRY_MAX_MS,
      sessionTimeoutMs: e.AGGREGATOR_SESSION_TIMEOUT_MS,
      dedupWindowMs: e.DEDUP_WINDOW_MS,
      importMaxAgeDays: e.IMPORT_MAX_AGE_DAYS,
    },
    features: {
      allowedLatenessMs: e.FEATURES_ALLOWED_LATENESS_MS,
      maxFutureMs: e.FEATURES_MAX_FUTURE_MS,
      rollupTtlDays: e.FEATURES_ROLLUP_TTL_DAYS,
      maxBatch: e.FEATURES_MAX_BATCH,
      online,
    },
    simulator: {
      eventsPerSec: e.SIMULATOR_EVENTS_PER_SEC,
      seed: e.SIMULATOR_SEED,
      users: e.SIMULATOR_USERS,
      skus: e.SIMULATOR_SKUS,
      invalidRate: e.SIMULATOR_INVALID_RATE,
      historyDays: e.SIMULATOR_HISTORY_DAYS,
      historyEventsPerDay: e.SIMULATOR_HISTORY_EVENTS_PER_DAY,
      orderHistoryDays: e.SIMULATOR_ORDER_HISTORY_DAYS,
      followReplenishment: e.SIMULATOR_FOLLOW_REPLENISHMENT,
      kpiSnapshotMs: e.SIMULATOR_KPI_SNAPSHOT_MS,
    },
    monitor: {
      clusterName: e.MONITOR_CLUSTER_NAME,
      pollIntervalMs: e.MONITOR_POLL_INTERVAL_MS,
      windowSamples: e.MONITOR_WINDOW_SAMPLES,
      stallAfterMs: e.MONITOR_STALL_AFTER_MS,
      stopAfterMs: e.MONITOR_STOP_AFTER_MS,
      alerts: {
        timeLagSeconds: e.MONITOR_ALERT_TIME_LAG_SECONDS,
        timeLagForMs: e.MONITOR_ALERT_TIME_LAG_FOR_MS,
        dlqRate: e.MONITOR_ALERT_DLQ_RATE,
        dlqWindowMs: e.MONITOR_ALERT_DLQ_WINDOW_MS,
        dlqMinEvents: e.MONITOR_ALERT_DLQ_MIN_EVENTS,
        stalled: e.MONITOR_ALERT_STALLED,
      },
      historyPoints: e.MONITOR_HISTORY_POINTS,
      readiness: {
        targets: (e.MONITOR_READINESS_URLS ?? '')
          .split(',')
          .filter((x) => x !== '')
          .map((x) => {
            const i = x.indexOf('=');
            return { name: x.slice(0, i), url: x.slice(i + 1) };
          }),
        timeoutMs: e.MONITOR_READINESS_TIMEOUT_MS,
      },
    },
    trainer: {
      enabled: e.TRAINER_ENABLED,
      horizons,
      intervalMs: e.TRAINER_INTERVAL_MS,
      windowDays: e.TRAINER_WINDOW_DAYS,
      cutoffEveryHours: e.TRAINER_CUTOFF_EVERY_HOURS,
      firstRunCutoffEveryHours:
        e.TRAINER_FIRST_RUN_CUTOFF_EVERY_HOURS || e.TRAINER_CUTOFF_EVERY_HOURS,
      usersPerCutoff: e.TRAINER_USERS_PER_CUTOFF,
      negativeKeepRate: e.TRAINER_NEGATIVE_KEEP_RATE,
      maxFeaturePsi: e.TRAINER_MAX_FEATURE_PSI > 0 ? e.TRAINER_MAX_FEATURE_PSI : Infinity,
      splitPurge: e.TRAINER_SPLIT_PURGE,
      maxEpochs: e.TRAINER_MAX_EPOCHS,
      warmMaxEpochs: e.TRAINER_WARM_MAX_EPOCHS,
      ensemble: e.TRAINER_ENSEMBLE,
      hidden: e.TRAINER_HIDDEN.split(',').map(Number),
      gate: { maxAucDrop: e.GATE_MAX_AUC_DROP, maxLogLossIncrease: e.GATE_MAX_LOGLOSS_INCREASE },
      rejectedRetry: {
        minNewDataMs: e.TRAINER_REJECTED_RETRY_NEW_DATA_MS,
        backoffMs: e.TRAINER_REJECTED_BACKOFF_MS,
      },
      drift: {
        checkMs: e.TRAINER_DRIFT_CHECK_MS,
        psiThreshold: e.TRAINER_DRIFT_PSI,
        minSamples: e.TRAINER_DRIFT_MIN_SAMPLES,
        maxUsers: e.TRAINER_DRIFT_MAX_USERS,
        activeWindowMs: e.TRAINER_DRIFT_ACTIVE_WINDOW_MS,
        cooldownMs: e.TRAINER_DRIFT_COOLDOWN_MS,
        minLiveLabels: e.TRAINER_DRIFT_MIN_LIVE_LABELS,
        aucDrop: e.TRAINER_DRIFT_AUC_DROP,
        liveAucWindowMs: e.TRAINER_DRIFT_LIVE_AUC_WINDOW_MS,
        liveAucMaxSamples: e.TRAINER_DRIFT_LIVE_AUC_MAX_SAMPLES,
      },
    },
    scorer: {
      enabled: e.SCORER_ENABLED,
      groupId: e.SCORER_GROUP_ID,
      debounceMs: e.SCORER_DEBOUNCE_MS,
      modelPollMs: e.SCORER_MODEL_POLL_MS,
      featuresWaitMs: e.SCORER_FEATURES_WAIT_MS,
      maxPendingEvents: e.SCORER_MAX_PENDING_EVENTS,
      maxEventAgeMs: e.SCORER_MAX_EVENT_AGE_MS,
      maxBytesPerPartition: e.SCORER_MAX_BYTES_PER_PARTITION,
      fetchMaxWaitMs: e.SCORER_FETCH_MAX_WAIT_MS,
    },
    demand: {
      enabled: e.DEMAND_ENABLED,
      timeZone: e.SHOP_TIME_ZONE,
      trainIntervalMs: e.DEMAND_TRAIN_INTERVAL_MS,
      forecastIntervalMs: e.DEMAND_FORECAST_INTERVAL_MS,
      horizonDays: e.DEMAND_HORIZON_DAYS,
      backtestOrigins: e.DEMAND_BACKTEST_ORIGINS,
      historyDays: e.DEMAND_HISTORY_DAYS,
      minHistoryDays: e.DEMAND_MIN_HISTORY_DAYS,
      globalMaxEpochs: e.DEMAND_GLOBAL_MAX_EPOCHS,
      forecastWorkers: e.DEMAND_FORECAST_WORKERS ?? availableParallelism(),
      gate: { maxWqlIncrease: e.GATE_MAX_WQL_INCREASE },
    },
    replenishment: {
      enabled: e.REPLENISHMENT_ENABLED,
      groupId: e.REPLENISHMENT_GROUP_ID,
      serviceLevel: e.REPLENISHMENT_SERVICE_LEVEL,
      reviewPeriodDays: e.REPLENISHMENT_REVIEW_PERIOD_DAYS,
      dayCorrelation: e.REPLENISHMENT_DAY_CORRELATION,
    },
    collector: {
      enabled: e.COLLECTOR_ENABLED,
      writeKeys,
      keysFile: e.COLLECTOR_KEYS_FILE,
      keysReloadMs: e.COLLECTOR_KEYS_RELOAD_MS,
      allowAnonymous: e.COLLECTOR_ALLOW_ANONYMOUS,
      maxEvents: e.COLLECTOR_MAX_EVENTS,
      maxBodyBytes: e.COLLECTOR_MAX_BODY_BYTES,
      maxDepth: e.COLLECTOR_MAX_DEPTH,
      produceTimeoutMs: e.COLLECTOR_PRODUCE_TIMEOUT_MS,
      maxPendingBytes: e.COLLECTOR_MAX_PENDING_BYTES,
      producers: e.COLLECTOR_PRODUCERS,
      retryAfterSeconds: e.COLLECTOR_RETRY_AFTER_S,
      ratePerSec: e.COLLECTOR_RATE_PER_SEC,
      burst: e.COLLECTOR_BURST,
      corsOrigins: corsOrigins.includes('*') ? ['*'] : corsOrigins,
    },
    shutdownDrainTimeoutMs: e.SHUTDOWN_DRAIN_TIMEOUT_MS,
    statusIntervalMs: e.STATUS_INTERVAL_MS,
    statusLine: e.STATUS_LINE,
  };
}

/** API_READ_KEYS and API_ADMIN_KEYS; one key in both is refused (which class would it have?). */
function apiKeys(read: string | undefined, admin: string | undefined): AccessConfig {
  try {
    const readKeys = parseWriteKeys(read, 'API_READ_KEYS');
    const adminKeys = parseWriteKeys(admin, 'API_ADMIN_KEYS');
    const adminHex = new Set(adminKeys.map((k) => k.sha256.toString('hex')));
    const both = readKeys.find((k) => adminHex.has(k.sha256.toString('hex')));
    if (both !== undefined)
      throw new WriteKeysError(
        'API_READ_KEYS',
        `the key of ${both.storefront} is also in API_ADMIN_KEYS: a key has one class (admin keys can read)`,
      );
    for (const [variable, keys] of [
      ['API_READ_KEYS', readKeys],
      ['API_ADMIN_KEYS', adminKeys],
    ] as const) {
      const seen = new Set<string>();
      for (const k of keys) {
        const hex = k.sha256.toString('hex');
        if (seen.has(hex))
          throw new WriteKeysError(variable, `the same key hash is listed twice (${k.storefront})`);
        seen.add(hex);
      }
    }
    return { readKeys, adminKeys };
  } catch (err) {
    if (!(err instanceof WriteKeysError)) throw err;
    // never echo the keys back (hashes only, but still credentials material)
    throw new ConfigError([{ variable: err.variable, rule: err.message, value: '…' }]);
  }
}

/** The one place that reads process.env. */
export function configFromProcessEnv(overrides: Partial<Record<string, string>> = {}): AppConfig {
  return loadConfig({ ...process.env, ...overrides });
}

/** The raw environment, for handing to child processes (e.g. the local Kafka broker script). */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}

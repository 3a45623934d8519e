import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The process-wide Prometheus registry and the pipeline metrics every app shares. */
export class PipelineMetrics {
  readonly registry = new Registry();
  readonly consumed = new Counter({
    name: 'storepulse_events_consumed_total',
    help: 'Messages consumed from Kafka, per topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly stored = new Counter({
    name: 'storepulse_rows_stored_total',
    help: 'Rows durably inserted into ClickHouse, per table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'storepulse_events_dead_lettered_total',
    help: 'Messages sent to the dead-letter topic, per source topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly skippedRedelivered = new Counter({
    name: 'storepulse_events_skipped_redelivered_total',
    help: 'Redelivered messages skipped because the ledger shows them stored',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly duplicatesDropped = new Counter({
    name: 'storepulse_events_duplicate_dropped_total',
    help: 'Events dropped because their event_id was already stored from another offset within DEDUP_WINDOW_MS (or earlier in the same chunk)',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly rollupCorrections = new Counter({
    name: 'storepulse_rollup_groups_corrected_total',
    help: 'Rollup (key, bucket) groups corrected after a re-run chunk found a torn view, per rollup table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly produced = new Counter({
    name: 'storepulse_events_produced_total',
    help: 'Messages produced to Kafka (simulator/collector), per topic',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'storepulse_batch_messages',
    help: 'Messages per consumed partition batch',
    buckets: [1, 10, 100, 500, 1000, 5000, 10000, 50000],
    registers: [this.registry],
  });
  readonly insertSeconds = new Histogram({
    name: 'storepulse_clickhouse_insert_seconds',
    help: 'ClickHouse insert latency per chunk',
    labelNames: ['table'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly endToEndSeconds = new Histogram({
    name: 'storepulse_end_to_end_seconds',
    help: 'Event time (ts) to stored in ClickHouse',
    labelNames: ['topic'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'storepulse_batch_retries_total',
    help: 'Transient failures retried with backoff',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });
  readonly inFlightBatches = new Gauge({
    name: 'storepulse_inflight_batches',
    help: 'Partition batches being processed',
    registers: [this.registry],
  });

  readonly diskFull = new Gauge({
    name: 'storepulse_clickhouse_disk_full',
    help: '1 while ClickHouse writes fail because its data folder is full (consuming stopped until space is freed), else 0',
    registers: [this.registry],
  });
  readonly diskFullErrors = new Counter({
    name: 'storepulse_clickhouse_disk_full_errors_total',
    help: 'Batch writes that failed because the ClickHouse data folder was full (each retry counts)',
    registers: [this.registry],
  });

  constructor(defaultMetrics = true) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}

// Wires the replenishment consumer: the per-SKU state (warmed from ClickHouse at start), the batch
// use case, the post-commit read-model writer, health, metrics, and the exactly-once BatchTransport
// the app connects as a microservice (group config.replenishment.groupId).
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { Counter, Gauge } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { TOPICS, type ReplenishmentMessage } from '@storepulse/contracts';
import { BatchTransport, KAFKA, type InboundBatch, type OutboundRecord } from '@storepulse/kafka';
import { HealthRegistry, LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { CommitWatcher, KafkaCommittedOffsets, type CommittedOffsets } from './commit-watcher';
import { transactionalTransport } from '../../transport-options';
import { ReplenishBatch, SKIP_REASONS, emptyCounts, type BatchSummary } from './replenish-batch';
import { ClickHouseReplenishmentStore, type ReplenishmentStore } from './store';
import { ReplenishmentState, heldForecast, heldStock } from './state';

export const REPLENISHMENT_STORE = Symbol('REPLENISHMENT_STORE');
export const REPLENISHMENT_OFFSETS = Symbol('REPLENISHMENT_OFFSETS');

const COMMIT_POLL_MS = 100;
/** Longer than the broker's transaction timeout: a batch still pending then was aborted. */
const COMMIT_WAIT_MS = 90_000;

export type ReplenishmentCounts = ReturnType<typeof emptyCounts>;

@Injectable()
export class ReplenishmentService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log: Logger;
  readonly state = new ReplenishmentState();
  /** Committed outcomes since start. */
  readonly counts: ReplenishmentCounts = emptyCounts();
  private readonly batches: ReplenishBatch;
  private readonly watcher: CommitWatcher<BatchSummary>;
  private transportInstance: BatchTransport | undefined;
  private warmed: { forecasts: number; stock: number; ms: number } | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(LOGGER) logger: Logger,
    @Inject(REPLENISHMENT_STORE) readonly store: ReplenishmentStore,
    @Inject(REPLENISHMENT_OFFSETS) offsets: CommittedOffsets,
    private readonly metrics: PipelineMetrics,
    health: HealthRegistry,
  ) {
    this.log = logger.child({ component: 'replenishment' });
    this.batches = new ReplenishBatch(
      this.state,
      {
        groupId: config.replenishment.groupId,
        dlqTopic: TOPICS.storefrontDlq,
        policy: {
          serviceLevel: config.replenishment.serviceLevel,
          reviewPeriodDays: config.replenishment.reviewPeriodDays,
          dayCorrelation: config.replenishment.dayCorrelation,
        },
      },
      this.log,
    );
    this.watcher = new CommitWatcher(offsets, (s) => this.committed(s), this.log, {
      pollMs: COMMIT_POLL_MS,
      timeoutMs: COMMIT_WAIT_MS,
    });
    health.register({
      name: 'replenishment',
      check: () => {
        const t = this.transportInstance?.health();
        return Promise.resolve({
          ok:
            (this.warmed !== undefined || !this.config.replenishment.enabled) &&
            (t ? !t.stalled : true),
          details: {
            warmed: this.warmed !== undefined,
            ...this.state.sizes(),
            pendingBatches: this.watcher.inFlight(),
            ...this.counts.recommendations,
            deadLetters: this.counts.deadLetters,
            readModelFailures: this.watcher.counts.failed,
            ...(t ? { stalled: t.stalled, lastError: t.lastError ?? '' } : {}),
          },
        });
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.registerMetrics();
    // Disabled (REPLENISHMENT_ENABLED=false): the app does not connect the transport; the API still
    // serves the read model, and nothing is read at start.
    if (this.config.replenishment.enabled) await this.warm();
    else
      this.log.info('replenishment consumer disabled; the API serves the stored recommendations');
  }

  /** The latest forecast and stock position per SKU from ClickHouse (before the transport starts). */
  async warm(): Promise<void> {
    const t0 = Date.now();
    this.log.info('warming the replenishment state from ClickHouse');
    const forecasts = await this.store.latestForecasts();
    for (const f of forecasts) this.state.applyForecast(heldForecast(f));
    this.log.info({ forecasts: forecasts.length }, 'latest forecasts loaded');
    const stock = await this.store.latestStock();
    for (const s of stock) this.state.applyStock(heldStock(s));
    this.warmed = { forecasts: forecasts.length, stock: stock.length, ms: Date.now() - t0 };
    this.log.info({ ...this.warmed, ...this.state.sizes() }, 'replenishment state warmed');
  }

  /** The use case of one batch: state updated now, its counters and read-model rows after commit. */
  handle(batch: InboundBatch): OutboundRecord[] {
    if (!this.warmed) throw new Error('replenishment state not warmed yet');
    const first = batch.messages[0];
    const last = batch.messages.at(-1);
    if (!first || !last) return [];
    const { records, summary } = this.batches.handle(batch);
    this.watcher.track(
      batch.topic,
      batch.partition,
      first.offset,
      (BigInt(last.offset) + 1n).toString(),
      summary,
    );
    this.log.debug(
      {
        topic: batch.topic,
        partition: batch.partition,
        messages: batch.messages.length,
        recommendations: summary.recommendations.length,
        deadLetters: summary.deadLetters,
      },
      'batch handled',
    );
    return records;
  }

  private async committed(s: BatchSummary): Promise<void> {
    for (const r of s.recommendations) this.counts.recommendations[r.action]++;
    this.counts.deadLetters += s.deadLetters;
    for (const k of SKIP_REASONS) this.counts.skipped[k] += s.skipped[k];
    await this.store.upsert(s.recommendations);
  }

  /** After the transport drained (Nest closes microservices before this hook): settle what is pending. */
  async onApplicationShutdown(): Promise<void> {
    const clean = await this.watcher.stop(this.config.shutdownDrainTimeoutMs);
    if (!clean)
      this.log.warn('batches still pending at shutdown: their read-model rows were not written');
  }

  async recommendation(sku: string): Promise<ReplenishmentMessage | null> {
    return this.store.get(sku);
  }

  /** The exactly-once transport of the replenishment handlers (connect it as a microservice). */
  transport(): BatchTransport {
    // from the start on a new group: the compacted forecasts and the stock history rebuild the state
    this.transportInstance ??= transactionalTransport(this.config, this.kafka, {
      groupId: this.config.replenishment.groupId,
      topics: [TOPICS.demandForecasts, TOPICS.inventory],
      logger: this.log,
      metrics: this.metrics,
    });
    return this.transportInstance;
  }

  private registerMetrics(): void {
    const registry = this.metrics.registry;
    const counts = this.counts;
    const watcher = this.watcher;
    const state = this.state;
    new Counter({
      name: 'storepulse_replenishment_recommendations_total',
      help: 'Replenishment recommendations published (committed), by action',
      labelNames: ['action'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [action, n] of Object.entries(counts.recommendations)) this.inc({ action }, n);
      },
    });
    new Counter({
      name: 'storepulse_replenishment_skipped_total',
      help: 'SKU changes without a recommendation (committed batches), by reason: no_forecast, no_stock, stale (older than the held state), forecast_expired',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(counts.skipped)) this.inc({ reason }, n);
      },
    });
    new Counter({
      name: 'storepulse_replenishment_dead_letters_total',
      help: 'Invalid forecast or stock messages sent to the dead-letter topic (committed)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(counts.deadLetters);
      },
    });
    new Counter({
      name: 'storepulse_replenishment_read_model_failures_total',
      help: 'Committed batches whose replenishment_recommendations upsert failed',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(watcher.counts.failed);
      },
    });
    new Gauge({
      name: 'storepulse_replenishment_state_skus',
      help: 'SKUs held in the replenishment state, by side (forecast, stock)',
      labelNames: ['side'],
      registers: [registry],
      collect() {
        const s = state.sizes();
        this.set({ side: 'forecast' }, s.forecasts);
        this.set({ side: 'stock' }, s.stock);
      },
    });
  }
}

/** The default adapters: ClickHouse for the store, the group's own committed offsets from Kafka. */
export const replenishmentAdapters = [
  {
    provide: REPLENISHMENT_STORE,
    useFactory: (ch: ClickHouseHandle) => new ClickHouseReplenishmentStore(ch.client),
    inject: [CLICKHOUSE],
  },
  {
    provide: REPLENISHMENT_OFFSETS,
    useFactory: (kafka: Kafka, config: AppConfig) =>
      new KafkaCommittedOffsets(kafka, config.replenishment.groupId),
    inject: [KAFKA, APP_CONFIG],
  },
];

import type { Admin, Kafka } from 'kafkajs';
import type { MonitorConfig } from '@storepulse/config';
import { queryRows, type ClickHouseHandle } from '@storepulse/clickhouse';
import { TOPICS, TOPIC_SPECS } from '@storepulse/contracts';
import {
  OffsetTimestampReader,
  evaluatePartition,
  pushSample,
  readClusterLag,
  worstStatus,
  STATUS_ORDER,
  type ClusterLagSnapshot,
  type PartitionWindow,
  type PartitionEvaluation,
} from '@storepulse/kafka';
import type { Logger, PipelineMetrics } from '@storepulse/observability';
import { AlertEngine, type Alert, type AlertPublisher } from './alerts';
import { LagMetrics } from './lag-metrics';
import type { ReadinessReport, ReadinessSource } from './readiness/readiness';
import {
  RateWindow,
  bucketsDelta,
  histogramBuckets,
  histogramQuantile,
  type Buckets,
} from './pipeline-stats';
import type {
  DeadLetterView,
  GroupView,
  HistoryPoint,
  LatencyView,
  MonitorView,
  PartitionView,
  TopicView,
} from './view';

export interface MonitorDeps {
  kafka: Kafka;
  config: MonitorConfig;
  logger: Logger;
  metrics: PipelineMetrics;
  publisher?: AlertPublisher;
  clickhouse?: ClickHouseHandle;
  /** Where the other services' readiness comes from (the disk-full alert). */
  readiness?: readonly ReadinessSource[];
  now?: () => number;
}

const DLQ_SOURCES = TOPIC_SPECS.filter((s) => s.dlq !== undefined).map((s) => s.name);

/**
 * The monitor loop: every poll reads offset + time lag of every consumer group, evaluates Burrow-style
 * statuses over sliding windows, pipeline stats (throughput, DLQ rate, end-to-end latency), alert rules;
 * updates /metrics and notifies subscribers (SSE).
 */
export class Monitor {
  readonly alerts: AlertEngine;
  private readonly admin: Admin;
  private readonly reader: OffsetTimestampReader;
  private readonly lagMetrics: LagMetrics;
  private readonly log: Logger;
  private readonly now: () => number;
  private windows = new Map<string, PartitionWindow>();
  private dlqWindow: RateWindow;
  private dlqSource: 'metrics' | 'kafka' | null = null;
  private prevBuckets: Buckets | undefined;
  private readonly historyPoints: HistoryPoint[] = [];
  private latestView: MonitorView | null = null;
  private readonly listeners = new Set<(v: MonitorView) => void>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight: Promise<unknown> | null = null;
  lastSuccessMs: number | null = null;
  lastError: string | null = null;

  constructor(private readonly d: MonitorDeps) {
    this.now = d.now ?? Date.now;
    this.log = d.logger.child({ component: 'monitor' });
    this.admin = d.kafka.admin();
    this.reader = new OffsetTimestampReader(d.kafka);
    this.lagMetrics = new LagMetrics(d.metrics.registry);
    this.alerts = new AlertEngine(d.config.alerts, d.config.clusterName);
    this.dlqWindow = new RateWindow(d.config.alerts.dlqWindowMs);
  }

  async connect(): Promise<void> {
    await this.admin.connect();
    await this.reader.connect();
  }

  /** Connects and polls every pollIntervalMs (first poll at once). */
  async start(): Promise<void> {
    await this.connect();
    this.running = true;
    const tick = () => {
      if (!this.running) return;
      const p = this.pollOnce()
        .catch(() => undefined)
        .finally(() => {
          this.inFlight = null;
          if (this.running) this.timer = setTimeout(tick, this.d.config.pollIntervalMs);
        });
      this.inFlight = p;
    };
    tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    if (this.inFlight) await this.inFlight;
    this.listeners.clear();
    await this.reader.disconnect();
    await this.admin.disconnect();
  }

  view(): MonitorView | null {
    return this.latestView;
  }
  history(): HistoryPoint[] {
    return [...this.historyPoints];
  }
  subscribe(fn: (v: MonitorView) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** One poll; returns the new view (and publishes alert transitions). */
  async pollOnce(): Promise<MonitorView> {
    const t0 = Date.now();
    try {
      const snap = await readClusterLag(this.admin, this.reader, {
        now: this.now,
      });
      const groups = this.evaluate(snap);
      const topics = this.topicRates(snap);
      const dlq = await this.deadLetters(snap.atMs);
      const latency = await this.latency();
      const readiness = await this.readiness();
      const transitions = this.alerts.evaluate(
        {
          groups: groups.map((g) => ({
            groupId: g.groupId,
            consumerStatus: g.consumerStatus,
            statusReason: g.statusReason,
            committedUnchangedSeconds: g.committedUnchangedSeconds,
            maxTimeLagSeconds: g.maxTimeLagSeconds,
          })),
          dlq,
          readiness,
        },
        snap.atMs,
      );
      const view: MonitorView = {
        cluster: this.d.config.clusterName,
        at: snap.at,
        atMs: snap.atMs,
        pollIntervalMs: this.d.config.pollIntervalMs,
        groups,
        topics,
        dlq,
        latency,
        alerts: this.alerts.active(),
        poll: { durationMs: snap.durationMs, fetches: snap.fetches },
      };
      this.latestView = view;
      this.pushHistory(view);
      this.lagMetrics.update(view);
      this.lagMetrics.pollSeconds.observe((Date.now() - t0) / 1000);
      this.lagMetrics.timestampFetches.inc(snap.fetches);
      this.lastSuccessMs = Date.now();
      this.lastError = null;
      await this.emit(transitions);
      for (const fn of this.listeners) {
        try {
          fn(view);
        } catch (e) {
          this.log.warn({ err: e }, 'monitor subscriber failed');
        }
      }
      return view;
    } catch (e) {
      this.lagMetrics.pollErrors.inc();
      this.lastError = e instanceof Error ? e.message : String(e);
      this.log.warn({ err: e }, 'lag poll failed');
      throw e;
    }
  }

  private async readiness(): Promise<ReadinessReport[]> {
    const all = await Promise.all((this.d.readiness ?? []).map((s) => s.read()));
    return all.flat();
  }

  private async emit(transitions: Alert[]): Promise<void> {
    for (const a of transitions) {
      if (a.state === 'firing') this.log.warn({ alert: a }, `alert firing: ${a.summary}`);
      else this.log.info({ alert: a }, `alert resolved: ${a.id}`);
    }
    if (transitions.length === 0 || !this.d.publisher) return;
    try {
      await this.d.publisher.publish(transitions);
    } catch (e) {
      this.log.error({ err: e, count: transitions.length }, 'publishing alerts failed');
    }
  }

  private evaluate(snap: ClusterLagSnapshot): GroupView[] {
    const cfg = this.d.config;
    const next = new Map<string, PartitionWindow>();
    const prev = this.latestView;
    const prevGroups = new Map((prev?.groups ?? []).map((g) => [g.groupId, g]));
    const thresholds = {
      stallAfterMs: cfg.stallAfterMs,
      stopAfterMs: cfg.stopAfterMs,
      minSamples: cfg.windowSamples,
    };
    const views = snap.groups.map((g): GroupView => {
      let worst: { e: PartitionEvaluation; where: string } | null = null;
      const partitions = g.partitions.map((p): PartitionView => {
        const key = `${g.groupId}\u0000${p.topic}\u0000${p.partition}`;
        let e: PartitionEvaluation = { status: 'OK', reason: p.status, committedUnchangedMs: 0 };
        if (p.status !== 'topic-deleted') {
          const w = pushSample(
            this.windows.get(key),
            { atMs: snap.atMs, committed: p.committed, lag: p.lag },
            cfg.windowSamples,
          );
          next.set(key, w);
          e = evaluatePartition(w, snap.atMs, thresholds);
        }
        if (
          !worst ||
          STATUS_ORDER.indexOf(e.status) > STATUS_ORDER.indexOf(worst.e.status) ||
          (e.status === worst.e.status && e.committedUnchangedMs > worst.e.committedUnchangedMs)
        )
          worst = { e, where: `${p.topic}[${p.partition}]` };
        return {
          ...p,
          consumerStatus: e.status,
          committedUnchangedSeconds: Math.round(e.committedUnchangedMs / 100) / 10,
        };
      });
      const status = worstStatus(partitions.map((p) => p.consumerStatus));
      const w = worst as { e: PartitionEvaluation; where: string } | null;
      const before = prevGroups.get(g.groupId);
      return {
        ...g,
        partitions,
        consumerStatus: status,
        statusReason: w && status !== 'OK' ? `${w.where}: ${w.e.reason}` : g.status,
        committedUnchangedSeconds:
          w && status !== 'OK' ? Math.round(w.e.committedUnchangedMs / 100) / 10 : 0,
        consumedPerSec:
          before && prev
            ? this.consumedRate(before, partitions, (snap.atMs - prev.atMs) / 1000)
            : null,
      };
    });
    this.windows = next; // windows of vanished groups/partitions are dropped
    return views;
  }

  private consumedRate(before: GroupView, now: PartitionView[], dt: number): number | null {
    if (dt <= 0) return null;
    const prev = new Map(before.partitions.map((p) => [`${p.topic}:${p.partition}`, p.committed]));
    let moved = 0n;
    for (const p of now) {
      const b = prev.get(`${p.topic}:${p.partition}`);
      if (p.committed !== null && b !== undefined && b !== null) {
        const d = BigInt(p.committed) - BigInt(b);
        if (d > 0n) moved += d;
      }
    }
    return Number(moved) / dt;
  }

  private topicRates(snap: ClusterLagSnapshot): TopicView[] {
    const prev = this.latestView;
    const dt = prev ? (snap.atMs - prev.atMs) / 1000 : 0;
    const prevTopics = new Map((prev?.topics ?? []).map((t) => [t.topic, t]));
    return snap.topics.map((t): TopicView => {
      const b = prevTopics.get(t.topic);
      if (!b || dt <= 0) return { ...t, producedPerSec: null };
      const sum = (x: { partitions: { logEnd: string }[] }) =>
        x.partitions.reduce((s, p) => s + BigInt(p.logEnd), 0n);
      const d = sum(t) - sum(b);
      return { ...t, producedPerSec: d >= 0n ? Number(d) / dt : null };
    });
  }

  private async deadLetters(atMs: number): Promise<DeadLetterView> {
    const a = this.d.config.alerts;
    let dead = 0;
    let total = 0;
    for (const v of (await this.d.metrics.consumed.get()).values) total += v.value;
    for (const v of (await this.d.metrics.deadLettered.get()).values) dead += v.value;
    let source: 'metrics' | 'kafka' = 'metrics';
    if (total === 0) {
      source = 'kafka';
      const ends = async (topic: string) =>
        (await this.admin.fetchTopicOffsets(topic).catch(() => [])).reduce(
          (s, p) => s + Number(p.high),
          0,
        );
      dead = await ends(TOPICS.storefrontDlq);
      total = 0;
      for (const t of DLQ_SOURCES) total += await ends(t);
    }
    if (this.dlqSource !== source) {
      this.dlqSource = source;
      this.dlqWindow = new RateWindow(a.dlqWindowMs);
    }
    this.dlqWindow.push({ atMs, dead, total });
    const r = this.dlqWindow.rate(a.dlqMinEvents);
    const view: DeadLetterView = {
      ...r,
      windowSeconds: a.dlqWindowMs / 1000,
      source,
      latest: null,
      reasons: null,
    };
    const ch = this.d.clickhouse;
    if (ch) {
      try {
        const [latest, reasons] = await Promise.all([
          queryRows<{
            topic: string;
            partition: number;
            offset: string;
            reason: string;
            failedAt: string;
          }>(
            ch.client,
            `SELECT source_topic AS topic, toInt32(source_partition) AS partition, toString(toInt64(source_offset)) AS offset,
                    reason, formatDateTime(failed_at, '%Y-%m-%dT%H:%i:%S.%fZ') AS failedAt
             FROM dead_letters ORDER BY failed_at DESC LIMIT 8`,
          ),
          queryRows<{ reason: string; count: string }>(
            ch.client,
            `SELECT reason, toString(count()) AS count FROM dead_letters
             WHERE failed_at > now64(3) - INTERVAL 1 HOUR GROUP BY reason ORDER BY count() DESC LIMIT 8`,
          ),
        ]);
        view.latest = latest.map((l) => ({ ...l, partition: Number(l.partition) }));
        view.reasons = reasons.map((x) => ({ reason: x.reason, count: Number(x.count) }));
      } catch (e) {
        this.log.debug({ err: e }, 'dead_letters query failed');
      }
    }
    return view;
  }

  private async latency(): Promise<LatencyView | null> {
    const now = await histogramBuckets(this.d.metrics.endToEndSeconds);
    const delta = bucketsDelta(now, this.prevBuckets);
    this.prevBuckets = now;
    const count = delta[delta.length - 1]?.count ?? 0;
    if (count === 0) return null;
    return {
      p50: histogramQuantile(0.5, delta),
      p95: histogramQuantile(0.95, delta),
      p99: histogramQuantile(0.99, delta),
      count,
    };
  }

  private pushHistory(v: MonitorView): void {
    const point: HistoryPoint = {
      atMs: v.atMs,
      groups: Object.fromEntries(
        v.groups.map((g) => [
          g.groupId,
          {
            lag: Number(g.totalLag),
            timeLagSeconds: g.maxTimeLagSeconds,
            consumedPerSec: g.consumedPerSec,
            status: g.consumerStatus,
          },
        ]),
      ),
      topics: Object.fromEntries(v.topics.map((t) => [t.topic, t.producedPerSec])),
      dlqRate: v.dlq.rate,
      latency: v.latency ? { p50: v.latency.p50, p95: v.latency.p95, p99: v.latency.p99 } : null,
    };
    this.historyPoints.push(point);
    if (this.historyPoints.length > this.d.config.historyPoints)
      this.historyPoints.splice(0, this.historyPoints.length - this.d.config.historyPoints);
  }
}

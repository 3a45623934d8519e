import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ConsumerStatus } from '@storepulse/kafka';
import { STATUS_ORDER } from '@storepulse/kafka';
import type { MonitorView } from './view';

const P = ['cluster_name', 'group', 'topic', 'partition'] as const;
const G = ['cluster_name', 'group'] as const;

/**
 * Consumer-lag metrics with kafka-lag-exporter's names and labels, so its Grafana dashboards and
 * alert rules work unchanged; plus StorePulse monitor metrics.
 */
export class LagMetrics {
  readonly offset: Gauge<(typeof P)[number]>;
  readonly lag: Gauge<(typeof P)[number]>;
  readonly lagSeconds: Gauge<(typeof P)[number]>;
  readonly maxLag: Gauge<(typeof G)[number]>;
  readonly maxLagSeconds: Gauge<(typeof G)[number]>;
  readonly sumLag: Gauge<(typeof G)[number]>;
  readonly topicSumLag: Gauge<'cluster_name' | 'group' | 'topic'>;
  readonly latestOffset: Gauge<'cluster_name' | 'topic' | 'partition'>;
  readonly earliestOffset: Gauge<'cluster_name' | 'topic' | 'partition'>;
  readonly groupStatus: Gauge<'cluster_name' | 'group' | 'status'>;
  readonly dlqRate: Gauge<'cluster_name'>;
  readonly alertsFiring: Gauge<'cluster_name' | 'rule'>;
  readonly pollSeconds: Histogram;
  readonly pollErrors: Counter;
  readonly timestampFetches: Counter;

  constructor(registry: Registry) {
    const r = [registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Gauge<L>({ name, help, labelNames, registers: r });
    this.offset = gauge(
      'kafka_consumergroup_group_offset',
      'Last committed offset of a consumer group partition',
      P,
    );
    this.lag = gauge(
      'kafka_consumergroup_group_lag',
      'Offset lag of a consumer group partition (log end - committed)',
      P,
    );
    this.lagSeconds = gauge(
      'kafka_consumergroup_group_lag_seconds',
      'Time lag of a consumer group partition: age of the message at the committed offset',
      P,
    );
    this.maxLag = gauge(
      'kafka_consumergroup_group_max_lag',
      'Max offset lag over the partitions of a consumer group',
      G,
    );
    this.maxLagSeconds = gauge(
      'kafka_consumergroup_group_max_lag_seconds',
      'Max time lag over the partitions of a consumer group',
      G,
    );
    this.sumLag = gauge(
      'kafka_consumergroup_group_sum_lag',
      'Sum of offset lag over the partitions of a consumer group',
      G,
    );
    this.topicSumLag = gauge(
      'kafka_consumergroup_group_topic_sum_lag',
      'Sum of offset lag of a consumer group per topic',
      ['cluster_name', 'group', 'topic'],
    );
    this.latestOffset = gauge('kafka_partition_latest_offset', 'Log end offset of a partition', [
      'cluster_name',
      'topic',
      'partition',
    ]);
    this.earliestOffset = gauge(
      'kafka_partition_earliest_offset',
      'Log start offset of a partition',
      ['cluster_name', 'topic', 'partition'],
    );
    this.groupStatus = gauge(
      'storepulse_consumergroup_status',
      'Consumer group status (1 for the current one of OK, WARNING, STALLED, STOPPED)',
      ['cluster_name', 'group', 'status'],
    );
    this.dlqRate = gauge(
      'storepulse_dead_letter_ratio',
      'Dead-lettered / consumed messages over the monitor DLQ window',
      ['cluster_name'],
    );
    this.alertsFiring = gauge('storepulse_alerts_firing', 'Alerts firing now, per rule', [
      'cluster_name',
      'rule',
    ]);
    this.pollSeconds = new Histogram({
      name: 'storepulse_monitor_poll_seconds',
      help: 'Duration of one lag poll over the whole cluster',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    });
    this.pollErrors = new Counter({
      name: 'storepulse_monitor_poll_errors_total',
      help: 'Lag polls that failed',
      registers: r,
    });
    this.timestampFetches = new Counter({
      name: 'storepulse_monitor_timestamp_fetches_total',
      help: 'Single-message fetches issued to read time lag (cache misses)',
      registers: r,
    });
  }

  /** Replaces every lag series with the new view (series of vanished groups/partitions disappear). */
  update(v: MonitorView): void {
    const cluster_name = v.cluster;
    for (const g of [
      this.offset,
      this.lag,
      this.lagSeconds,
      this.maxLag,
      this.maxLagSeconds,
      this.sumLag,
      this.topicSumLag,
      this.latestOffset,
      this.earliestOffset,
      this.groupStatus,
      this.alertsFiring,
    ])
      g.reset();
    for (const t of v.topics)
      for (const p of t.partitions) {
        const l = { cluster_name, topic: t.topic, partition: String(p.partition) };
        this.latestOffset.set(l, Number(p.logEnd));
        this.earliestOffset.set(l, Number(p.logStart));
      }
    for (const g of v.groups) {
      const gl = { cluster_name, group: g.groupId };
      const byTopic = new Map<string, number>();
      for (const p of g.partitions) {
        if (p.status === 'topic-deleted') continue;
        const l = { ...gl, topic: p.topic, partition: String(p.partition) };
        if (p.committed !== null) this.offset.set(l, Number(p.committed));
        this.lag.set(l, Number(p.lag));
        if (p.timeLagSeconds !== null) this.lagSeconds.set(l, p.timeLagSeconds);
        byTopic.set(p.topic, (byTopic.get(p.topic) ?? 0) + Number(p.lag));
      }
      for (const [topic, sum] of byTopic) this.topicSumLag.set({ ...gl, topic }, sum);
      this.maxLag.set(gl, Number(g.maxLag));
      if (g.maxTimeLagSeconds !== null) this.maxLagSeconds.set(gl, g.maxTimeLagSeconds);
      this.sumLag.set(gl, Number(g.totalLag));
      for (const s of STATUS_ORDER)
        this.groupStatus.set({ ...gl, status: s }, s === g.consumerStatus ? 1 : 0);
    }
    if (v.dlq.rate !== null) this.dlqRate.set({ cluster_name }, v.dlq.rate);
    const byRule = new Map<string, number>();
    for (const a of v.alerts) byRule.set(a.rule, (byRule.get(a.rule) ?? 0) + 1);
    for (const [rule, n] of byRule) this.alertsFiring.set({ cluster_name, rule }, n);
  }
}

export type { ConsumerStatus };

import type {
  ConsumerGroupLag,
  ConsumerStatus,
  PartitionLagInfo,
  TopicOffsets,
} from '@storepulse/kafka';
import type { Alert } from './alerts';

export interface PartitionView extends PartitionLagInfo {
  /** Burrow-style status of this partition over the sliding window. */
  consumerStatus: ConsumerStatus;
  committedUnchangedSeconds: number;
}

export interface GroupView extends Omit<ConsumerGroupLag, 'partitions'> {
  partitions: PartitionView[];
  /** Worst partition status: OK, WARNING (lag growing), STALLED, STOPPED. */
  consumerStatus: ConsumerStatus;
  statusReason: string;
  committedUnchangedSeconds: number;
  /** Committed-offset progress since the previous poll, messages per second. */
  consumedPerSec: number | null;
}

export interface TopicView extends TopicOffsets {
  /** Log-end progress since the previous poll, messages per second. */
  producedPerSec: number | null;
}

export interface DeadLetterView {
  /** dead / total over the window; null when fewer than the minimum events. */
  rate: number | null;
  dead: number;
  total: number;
  windowSeconds: number;
  /** metrics: this process's PipelineMetrics counters; kafka: DLQ topic vs source topics log-end offsets. */
  source: 'metrics' | 'kafka';
  /** Latest dead letters from ClickHouse (null without ClickHouse). */
  latest:
    { topic: string; partition: number; offset: string; reason: string; failedAt: string }[] | null;
  /** Reasons over the last hour from ClickHouse (null without ClickHouse). */
  reasons: { reason: string; count: number }[] | null;
}

export interface LatencyView {
  /** End-to-end (event ts → stored) seconds over the last poll interval. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  count: number;
}

export interface MonitorView {
  cluster: string;
  at: string;
  atMs: number;
  pollIntervalMs: number;
  groups: GroupView[];
  topics: TopicView[];
  dlq: DeadLetterView;
  latency: LatencyView | null;
  /** Alerts firing now. */
  alerts: Alert[];
  poll: { durationMs: number; fetches: number };
}

export interface HistoryPoint {
  atMs: number;
  groups: Record<
    string,
    {
      lag: number;
      timeLagSeconds: number | null;
      consumedPerSec: number | null;
      status: ConsumerStatus;
    }
  >;
  topics: Record<string, number | null>;
  dlqRate: number | null;
  latency: { p50: number | null; p95: number | null; p99: number | null } | null;
}

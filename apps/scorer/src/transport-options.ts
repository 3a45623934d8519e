// The options every exactly-once consumer of the scorer app shares (propensity scores, replenishment):
// transactional BatchTransport with the aggregator's concurrency, stall and session settings, from
// the start of a new group. Each caller names its group, topics and why it reads from the start.
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@storepulse/config';
import type { TopicName } from '@storepulse/contracts';
import { BatchTransport } from '@storepulse/kafka';
import type { Logger, PipelineMetrics } from '@storepulse/observability';

export function transactionalTransport(
  config: AppConfig,
  kafka: Kafka,
  o: { groupId: string; topics: TopicName[]; logger: Logger; metrics: PipelineMetrics },
): BatchTransport {
  return new BatchTransport({
    kafka,
    groupId: o.groupId,
    topics: o.topics,
    mode: 'transactional',
    producerClient: config.kafka.transportClient,
    consumerClient: config.kafka.transportConsumerClient,
    partitionsConcurrency: config.aggregator.partitionsConcurrency,
    // the transport chunks the (larger) outputs it sends
    maxBytesPerPartition: config.scorer.maxBytesPerPartition,
    fetchMaxWaitMs: config.scorer.fetchMaxWaitMs,
    retryMaxMs: 5_000,
    stallTimeoutMs: config.aggregator.stallTimeoutMs,
    drainTimeoutMs: config.shutdownDrainTimeoutMs,
    sessionTimeoutMs: config.aggregator.sessionTimeoutMs,
    // nothing is lost before a new group's first commit
    fromBeginning: true,
    logger: o.logger,
    metrics: o.metrics,
  });
}

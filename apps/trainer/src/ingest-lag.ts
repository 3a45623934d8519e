// One ingest-lag check for every scheduled training run (propensity and demand): while the
// aggregator is catching up (a first-run history, a backlog) the data's watermark would cut the
// training window short, so scheduled runs wait.
import type { Kafka } from 'kafkajs';
import type { AppConfig } from '@storepulse/config';
import { TOPICS } from '@storepulse/contracts';
import { groupLag } from '@storepulse/kafka';

/** Scheduled training waits while the aggregator has more than this many messages to consume. */
export const INGEST_LAG_TOLERANCE = 1_000;

/** Reads the aggregator's consumer lag (messages); throws on I/O errors. */
export type IngestLag = () => Promise<number>;

export function aggregatorLag(kafka: Kafka, config: AppConfig): IngestLag {
  return () => groupLag(kafka, config.aggregator.groupId, [TOPICS.clickstream, TOPICS.orders]);
}

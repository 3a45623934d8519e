/**
 * Topic registry: every topic StorePulse reads or writes, with its key and dead-letter topic.
 * Names are part of the public contract (see README "Topic contracts").
 */
export const TOPICS = {
  clickstream: 'storefront.clickstream.v1',
  orders: 'storefront.orders.v1',
  inventory: 'inventory.stock.v1',
  storefrontDlq: 'dlq.storefront.v1',
  opsAlerts: 'ops.alerts.v1',
  propensityPredictions: 'predictions.propensity.v1',
  demandForecasts: 'forecasts.demand.v1',
  replenishment: 'inventory.replenishment.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export interface TopicSpec {
  name: TopicName;
  /** The field used as the Kafka message key. */
  key: string;
  /** Where messages that fail validation go; undefined for DLQ topics themselves. */
  dlq: TopicName | undefined;
  retentionMs: number;
  /** Log-compacted (the latest message per key is kept): a new subscriber gets the current state. */
  compacted?: boolean;
  /**
   * The topic's `max.message.bytes` when it must differ from the broker's default (1 MiB). The DLQ
   * topic takes 2 MiB: a dead letter is an input message (≤ 1 MiB) plus its reason headers.
   */
  maxMessageBytes?: number;
  description: string;
}

/** Topic-level configs of a spec, as given to the admin client at creation. */
export function topicConfigEntries(s: TopicSpec): { name: string; value: string }[] {
  return [
    { name: 'retention.ms', value: String(s.retentionMs) },
    ...(s.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
    ...(s.maxMessageBytes ? [{ name: 'max.message.bytes', value: String(s.maxMessageBytes) }] : []),
  ];
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

export const TOPIC_SPECS: readonly TopicSpec[] = [
  {
    name: TOPICS.clickstream,
    key: 'user_id',
    dlq: TOPICS.storefrontDlq,
    retentionMs: WEEK_MS,
    description: 'storefront clickstream events',
  },
  {
    name: TOPICS.orders,
    key: 'order_id',
    dlq: TOPICS.storefrontDlq,
    retentionMs: WEEK_MS,
    description: 'order placed/cancelled events',
  },
  {
    name: TOPICS.inventory,
    key: 'sku',
    dlq: TOPICS.storefrontDlq,
    retentionMs: WEEK_MS,
    description: 'stock positions per SKU',
  },
  {
    name: TOPICS.storefrontDlq,
    key: 'source key',
    dlq: undefined,
    retentionMs: 4 * WEEK_MS,
    maxMessageBytes: 2 * 1024 * 1024,
    description: 'invalid messages with reasons',
  },
  {
    name: TOPICS.opsAlerts,
    key: 'alert id',
    dlq: undefined,
    retentionMs: 4 * WEEK_MS,
    description: 'monitoring alerts, firing and resolved (JSON, see docs/monitoring.md)',
  },
  {
    name: TOPICS.propensityPredictions,
    key: 'user_id',
    dlq: undefined,
    retentionMs: WEEK_MS,
    description: 'live purchase-propensity scores, one per event and horizon (docs/models.md)',
  },
  {
    name: TOPICS.demandForecasts,
    key: 'sku',
    dlq: undefined,
    retentionMs: 4 * WEEK_MS,
    compacted: true,
    description:
      'daily P10/P50/P90 demand per SKU for 28 days, republished hourly (docs/models.md)',
  },
  {
    name: TOPICS.replenishment,
    key: 'sku',
    dlq: undefined,
    retentionMs: 4 * WEEK_MS,
    compacted: true,
    description:
      'replenishment recommendation per SKU, on every forecast or stock change (docs/models.md)',
  },
];

/**
 * Header of a replayed message (history import, value `1`): the aggregator accepts its event time up
 * to IMPORT_MAX_AGE_DAYS old instead of the allowed lateness. Everything else is as for live messages.
 */
export const REPLAY_HEADER = 'storepulse-replay';

/** Headers StorePulse sets on every dead-lettered message (the value is the original bytes). */
export const DLQ_HEADERS = {
  sourceTopic: 'x-dlq-source-topic',
  sourcePartition: 'x-dlq-source-partition',
  sourceOffset: 'x-dlq-source-offset',
  reason: 'x-dlq-reason',
  fields: 'x-dlq-fields',
  failedAt: 'x-dlq-failed-at',
  consumerGroup: 'x-dlq-consumer-group',
} as const;

import {
  CLICKSTREAM_TYPES,
  ORDER_TYPES,
  TOPICS,
  TOPIC_SPECS,
  decodeStorefrontValue,
  type FieldError,
  type TopicName,
} from '@storepulse/contracts';
import { deadLetterHeaders, type ProduceRecord } from '@storepulse/kafka';
import type { RawEvent } from './parse-body';

/** The endpoint an event came through: /v1/events routes by `type`, /v1/inventory is stock positions. */
export type Endpoint = 'events' | 'inventory';

export interface RejectedEvent {
  index: number;
  /** The event's `event_id` when it is a string, else null. */
  event_id: string | null;
  errors: FieldError[];
}

export interface IngestResult {
  accepted: number;
  rejected: RejectedEvent[];
}

export interface RoutedBatch {
  /** Valid events (declared fields only) and dead letters for the rejected ones. */
  records: ProduceRecord[];
  result: IngestResult;
  acceptedByTopic: Map<string, number>;
  rejectedByTopic: Map<string, number>;
}

export interface RequestContext {
  requestId: string;
  /** The write key's storefront, or `anonymous`. */
  storefront: string;
  receivedAt: Date;
}

/** The consumer-group header of dead letters written by the collector (no consumer involved). */
export const COLLECTOR_DLQ_GROUP = 'storepulse-collector';
/** Header on every record the collector writes: which storefront's key wrote it. */
export const STOREFRONT_HEADER = 'x-storefront';

const CLICK = new Set<unknown>(CLICKSTREAM_TYPES);
const ORDER = new Set<unknown>(ORDER_TYPES);
const ALL_TYPES = [...CLICKSTREAM_TYPES, ...ORDER_TYPES].join(', ');
const KEY_FIELD = new Map<string, string>(TOPIC_SPECS.map((t) => [t.name, t.key]));

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/** The topic an event goes to, or why it cannot be routed. */
function route(
  endpoint: Endpoint,
  value: unknown,
): { topic: TopicName } | { errors: FieldError[] } {
  if (endpoint === 'inventory') return { topic: TOPICS.inventory };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
    return { errors: [{ field: '$', message: `must be a JSON object, got ${got}` }] };
  }
  const type = field(value, 'type');
  if (CLICK.has(type)) return { topic: TOPICS.clickstream };
  if (ORDER.has(type)) return { topic: TOPICS.orders };
  return {
    errors: [
      {
        field: 'type',
        message: type === undefined ? 'is required' : `must be one of ${ALL_TYPES}`,
      },
    ],
  };
}

const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/**
 * Validates every event with the contracts' decoder (the aggregator's) and turns the batch into
 * records: valid events to their topic, keyed by the topic's key field, as their declared fields
 * only (undeclared keys — `__proto__` included — are dropped); rejected events to the DLQ with
 * their original bytes and the aggregator's dead-letter headers (source partition/offset -1: they
 * never were on a topic).
 */
export function routeEvents(
  endpoint: Endpoint,
  events: readonly RawEvent[],
  ctx: RequestContext,
): RoutedBatch {
  const records: ProduceRecord[] = [];
  const rejected: RejectedEvent[] = [];
  const acceptedByTopic = new Map<string, number>();
  const rejectedByTopic = new Map<string, number>();
  const failedAt = ctx.receivedAt;
  events.forEach((ev, index) => {
    const r = route(endpoint, ev.value);
    let errors: FieldError[];
    let sourceTopic: string;
    if ('topic' in r) {
      const d = decodeStorefrontValue(r.topic, ev.value);
      if (d.ok) {
        const keyField = KEY_FIELD.get(r.topic) ?? '';
        const key = (d.value.event as unknown as Record<string, unknown>)[keyField];
        records.push({
          topic: r.topic,
          key: typeof key === 'string' ? key : null,
          value: JSON.stringify(d.value.event),
          headers: { [STOREFRONT_HEADER]: ctx.storefront },
        });
        inc(acceptedByTopic, r.topic);
        return;
      }
      errors = d.errors;
      sourceTopic = r.topic;
    } else {
      errors = r.errors;
      sourceTopic = `http:/v1/${endpoint}`;
    }
    const id = field(ev.value, 'event_id');
    rejected.push({ index, event_id: typeof id === 'string' ? id : null, errors });
    inc(rejectedByTopic, sourceTopic);
    const keyField = KEY_FIELD.get(sourceTopic);
    const key = keyField === undefined ? undefined : field(ev.value, keyField);
    records.push({
      topic: TOPICS.storefrontDlq,
      key: typeof key === 'string' ? key : null,
      value: ev.bytes,
      headers: deadLetterHeaders({
        sourceTopic,
        sourcePartition: -1,
        sourceOffset: '-1',
        key: null,
        value: ev.bytes,
        reason: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
        fields: errors.map((e) => e.field),
        failedAt,
        consumerGroup: COLLECTOR_DLQ_GROUP,
        extraHeaders: {
          [STOREFRONT_HEADER]: ctx.storefront,
          'x-dlq-request-id': ctx.requestId,
          'x-dlq-index': String(index),
        },
      }),
    });
  });
  return {
    records,
    result: { accepted: events.length - rejected.length, rejected },
    acceptedByTopic,
    rejectedByTopic,
  };
}

// Conversions between kafkajs records and the transport's InboundMessage / OutboundRecord, the
// validation of a handler's BatchOutput, and the dead-letter record helper.
import type { IHeaders, KafkaMessage, Message, TopicMessages } from 'kafkajs';
import { DLQ_HEADERS } from '@storepulse/contracts';
import type { BatchOutput, InboundMessage, OutboundRecord } from './types';

/** Header values as UTF-8 strings; an array value (a repeated header) keeps its last element. */
export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last === undefined) continue;
    out[k] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}

export function toInboundMessage(
  topic: string,
  partition: number,
  m: KafkaMessage,
): InboundMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ?? null,
    value: m.value,
    headers: decodeHeaders(m.headers),
    timestampMs: Number(m.timestamp),
  };
}

/**
 * A dead-letter record for `msg`: the original key, bytes and headers, plus the DLQ headers of
 * @storepulse/contracts (source topic/partition/offset, reason, fields as a JSON array, failure time,
 * consumer group), which win over original headers of the same name.
 */
export function deadLetterRecord(
  msg: InboundMessage,
  dlqTopic: string,
  reason: string,
  fields: string[],
  groupId: string,
  failedAt: Date = new Date(),
): OutboundRecord {
  return {
    topic: dlqTopic,
    key: msg.key,
    value: msg.value,
    headers: {
      ...msg.headers,
      [DLQ_HEADERS.sourceTopic]: msg.topic,
      [DLQ_HEADERS.sourcePartition]: String(msg.partition),
      [DLQ_HEADERS.sourceOffset]: msg.offset,
      [DLQ_HEADERS.reason]: reason,
      [DLQ_HEADERS.fields]: JSON.stringify(fields),
      [DLQ_HEADERS.failedAt]: failedAt.toISOString(),
      [DLQ_HEADERS.consumerGroup]: groupId,
    },
  };
}

const isBytes = (v: unknown): v is string | Buffer => typeof v === 'string' || Buffer.isBuffer(v);

/**
 * Checks what a handler returned and groups its records per topic, keeping their order (records of one
 * topic go out in one request, in the handler's order). Throws an Error naming the record and field.
 */
export function toTopicMessages(output: unknown, where: string): TopicMessages[] {
  if (typeof output !== 'object' || output === null || !('records' in output))
    throw new Error(
      `${where}: the handler must return a BatchOutput { records: OutboundRecord[] }`,
    );
  const records: unknown = (output as BatchOutput).records;
  if (!Array.isArray(records))
    throw new Error(`${where}: BatchOutput.records must be an array, got ${typeof records}`);
  const byTopic = new Map<string, Message[]>();
  records.forEach((r: unknown, i) => {
    const at = `${where}: BatchOutput.records[${i}]`;
    if (typeof r !== 'object' || r === null) throw new Error(`${at} must be an object`);
    const rec = r as Partial<OutboundRecord>;
    if (typeof rec.topic !== 'string' || rec.topic.length === 0)
      throw new Error(`${at}.topic must be a non-empty string`);
    if (rec.key !== null && !isBytes(rec.key))
      throw new Error(`${at}.key must be a string, a Buffer or null`);
    if (rec.value !== null && !isBytes(rec.value))
      throw new Error(`${at}.value must be a string, a Buffer or null`);
    if (rec.partition !== undefined && (!Number.isInteger(rec.partition) || rec.partition < 0))
      throw new Error(`${at}.partition must be a non-negative integer`);
    if (rec.headers !== undefined) {
      if (typeof rec.headers !== 'object' || rec.headers === null)
        throw new Error(`${at}.headers must be an object of strings`);
      for (const [k, v] of Object.entries(rec.headers))
        if (typeof v !== 'string') throw new Error(`${at}.headers.${k} must be a string`);
    }
    const m: Message = { key: rec.key, value: rec.value };
    if (rec.headers !== undefined) m.headers = { ...rec.headers };
    if (rec.partition !== undefined) m.partition = rec.partition;
    const list = byTopic.get(rec.topic) ?? [];
    list.push(m);
    byTopic.set(rec.topic, list);
  });
  return [...byTopic.entries()].map(([topic, messages]) => ({ topic, messages }));
}

/** Bytes of a record as it counts against the broker's message size (key + value + headers). */
function recordBytes(m: TopicMessages['messages'][number]): number {
  let n = 64;
  const len = (v: unknown): number =>
    v === null || v === undefined
      ? 0
      : Buffer.isBuffer(v)
        ? v.length
        : typeof v === 'string'
          ? Buffer.byteLength(v)
          : Array.isArray(v)
            ? v.reduce((a: number, x: unknown) => a + len(x), 0)
            : 0;
  n += len(m.key) + len(m.value);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += Buffer.byteLength(k) + len(v);
  return n;
}

/**
 * Splits output into sends of at most `maxBytes` each (a record larger than that goes alone), in
 * order, so one batch's records never exceed the broker's request and message size limits
 * (`message.max.bytes`, 1 MiB by default). Sent one after the other in the same transaction, the
 * order per topic-partition is kept.
 */
export function chunkTopicMessages(
  topicMessages: readonly TopicMessages[],
  maxBytes = 512 * 1024,
): TopicMessages[][] {
  const chunks: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let bytes = 0;
  for (const tm of topicMessages) {
    let part: TopicMessages = { topic: tm.topic, messages: [] };
    for (const m of tm.messages) {
      const b = recordBytes(m);
      if (bytes + b > maxBytes && bytes > 0) {
        if (part.messages.length > 0) current.push(part);
        chunks.push(current);
        current = [];
        bytes = 0;
        part = { topic: tm.topic, messages: [] };
      }
      part.messages.push(m);
      bytes += b;
    }
    if (part.messages.length > 0) current.push(part);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

import type { IHeaders, KafkaMessage } from 'kafkajs';
import { DLQ_HEADERS, toChDateTime64 } from '@storepulse/contracts';
import { DLQ_STORED_HEADER } from '@storepulse/kafka';

/** A `dead_letters` row copied from a record of the dead-letter topic (migration 0013). */
export interface ArchivedDeadLetterRow {
  source_topic: string;
  /** UInt32 column: -1 (no source partition) is stored as its two's complement. */
  source_partition: number;
  /** UInt64 column as a decimal string: -1 is stored as its two's complement. */
  source_offset: string;
  message_key: string;
  payload: string;
  reason: string;
  fields: string[];
  failed_at: string;
  consumer_group: string;
  dlq_partition: number;
  dlq_offset: string;
  headers: Record<string, string>;
}

/** What the archive makes of one dead-letter record. */
export type ArchiveDecision =
  | { kind: 'archive'; row: ArchivedDeadLetterRow; problems: string[] }
  /** Already in `dead_letters`: written by its producer (the aggregator) with its own chunk. */
  | { kind: 'stored-by-producer' };

const DLQ_HEADER_NAMES = new Set<string>([...Object.values(DLQ_HEADERS), DLQ_STORED_HEADER]);
const MAX_UINT32 = 0xffff_ffff;

function header(h: IHeaders | undefined, name: string): string | undefined {
  const v = h?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

/**
 * The row for a record of the dead-letter topic at `partition`, or `stored-by-producer` for the
 * aggregator's own letters (they carry `x-dlq-stored`, or — letters sent before that header existed —
 * the aggregator's consumer group): the aggregator stored them with the chunk they came from, so
 * copying them would count them twice. A record with missing or malformed dead-letter headers is
 * archived all the same (its bytes and what can be read), with `problems` saying which header and why.
 */
export function archiveDecision(
  partition: number,
  m: KafkaMessage,
  aggregatorGroup: string,
): ArchiveDecision {
  const h = m.headers;
  const group = header(h, DLQ_HEADERS.consumerGroup);
  if (header(h, DLQ_STORED_HEADER) !== undefined || group === aggregatorGroup)
    return { kind: 'stored-by-producer' };
  const problems: string[] = [];
  const sourceTopic = header(h, DLQ_HEADERS.sourceTopic);
  if (sourceTopic === undefined) problems.push(`${DLQ_HEADERS.sourceTopic}: missing`);

  let sourcePartition = MAX_UINT32; // -1
  const sp = header(h, DLQ_HEADERS.sourcePartition);
  if (sp === undefined) problems.push(`${DLQ_HEADERS.sourcePartition}: missing`);
  else if (!/^-?\d{1,10}$/.test(sp) || Number(sp) < -1 || Number(sp) > 2 ** 31 - 1)
    problems.push(`${DLQ_HEADERS.sourcePartition}: ${JSON.stringify(sp)} is not a partition`);
  else if (Number(sp) >= 0) sourcePartition = Number(sp);

  let sourceOffset = BigInt.asUintN(64, -1n).toString();
  const so = header(h, DLQ_HEADERS.sourceOffset);
  if (so === undefined) problems.push(`${DLQ_HEADERS.sourceOffset}: missing`);
  else if (!/^-?\d{1,19}$/.test(so) || BigInt(so) < -1n || BigInt(so) >= 2n ** 63n)
    problems.push(`${DLQ_HEADERS.sourceOffset}: ${JSON.stringify(so)} is not an offset`);
  else sourceOffset = BigInt.asUintN(64, BigInt(so)).toString();

  const reason = header(h, DLQ_HEADERS.reason);
  if (reason === undefined) problems.push(`${DLQ_HEADERS.reason}: missing`);

  let fields: string[] = [];
  const f = header(h, DLQ_HEADERS.fields);
  if (f === undefined) problems.push(`${DLQ_HEADERS.fields}: missing`);
  else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(f);
    } catch {
      parsed = undefined;
    }
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) fields = parsed;
    else problems.push(`${DLQ_HEADERS.fields}: must be a JSON array of strings`);
  }

  const recordMs = Number(m.timestamp);
  let failedMs = Number.isFinite(recordMs) ? recordMs : 0;
  const fa = header(h, DLQ_HEADERS.failedAt);
  if (fa === undefined) problems.push(`${DLQ_HEADERS.failedAt}: missing (record time used)`);
  else if (Number.isNaN(Date.parse(fa)))
    problems.push(
      `${DLQ_HEADERS.failedAt}: ${JSON.stringify(fa)} is not a time (record time used)`,
    );
  else failedMs = Date.parse(fa);

  if (group === undefined) problems.push(`${DLQ_HEADERS.consumerGroup}: missing`);

  const others: Record<string, string> = {};
  for (const name of Object.keys(h ?? {})) {
    if (DLQ_HEADER_NAMES.has(name)) continue;
    const v = header(h, name);
    if (v !== undefined) others[name] = v;
  }
  return {
    kind: 'archive',
    problems,
    row: {
      source_topic: sourceTopic ?? '',
      source_partition: sourcePartition,
      source_offset: sourceOffset,
      message_key: m.key?.toString('utf8') ?? '',
      payload: m.value?.toString('utf8') ?? '',
      reason: reason ?? `(no ${DLQ_HEADERS.reason} header)`,
      fields,
      failed_at: toChDateTime64(failedMs),
      consumer_group: group ?? '',
      dlq_partition: partition,
      dlq_offset: m.offset,
      headers: others,
    },
  };
}

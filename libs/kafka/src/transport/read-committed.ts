// A correction of kafkajs 2.2.4's read_committed filtering, installed process-wide.
//
// With isolation level read_committed the broker returns every record below the last stable offset
// plus the list of aborted transactions overlapping the fetch (`producerId`, `firstOffset`); the
// client must drop the records of those transactions itself. kafkajs (consumer/filterAbortedMessages.js)
// walks the messages and, for each one, activates AT MOST ONE entry of that list, taking the list's
// head only. That is correct only when the list is sorted by firstOffset and no two aborted
// transactions start before the same message. Neither holds:
//  - the broker lists aborted transactions in the order they ENDED (the transaction index is
//    appended when the abort marker is written), not the order they started: a transaction that
//    started earlier and aborted later comes second, and its records before the other one's first
//    offset are delivered as committed;
//  - a fetch that starts inside two overlapping aborted transactions activates only one of them at
//    its first message.
// So two concurrent transactions that both abort on one output partition (the batch transport's
// producers of different input partitions do, when their commits fail together) leak aborted
// records to every kafkajs read_committed consumer: duplicates downstream.
//
// The fix rewrites each fetch response's aborted-transaction list, before kafkajs's Batch filters it,
// into one its algorithm handles exactly: one entry per aborted transaction with records in the
// fetch, its firstOffset moved to the offset of that producer's first record (data or its abort
// marker) at or after the original firstOffset and at or after the fetch offset, sorted ascending.
// The messages are not touched (offsets, positions and lag stay kafkajs's own), only which records
// count as aborted changes, and it now matches the Java client (KafkaConsumer's CompletedFetch).
import { createRequire } from 'node:module';

/** An entry of a fetch response's aborted transactions (kafkajs decodes both as decimal strings). */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** The fields of a decoded fetch record that the filtering reads. */
export interface FetchedRecord {
  offset: string;
  batchContext?: { producerId: string; inTransaction: boolean };
}

/**
 * The aborted-transaction list to give kafkajs for `messages` (a partition of one fetch response,
 * in offset order) so that its filter drops exactly the records of aborted transactions: the
 * producer's first record at/after max(firstOffset, fetchOffset) per entry, ascending, entries
 * without such a record left out.
 */
export function alignAbortedTransactions(
  messages: readonly FetchedRecord[],
  aborted: readonly AbortedTransaction[],
  fetchOffset: string | null,
): AbortedTransaction[] {
  if (aborted.length === 0) return [];
  const from = fetchOffset === null ? null : BigInt(fetchOffset);
  const out = new Map<string, AbortedTransaction>();
  for (const entry of aborted) {
    let start = BigInt(entry.firstOffset);
    if (from !== null && from > start) start = from;
    const first = messages.find(
      (m) => m.batchContext?.producerId === entry.producerId && BigInt(m.offset) >= start,
    );
    if (first) out.set(first.offset, { producerId: entry.producerId, firstOffset: first.offset });
  }
  return [...out.values()].sort((a, b) => {
    const d = BigInt(a.firstOffset) - BigInt(b.firstOffset);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  });
}

interface FetchPartitionResponse {
  partition: number;
  abortedTransactions?: AbortedTransaction[] | null;
  messages?: FetchedRecord[];
}
interface FetchResponse {
  responses?: { topicName: string; partitions: FetchPartitionResponse[] }[];
}
interface FetchRequest {
  topics?: { topic: string; partitions: { partition: number; fetchOffset: string }[] }[];
}
type FetchFn = (this: unknown, request: FetchRequest) => Promise<FetchResponse>;

const INSTALLED = Symbol.for('storepulse.kafkajs.readCommittedFix');

/** Rewrites the aborted-transaction lists of a decoded fetch response in place. */
export function alignFetchResponse(request: FetchRequest, response: FetchResponse): void {
  for (const t of response.responses ?? []) {
    const requested = request.topics?.find((r) => r.topic === t.topicName);
    for (const p of t.partitions) {
      if (!p.abortedTransactions || p.abortedTransactions.length === 0) continue;
      const fetchOffset =
        requested?.partitions.find((r) => r.partition === p.partition)?.fetchOffset ?? null;
      p.abortedTransactions = alignAbortedTransactions(
        p.messages ?? [],
        p.abortedTransactions,
        fetchOffset,
      );
    }
  }
}

/**
 * Installs the correction on kafkajs's Broker.fetch (the prototype, so every client of this process,
 * whenever it was created, gets it). Idempotent. Throws when kafkajs no longer has that method (a
 * kafkajs upgrade must re-check the filtering rather than silently lose the fix).
 */
export function installReadCommittedFix(): void {
  const req = createRequire(__filename);
  const Broker = req('kafkajs/src/broker') as { prototype: Record<string | symbol, unknown> };
  const proto = Broker.prototype;
  if (proto[INSTALLED] === true) return;
  const original = proto.fetch;
  if (typeof original !== 'function')
    throw new Error(
      'kafkajs Broker.prototype.fetch not found: the read_committed fix (libs/kafka/src/transport/read-committed.ts) must be re-checked for this kafkajs version',
    );
  const fetch = original as FetchFn;
  proto.fetch = async function patchedFetch(this: unknown, request: FetchRequest) {
    const response = await fetch.call(this, request);
    alignFetchResponse(request, response);
    return response;
  };
  proto[INSTALLED] = true;
}

installReadCommittedFix();

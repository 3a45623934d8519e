// The simulated inventory system's side of inventory.replenishment.v1: each batch is validated and
// applied to the live storefront's inventory (purchase orders). The I/O (the consumer) is outside.
import { replenishmentSchema, type ReplenishmentMessage } from '@storepulse/contracts';
import type { BatchHandler, BatchResult, PartitionBatch } from '@storepulse/kafka';
import type { Logger } from '@storepulse/observability';
import type { RecommendationOutcome } from '../storefront';

/** Port: where recommendations are applied (the SimulatorService in production). */
export interface RecommendationTarget {
  applyRecommendation(rec: ReplenishmentMessage): RecommendationOutcome | 'not_started';
}

export interface RecommendationCounters {
  received: number;
  /** Undecodable or not a replenishment message (logged with the field and the reason). */
  invalid: number;
  /** Null values (compaction tombstones): nothing to do. */
  tombstones: number;
}

/**
 * Parses every message with `replenishmentSchema`; a valid one goes to the target, an invalid one is
 * counted and logged with the failing field (the inventory system is an external consumer: the
 * replenishment topic has no dead-letter topic in the contracts), and its neighbours are unaffected.
 * Applying is in memory, so the batch is done when the handler returns (commit last + 1).
 */
export class RecommendationHandler implements BatchHandler {
  readonly counters: RecommendationCounters = { received: 0, invalid: 0, tombstones: 0 };

  constructor(
    private readonly target: RecommendationTarget,
    private readonly log: Logger,
  ) {}

  handleBatch(batch: PartitionBatch): Promise<BatchResult> {
    for (const m of batch.messages) {
      this.counters.received++;
      if (m.value === null) {
        this.counters.tombstones++;
        continue;
      }
      const parsed = parseRecommendation(m.value);
      if (!parsed.ok) {
        this.counters.invalid++;
        this.log.warn(
          { topic: batch.topic, partition: batch.partition, offset: m.offset, ...parsed.error },
          'invalid replenishment recommendation ignored',
        );
        continue;
      }
      this.target.applyRecommendation(parsed.value);
    }
    return Promise.resolve({ commitOffset: (BigInt(batch.lastOffset) + 1n).toString() });
  }
}

export type ParseResult =
  | { ok: true; value: ReplenishmentMessage }
  | { ok: false; error: { field: string; reason: string } };

/** Decodes one message value; the error names the first failing field and why. */
export function parseRecommendation(value: Buffer): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (e) {
    return {
      ok: false,
      error: {
        field: '(value)',
        reason: `not JSON: ${e instanceof Error ? e.message : String(e)}`,
      },
    };
  }
  const r = replenishmentSchema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return {
    ok: false,
    error: {
      field: issue && issue.path.length > 0 ? issue.path.join('.') : '(value)',
      reason: issue?.message ?? 'invalid',
    },
  };
}

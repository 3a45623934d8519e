// Use case: one topic-partition batch of forecasts.demand.v1 or inventory.stock.v1 → the state is
// updated in offset order, and every SKU the batch touched that has both a forecast and a stock
// position gets one inventory.replenishment.v1 record (its last state in the batch). Invalid input
// becomes a dead letter; the records go out in the batch's Kafka transaction (the transport's job).
import {
  TOPICS,
  decode,
  decodeInventory,
  demandForecastSchema,
  type ReplenishmentAction,
  type ReplenishmentMessage,
} from '@storepulse/contracts';
import {
  deadLetterRecord,
  type InboundBatch,
  type InboundMessage,
  type OutboundRecord,
} from '@storepulse/kafka';
import { ReplenishmentInputError } from '@storepulse/ml';
import type { Logger } from '@storepulse/observability';
import {
  ForecastExpiredError,
  RecommendationError,
  recommend,
  type RecommendPolicy,
} from './recommend';
import { heldForecast, heldStock, type ReplenishmentState } from './state';

export const SKIP_REASONS = ['no_forecast', 'no_stock', 'stale', 'forecast_expired'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** What one handled batch amounts to (counted once its transaction committed). */
export interface BatchSummary {
  recommendations: ReplenishmentMessage[];
  deadLetters: number;
  skipped: Record<SkipReason, number>;
}

export interface HandledBatch {
  /** Outputs and dead letters, for the transport to publish with the input offsets. */
  records: OutboundRecord[];
  summary: BatchSummary;
}

export interface ReplenishBatchOptions {
  groupId: string;
  dlqTopic: string;
  policy: RecommendPolicy;
}

const emptySkips = (): Record<SkipReason, number> => ({
  no_forecast: 0,
  no_stock: 0,
  stale: 0,
  forecast_expired: 0,
});

export const emptyCounts = () => ({
  recommendations: { reorder: 0, ok: 0, overstock: 0 } as Record<ReplenishmentAction, number>,
  deadLetters: 0,
  skipped: emptySkips(),
});

export class ReplenishBatch {
  constructor(
    private readonly state: ReplenishmentState,
    private readonly opts: ReplenishBatchOptions,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private dead(m: InboundMessage, reason: string, fields: string[], out: OutboundRecord[]): void {
    out.push(deadLetterRecord(m, this.opts.dlqTopic, reason, fields, this.opts.groupId));
    this.log.debug(
      { topic: m.topic, partition: m.partition, offset: m.offset, reason },
      'dead-lettered',
    );
  }

  /** Applies one message to the state; returns the SKU it touched, or null. */
  private apply(m: InboundMessage, summary: BatchSummary, out: OutboundRecord[]): string | null {
    if (m.topic === TOPICS.demandForecasts) {
      const d = decode(demandForecastSchema, m.value);
      if (!d.ok) {
        this.dead(
          m,
          d.reason,
          d.errors.map((e) => e.field),
          out,
        );
        summary.deadLetters++;
        return null;
      }
      if (this.state.applyForecast(heldForecast(d.value)) === 'stale') {
        summary.skipped.stale++;
        this.log.debug(
          { sku: d.value.sku, generated_at: d.value.generated_at, offset: m.offset },
          'forecast older than the held one ignored',
        );
        return null;
      }
      return d.value.sku;
    }
    const d = decodeInventory(m.value);
    if (!d.ok) {
      this.dead(
        m,
        d.reason,
        d.errors.map((e) => e.field),
        out,
      );
      summary.deadLetters++;
      return null;
    }
    if (this.state.applyStock(heldStock(d.value)) === 'stale') {
      summary.skipped.stale++;
      this.log.debug(
        { sku: d.value.sku, ts: d.value.ts, offset: m.offset },
        'stock position older than the held one ignored',
      );
      return null;
    }
    return d.value.sku;
  }

  handle(batch: InboundBatch): HandledBatch {
    const records: OutboundRecord[] = [];
    const summary: BatchSummary = { recommendations: [], deadLetters: 0, skipped: emptySkips() };
    if (batch.topic !== TOPICS.demandForecasts && batch.topic !== TOPICS.inventory)
      throw new Error(`replenishment: no handling for topic ${batch.topic}`);
    // SKU → the last message that changed it (dead-lettered if its recommendation cannot be built)
    const touched = new Map<string, InboundMessage>();
    for (const m of batch.messages) {
      const sku = this.apply(m, summary, records);
      if (sku !== null) {
        touched.delete(sku); // keep the order of the last change
        touched.set(sku, m);
      }
    }
    const generatedAt = this.now();
    for (const [sku, m] of touched) {
      const s = this.state.get(sku);
      if (!s?.forecast || !s.stock) {
        const reason: SkipReason = s?.forecast ? 'no_stock' : 'no_forecast';
        summary.skipped[reason]++;
        this.log.debug({ sku, reason }, 'no recommendation: one side of the SKU is unknown');
        continue;
      }
      let rec: ReplenishmentMessage;
      try {
        rec = recommend(s.forecast, s.stock, this.opts.policy, generatedAt);
      } catch (e) {
        if (e instanceof ForecastExpiredError) {
          summary.skipped.forecast_expired++;
          this.log.debug({ sku, reason: e.message }, 'no recommendation: the forecast has expired');
          continue;
        }
        if (e instanceof RecommendationError || e instanceof ReplenishmentInputError) {
          this.dead(m, `${e.field}: ${e.message}`, [e.field], records);
          summary.deadLetters++;
          continue;
        }
        throw e;
      }
      records.push({ topic: TOPICS.replenishment, key: sku, value: JSON.stringify(rec) });
      summary.recommendations.push(rec);
    }
    return { records, summary };
  }
}

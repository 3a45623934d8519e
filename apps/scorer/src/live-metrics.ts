// The scorer's record of each live AUC it resolves: the port (LiveMetricsRepository) and its ClickHouse
// adapter over model_live_metrics (migration 0011). The trainer's drift check and the Models page read
// that table, so they see the live AUC without sharing the scorer's process.
import type { ClickHouseClient } from '@clickhouse/client';
import { toChDateTime64 } from '@storepulse/contracts';

/** One resolution of a model version's matured live labels (MaturedLabelMonitor.resolve). */
export interface LiveAucRecord {
  model: string;
  version: number;
  horizon: string;
  computedAtMs: number;
  /** The data watermark the labels matured against. */
  watermarkMs: number;
  /** Order times read to label the samples: [labelFromMs, labelToMs) = [min t, max t + horizon). */
  labelFromMs: number;
  labelToMs: number;
  /** Weighted ROC AUC; null when the samples have a single class. */
  auc: number | null;
  /** Samples labelled (unweighted), positives among them. */
  n: number;
  positives: number;
  /** Sum of the samples' inclusion weights (the live predictions they stand for). */
  weightSum: number;
}

export interface LiveMetricsRepository {
  /** Appends one record; rejects on an invalid record or a ClickHouse error. */
  record(r: LiveAucRecord): Promise<void>;
}

export class InvalidLiveAucRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidLiveAucRecordError';
  }
}

/** Throws InvalidLiveAucRecordError naming the first bad field. */
export function validateLiveAucRecord(r: LiveAucRecord): void {
  const bad = (field: string, v: unknown, expected: string) =>
    new InvalidLiveAucRecordError(
      `live AUC record of ${r.model} v${r.version}: ${field} = ${String(v)}, expected ${expected}`,
    );
  if (typeof r.model !== 'string' || r.model === '') throw bad('model', r.model, 'a model name');
  if (!Number.isInteger(r.version) || r.version < 1)
    throw bad('version', r.version, 'an integer >= 1');
  if (typeof r.horizon !== 'string' || r.horizon === '')
    throw bad('horizon', r.horizon, 'a horizon name');
  for (const f of ['computedAtMs', 'watermarkMs', 'labelFromMs', 'labelToMs'] as const)
    if (!Number.isFinite(r[f])) throw bad(f, r[f], 'a finite epoch ms');
  if (r.labelToMs < r.labelFromMs)
    throw bad('labelToMs', r.labelToMs, `>= labelFromMs (${r.labelFromMs})`);
  if (r.auc !== null && !(r.auc >= 0 && r.auc <= 1))
    throw bad('auc', r.auc, 'null or a number in [0, 1]');
  if (!Number.isInteger(r.n) || r.n < 1) throw bad('n', r.n, 'an integer >= 1');
  if (!Number.isInteger(r.positives) || r.positives < 0 || r.positives > r.n)
    throw bad('positives', r.positives, `an integer in [0, n = ${r.n}]`);
  if (!(r.weightSum >= r.n) || !Number.isFinite(r.weightSum))
    throw bad('weightSum', r.weightSum, `a finite number >= n = ${r.n}`);
}

export class ClickHouseLiveMetrics implements LiveMetricsRepository {
  constructor(private readonly client: ClickHouseClient) {}

  async record(r: LiveAucRecord): Promise<void> {
    validateLiveAucRecord(r);
    await this.client.insert({
      table: 'model_live_metrics',
      format: 'JSONEachRow',
      values: [
        {
          model_name: r.model,
          model_version: r.version,
          horizon: r.horizon,
          computed_at: toChDateTime64(r.computedAtMs),
          watermark: toChDateTime64(r.watermarkMs),
          label_from: toChDateTime64(r.labelFromMs),
          label_to: toChDateTime64(r.labelToMs),
          auc: r.auc,
          n: r.n,
          positives: r.positives,
          negatives: r.n - r.positives,
          weight_sum: r.weightSum,
        },
      ],
    });
  }
}

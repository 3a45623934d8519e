// The reads behind the Models page's stored live AUC: the port (ModelsReads) and its ClickHouse adapter
// over model_live_metrics (migration 0011, appended by the scorer) and model_live_samples (0014: the
// pooled live AUC the trainer's drift rule compares), so the page shows the live AUC without sharing
// the scorer's process. ClickHouse errors propagate.
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import { LiveSamplesStore, type LivePoolOptions } from '@storepulse/ml';

/** The latest persisted live AUC of one model version. */
export interface StoredLiveAuc {
  model: string;
  version: number;
  horizon: string;
  /** ISO-8601 UTC. */
  computedAt: string;
  watermark: string;
  labelFrom: string;
  labelTo: string;
  /** null: the batch had a single class. */
  auc: number | null;
  n: number;
  positives: number;
  negatives: number;
  /**
   * The version's live AUC pooled over the window the trainer's drift rule uses
   * (TRAINER_DRIFT_LIVE_AUC_WINDOW_MS of prediction time up to the newest matured sample, at most
   * TRAINER_DRIFT_LIVE_AUC_MAX_SAMPLES): the value that rule compares; null without stored samples.
   */
  pooled: PooledView | null;
}

export interface PooledView {
  /** null: the pool has a single class. */
  auc: number | null;
  n: number;
  positives: number;
  negatives: number;
  /** Prediction times of the oldest and newest pooled sample (ISO-8601 UTC). */
  from: string;
  to: string;
  windowMs: number;
}

export interface ModelsReads {
  /**
   * Per model, the latest row of each of its `versionsPerModel` newest versions, newest first, with
   * the version's pooled live AUC.
   */
  latestLiveAuc(versionsPerModel: number): Promise<StoredLiveAuc[]>;
}

interface Row {
  model_name: string;
  model_version: number;
  horizon: string;
  computed_at_ms: number;
  watermark_ms: number;
  label_from_ms: number;
  label_to_ms: number;
  auc: number | null;
  n: number;
  positives: number;
  negatives: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function viewOf(p: Awaited<ReturnType<LiveSamplesStore['pooled']>>): PooledView | null {
  if (!p) return null;
  return {
    auc: Number.isFinite(p.auc) ? p.auc : null,
    n: p.n,
    positives: p.positives,
    negatives: p.negatives,
    from: iso(p.fromMs),
    to: iso(p.toMs),
    windowMs: p.windowMs,
  };
}

export class ClickHouseModelsReads implements ModelsReads {
  private readonly samples: LiveSamplesStore;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly pool: LivePoolOptions,
  ) {
    this.samples = new LiveSamplesStore(client);
  }

  async latestLiveAuc(versionsPerModel: number): Promise<StoredLiveAuc[]> {
    if (!Number.isInteger(versionsPerModel) || versionsPerModel < 1)
      throw new RangeError(`versionsPerModel = ${versionsPerModel}, expected an integer >= 1`);
    const rows = await queryRows<Row>(
      this.client,
      `SELECT * FROM (
         SELECT model_name, model_version, horizon,
                toFloat64(toUnixTimestamp64Milli(computed_at)) AS computed_at_ms,
                toFloat64(toUnixTimestamp64Milli(watermark)) AS watermark_ms,
                toFloat64(toUnixTimestamp64Milli(label_from)) AS label_from_ms,
                toFloat64(toUnixTimestamp64Milli(label_to)) AS label_to_ms,
                auc, n, positives, negatives
           FROM model_live_metrics
          ORDER BY model_name, model_version DESC, computed_at DESC
          LIMIT 1 BY model_name, model_version)
        ORDER BY model_name, model_version DESC
        LIMIT {perModel:UInt32} BY model_name`,
      { perModel: versionsPerModel },
    );
    const pooled = await Promise.all(
      rows.map((r) => this.samples.pooled(r.model_name, r.model_version, this.pool)),
    );
    return rows.map((r, i) => ({
      model: r.model_name,
      version: r.model_version,
      horizon: r.horizon,
      computedAt: iso(r.computed_at_ms),
      watermark: iso(r.watermark_ms),
      labelFrom: iso(r.label_from_ms),
      labelTo: iso(r.label_to_ms),
      auc: r.auc,
      n: r.n,
      positives: r.positives,
      negatives: r.negatives,
      pooled: viewOf(pooled[i]),
    }));
  }
}

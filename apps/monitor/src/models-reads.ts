// The reads behind the Models page's stored live AUC: the port (ModelsReads) and its ClickHouse adapter
// over model_live_metrics (migration 0011, appended by the scorer), so the page shows the live AUC
// without sharing the scorer's process. ClickHouse errors propagate.
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';

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
}

export interface ModelsReads {
  /** Per model, the latest row of each of its `versionsPerModel` newest versions, newest first. */
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

export class ClickHouseModelsReads implements ModelsReads {
  constructor(private readonly client: ClickHouseClient) {}

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
    return rows.map((r) => ({
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
    }));
  }
}

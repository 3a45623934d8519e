// One champion's live-AUC resolution: label the sampled live scores whose horizon has passed the data
// watermark (MaturedLabelMonitor), keep the AUC in memory, and shape the row the scorer appends to
// model_live_metrics (LiveMetricsRepository). Pure apart from the order-times port.
import type { LabelledSample, MaturedAuc, MaturedLabelMonitor } from '@storepulse/ml';
import type { LiveAucRecord } from './live-metrics';

/** What the resolution reads and updates of a loaded champion (LoadedChampion). */
export interface LiveAucTarget {
  name: string;
  version: number;
  horizon: string;
  labels: MaturedLabelMonitor;
  liveAuc: MaturedAuc | null;
}

/** Order times (epoch ms) per user for orders in [fromMs, toMs) (PropensityHistory.orderTimes). */
export type OrderTimesInRange = (fromMs: number, toMs: number) => Promise<Map<string, number[]>>;

/** One resolution: the model_live_metrics row and its labelled samples (model_live_samples). */
export interface LiveAucResolution {
  record: LiveAucRecord;
  samples: LabelledSample[];
}

/**
 * Resolves the target's due samples at `watermarkMs`: sets `target.liveAuc` and returns the record
 * and the labelled samples to persist, or null when nothing was due. A single-class batch is
 * recorded with auc null (the in-memory value keeps its NaN, as before).
 */
export async function resolveChampionLiveAuc(
  target: LiveAucTarget,
  watermarkMs: number,
  orderTimes: OrderTimesInRange,
  nowMs: number,
): Promise<LiveAucResolution | null> {
  if (target.labels.due(watermarkMs).length === 0) return null;
  const window = { from: NaN, to: NaN }; // the label window the port was asked for
  const { auc, samples } = await target.labels.resolveLabelled(
    watermarkMs,
    async (ids, from, to) => {
      window.from = from;
      window.to = to;
      const all = await orderTimes(from, to);
      return new Map(ids.map((id) => [id, all.get(id) ?? []]));
    },
  );
  if (auc.n === 0) return null;
  target.liveAuc = auc;
  const record: LiveAucRecord = {
    model: target.name,
    version: target.version,
    horizon: target.horizon,
    computedAtMs: nowMs,
    watermarkMs: auc.watermarkMs,
    labelFromMs: window.from,
    labelToMs: window.to,
    auc: Number.isFinite(auc.auc) ? auc.auc : null,
    n: auc.n,
    positives: auc.positives,
    weightSum: auc.weightSum,
  };
  return { record, samples };
}

// The labelled live samples of the propensity models (model_live_samples, migration 0014): the scorer
// appends each resolution's samples, the trainer's drift check and the monitor read one version's
// pool over a window (pooledLiveAuc). The read is bounded: ClickHouse selects the window and the
// newest maxSamples, in the order pooledLiveAuc uses, so at most maxSamples rows reach the process.
// ClickHouse errors propagate.
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import { toChDateTime64 } from '@storepulse/contracts';
import {
  checkLivePoolOptions,
  checkPoolSamples,
  pooledLiveAuc,
  LivePoolError,
  type LivePoolOptions,
  type PoolSample,
  type PooledLiveAuc,
} from '../eval/live-auc-pool';

/** One resolution's labelled samples of one model version. */
export interface LiveSamplesBatch {
  model: string;
  version: number;
  horizon: string;
  computedAtMs: number;
  watermarkMs: number;
  samples: readonly PoolSample[];
}

/** A pooled reading of one version, with its newest resolution. */
export interface PooledLiveAucReading extends PooledLiveAuc {
  model: string;
  version: number;
  /** The newest pooled resolution (computed_at, watermark). */
  computedAtMs: number;
  watermarkMs: number;
  windowMs: number;
}

interface Row {
  user_id: string;
  t_ms: number;
  score: number;
  label: number;
  weight: number;
  computed_at_ms: number;
  watermark_ms: number;
}

export class LiveSamplesStore {
  constructor(private readonly client: ClickHouseClient) {}

  /** Appends one resolution's samples (one insert); rejects naming the bad field, before any write. */
  async append(b: LiveSamplesBatch): Promise<void> {
    const where = `live samples of ${b.model} v${b.version}`;
    if (typeof b.model !== 'string' || b.model === '')
      throw new LivePoolError(`${where}: model = '${String(b.model)}', expected a model name`);
    if (!Number.isInteger(b.version) || b.version < 1)
      throw new LivePoolError(`${where}: version = ${b.version}, expected an integer >= 1`);
    if (typeof b.horizon !== 'string' || b.horizon === '')
      throw new LivePoolError(`${where}: horizon = '${String(b.horizon)}', expected a horizon`);
    for (const f of ['computedAtMs', 'watermarkMs'] as const)
      if (!Number.isFinite(b[f]))
        throw new LivePoolError(`${where}: ${f} = ${b[f]}, expected a finite epoch ms`);
    checkPoolSamples(b.samples);
    if (b.samples.length === 0) return;
    const computedAt = toChDateTime64(b.computedAtMs);
    const watermark = toChDateTime64(b.watermarkMs);
    await this.client.insert({
      table: 'model_live_samples',
      format: 'JSONEachRow',
      values: b.samples.map((s) => ({
        model_name: b.model,
        model_version: b.version,
        horizon: b.horizon,
        computed_at: computedAt,
        watermark,
        t: toChDateTime64(s.tMs),
        user_id: s.userId,
        score: s.score,
        label: s.label,
        weight: s.weight,
      })),
    });
  }

  /** The version's pooled live AUC (pooledLiveAuc over the stored samples), or null without any. */
  async pooled(
    model: string,
    version: number,
    opts: LivePoolOptions,
  ): Promise<PooledLiveAucReading | null> {
    checkLivePoolOptions(opts);
    // (newest t − window, newest t], newest first, capped: the same selection as selectLivePool
    const rows = await queryRows<Row>(
      this.client,
      `WITH (SELECT max(t) FROM model_live_samples
              WHERE model_name = {model:String} AND model_version = {version:UInt32}) AS newest
       SELECT user_id, toFloat64(toUnixTimestamp64Milli(t)) AS t_ms, score, label, weight,
              toFloat64(toUnixTimestamp64Milli(computed_at)) AS computed_at_ms,
              toFloat64(toUnixTimestamp64Milli(watermark)) AS watermark_ms
         FROM model_live_samples
        WHERE model_name = {model:String} AND model_version = {version:UInt32}
          AND toUnixTimestamp64Milli(t) > toUnixTimestamp64Milli(newest) - {windowMs:Int64}
        ORDER BY t DESC, user_id ASC, score ASC
        LIMIT {limit:UInt32}`,
      { model, version, windowMs: Math.round(opts.windowMs), limit: opts.maxSamples },
    );
    const samples: PoolSample[] = rows.map((r) => ({
      userId: r.user_id,
      tMs: Number(r.t_ms),
      score: Number(r.score),
      label: Number(r.label) === 1 ? 1 : 0,
      weight: Number(r.weight),
    }));
    const pool = pooledLiveAuc(samples, opts);
    if (!pool) return null;
    let computedAtMs = -Infinity;
    let watermarkMs = -Infinity;
    for (const r of rows) {
      computedAtMs = Math.max(computedAtMs, Number(r.computed_at_ms));
      watermarkMs = Math.max(watermarkMs, Number(r.watermark_ms));
    }
    return { ...pool, model, version, computedAtMs, watermarkMs, windowMs: opts.windowMs };
  }
}

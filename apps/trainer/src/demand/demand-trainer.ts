// Use case: one demand training run. Reads the daily series (historyDays ending yesterday in the shop
// zone), backtests every method with trainDemandModel (the final global model warm-started from the
// champion's), registers the version and applies the forecast promotion gate: the candidate's
// champion method against the current champion's method re-scored on this same backtest, or, for a
// first model, against seasonal naive.
import { createHash } from 'node:crypto';
import type { DemandConfig } from '@storepulse/config';
import { dayInZone, dayToIso, type DemandSeriesSource } from '@storepulse/features';
import {
  DEMAND_METHODS,
  DEMAND_MODEL_NAME,
  GlobalQuantileModel,
  decideForecastPromotion,
  decodeDemandArtifact,
  trainDemandModel,
  type DemandBacktestRow,
  type DemandMethod,
  type GlobalModelOptions,
  type ModelRegistry,
  type Tf,
} from '@storepulse/ml';
import type { Logger } from '@storepulse/observability';
import { finiteJson } from '../propensity/train-propensity';
import type { RunProgress } from '../runs/run-tracker';

const DAY_MS = 86_400_000;

export interface DemandRunResult {
  model: string;
  version: number;
  /** The method the version forecasts with (best mean wQL on the backtest). */
  champion: DemandMethod;
  promoted: boolean;
  reason: string;
  warmStart: boolean;
  parentVersion: number | null;
  /** The champion version this run was gated against, and its method. */
  against: { version: number; method: DemandMethod } | null;
  skus: number;
  origins: number;
  step: number;
  /** Mean wQL per method on the backtest. */
  meanWql: Partial<Record<DemandMethod, number>>;
  /** The window read: [fromDay, toDay) in the shop zone, YYYY-MM-DD. */
  window: { from: string; to: string; timeZone: string };
  trainMs: number;
}

export interface DemandTrainerOptions {
  /** Global model options (default: epochs = config.globalMaxEpochs, the model's defaults otherwise). */
  global?: Omit<GlobalModelOptions, 'horizon' | 'warmStart' | 'onEpoch'>;
  /** Clock (epoch ms); default Date.now. */
  now?: () => number;
}

function isMethod(v: unknown): v is DemandMethod {
  return typeof v === 'string' && (DEMAND_METHODS as readonly string[]).includes(v);
}

export class DemandTrainer {
  private readonly now: () => number;
  constructor(
    private readonly tf: Tf,
    private readonly registry: ModelRegistry,
    private readonly source: DemandSeriesSource,
    private readonly cfg: DemandConfig,
    private readonly log: Logger,
    private readonly opts: DemandTrainerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  async run(progress: (p: RunProgress) => void): Promise<DemandRunResult> {
    const t0 = this.now();
    const name = DEMAND_MODEL_NAME;
    const tz = this.cfg.timeZone;
    const toDay = dayInZone(this.now(), tz);
    const fromDay = toDay - this.cfg.historyDays;
    progress({ phase: 'series', fraction: 0.01 });
    const { series } = await this.source.read({ toDay, days: this.cfg.historyDays, timeZone: tz });
    this.log.info(
      { model: name, skus: series.length, from: dayToIso(fromDay), to: dayToIso(toDay), tz },
      'demand series read',
    );

    const champion = await this.registry.champion(name);
    let warm: GlobalQuantileModel | null = null;
    let championMethod: DemandMethod | null = null;
    if (champion) {
      const { header, global } = decodeDemandArtifact(
        await this.registry.artifact(name, champion.version),
      );
      const m = (champion.metrics as { champion?: unknown }).champion;
      championMethod = isMethod(m) ? m : header.champion;
      warm = await GlobalQuantileModel.load(this.tf, global);
    }
    try {
      let lastPhase = '';
      const trained = await trainDemandModel(
        this.tf,
        series,
        {
          horizon: this.cfg.horizonDays,
          origins: this.cfg.backtestOrigins,
          timeZone: tz,
          global: this.opts.global ?? { epochs: this.cfg.globalMaxEpochs },
          warmStart: warm,
        },
        (p) => {
          if (p.phase !== lastPhase) {
            lastPhase = p.phase;
            this.log.info({ model: name, phase: p.phase, fraction: p.fraction }, 'demand training');
          }
          progress({ phase: p.phase, fraction: 0.02 + 0.93 * p.fraction, detail: p.detail });
        },
      );
      const m = trained.metrics;
      progress({ phase: 'registry', fraction: 0.96 });
      const warmStart = trained.warmStarted;
      const parentVersion = warmStart && champion ? champion.version : null;
      const registered = await this.registry.register(
        {
          name,
          kind: 'demand',
          horizon: `${this.cfg.horizonDays}d`,
          parentVersion,
          trainingFrom: fromDay * DAY_MS,
          trainingTo: toDay * DAY_MS,
          featureNames: trained.featureNames,
          catalogHash: createHash('sha256')
            .update(JSON.stringify(trained.featureNames))
            .digest('hex')
            .slice(0, 16),
          metrics: finiteJson(m),
        },
        trained.artifact,
      );
      const gm = (r: DemandBacktestRow | undefined) => (r ? { meanWql: r.meanWql } : null);
      const decision = decideForecastPromotion(
        {
          candidate: { meanWql: m.backtest[m.champion]?.meanWql ?? NaN },
          champion: championMethod ? gm(m.backtest[championMethod]) : null,
          baseline: gm(m.backtest.seasonal_naive),
        },
        this.cfg.gate,
      );
      const reason =
        champion && championMethod
          ? `${m.champion} against champion v${champion.version} (${championMethod}, re-scored on this backtest): ${decision.reason}`
          : `${m.champion}: ${decision.reason}`;
      if (decision.promote) await this.registry.promote(name, registered.version, reason, 'gate');
      else await this.registry.reject(name, registered.version, reason, 'gate');
      const meanWql: Partial<Record<DemandMethod, number>> = {};
      for (const k of DEMAND_METHODS) {
        const row = m.backtest[k];
        if (row) meanWql[k] = row.meanWql;
      }
      this.log.info(
        {
          model: name,
          version: registered.version,
          champion: m.champion,
          promoted: decision.promote,
          reason,
          meanWql,
          warmStart,
        },
        decision.promote
          ? 'demand model promoted to champion'
          : 'demand model rejected by the gate',
      );
      return {
        model: name,
        version: registered.version,
        champion: m.champion,
        promoted: decision.promote,
        reason,
        warmStart,
        parentVersion,
        against:
          champion && championMethod ? { version: champion.version, method: championMethod } : null,
        skus: m.skus,
        origins: m.origins,
        step: m.step,
        meanWql,
        window: { from: dayToIso(fromDay), to: dayToIso(toDay), timeZone: tz },
        trainMs: this.now() - t0,
      };
    } finally {
      warm?.dispose();
    }
  }
}

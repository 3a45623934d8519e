// Use case: one training run of a propensity model (one horizon). Builds the time-split sets, leaves
// out the features not stationary over the window (validation PSI against training), trains
// the TF.js MLP (warm-started from the champion when its features match, else from scratch), fits the
// two baselines on the same sets, evaluates all of them (and the champion) on the same held-out
// cut-off, registers the candidate and applies the promotion gate.
import { createHash } from 'node:crypto';
import { featuresOf } from '@storepulse/features';
import {
  LogisticRegression,
  RecencyFrequencyHeuristic,
  applyStandardizer,
  bestF1Threshold,
  binaryMetrics,
  decidePromotion,
  fitStandardizer,
  profileFeatures,
  selectFeatures,
  stableFeatures,
  FEATURE_PROFILE_METADATA_KEY,
  loadPropensityModel,
  predictPropensity,
  savePropensityModel,
  trainPropensityMlp,
  type BinaryMetrics,
  type ModelRegistry,
  type ModelVersion,
  type Tf,
} from '@storepulse/ml';
import type { Logger } from '@storepulse/observability';
import type { RunProgress } from '../runs/run-tracker';
import { DAY_MS, HOUR_MS } from './cutoffs';
import type { FeatureRowCache, LabelledSet, TrainingSetBuilder } from './training-set';

export interface PropensityTrainingConfig {
  windowDays: number;
  cutoffEveryHours: number;
  /** Cut-off spacing while the model has no champion (its first run). */
  firstRunCutoffEveryHours: number;
  usersPerCutoff: number;
  negativeKeepRate: number;
  /** Features whose PSI, validation against training, exceeds this are left out (Infinity: none). */
  maxFeaturePsi: number;
  /** How training is kept apart from validation (CutoffPlanInput.purge); default `time`. */
  splitPurge?: 'time' | 'users';
  maxEpochs: number;
  warmMaxEpochs: number;
  /** Networks per from-scratch run, merged into one (MlpOptions.ensemble); default 1. */
  ensemble?: number;
  hidden: number[];
  gate: { maxAucDrop: number; maxLogLossIncrease: number };
}

export type ModelMetrics = Pick<
  BinaryMetrics,
  | 'n'
  | 'positives'
  | 'rocAuc'
  | 'prAuc'
  | 'logLoss'
  | 'brier'
  | 'ece'
  | 'precision'
  | 'recall'
  | 'f1'
  | 'topDecileLift'
  | 'threshold'
  | 'reliability'
>;

export interface PropensityRunResult {
  model: string;
  version: number;
  horizon: string;
  promoted: boolean;
  reason: string;
  warmStart: boolean;
  parentVersion: number | null;
  rows: { train: number; validation: number; test: number };
  positives: { train: number; validation: number; test: number };
  cutoffs: { train: number; validation: string[]; test: string[] };
  /** Features the model reads (the catalog's minus `droppedFeatures`). */
  features: number;
  /** Left out: PSI of the validation cut-off against the training cut-offs above maxFeaturePsi. */
  droppedFeatures: { feature: string; psi: number }[];
  /** Latest event time stored when the training set was built (the scheduler's "new data" check). */
  watermarkMs: number;
  /** Epochs run (an ensemble's: summed over its networks). */
  epochs: number;
  /** The networks trained and merged (seed, epochs, best epoch); one unless TRAINER_ENSEMBLE > 1. */
  networks: { seed: number; epochs: number; bestEpoch: number }[];
  trainMs: number;
  samplesPerSec: number;
  /** Per model, on the test cut-off (the latest, held out). */
  test: Record<'mlp' | 'logistic' | 'heuristic', ModelMetrics> & { champion?: ModelMetrics };
  validation: Record<'mlp' | 'logistic' | 'heuristic', ModelMetrics>;
}

export const propensityModelName = (horizon: string) => `propensity_${horizon}`;

/** The user features a propensity model reads: the catalog's user features, in catalog order. */
export function propensityFeatures(): { names: string[]; catalogHash: string } {
  const defs = featuresOf('user');
  const catalogHash = createHash('sha256').update(JSON.stringify(defs)).digest('hex').slice(0, 16);
  return { names: defs.map((f) => f.name), catalogHash };
}

const HEURISTIC_COLUMNS = {
  recency: 'user_seconds_since_last_order',
  frequency: 'user_orders_28d',
  fallbackRecency: 'user_seconds_since_last_event',
};

function summary(m: BinaryMetrics): ModelMetrics {
  return {
    n: m.n,
    positives: m.positives,
    rocAuc: m.rocAuc,
    prAuc: m.prAuc,
    logLoss: m.logLoss,
    brier: m.brier,
    ece: m.ece,
    precision: m.precision,
    recall: m.recall,
    f1: m.f1,
    topDecileLift: m.topDecileLift,
    threshold: m.threshold,
    reliability: m.reliability,
  };
}

/** Columns of `set` reordered (by name) to `names`; a feature the set lacks is missing (NaN). */
export function selectColumns(set: LabelledSet, names: readonly string[]): Float32Array {
  const at = new Map(set.featureNames.map((n, i) => [n, i]));
  const idx = names.map((n) => at.get(n) ?? -1);
  const out = new Float32Array(set.n * names.length);
  for (let r = 0; r < set.n; r++)
    for (let j = 0; j < idx.length; j++) {
      const k = idx[j];
      out[r * idx.length + j] = k < 0 ? NaN : set.x[r * set.d + k];
    }
  return out;
}

/** JSON with non-finite numbers (an undefined metric, e.g. precision with no predicted positive) as null. */
export function finiteJson(v: unknown): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(v, (_k, x: unknown) =>
      typeof x === 'number' && !Number.isFinite(x) ? null : x,
    ),
  ) as Record<string, unknown>;
}

const sumOf = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

export class PropensityTrainer {
  constructor(
    private readonly tf: Tf,
    private readonly registry: ModelRegistry,
    private readonly sets: TrainingSetBuilder,
    private readonly cfg: PropensityTrainingConfig,
    private readonly log: Logger,
  ) {}

  async run(
    horizon: { name: string; ms: number },
    progress: (p: RunProgress) => void,
    /** triggerReason: why the run started (e.g. 'drift: feature X psi Y'), prefixed to the registry event reason. */
    /** featureCache: feature rows shared with the other horizons' runs of the same tick. */
    opts: { forceScratch?: boolean; triggerReason?: string; featureCache?: FeatureRowCache } = {},
  ): Promise<PropensityRunResult> {
    const name = propensityModelName(horizon.name);
    const { names, catalogHash } = propensityFeatures();
    progress({ phase: 'training set', fraction: 0.02 });
    // A first run (no champion) trains on a coarser cut-off grid: fewer point-in-time reads.
    const champion = await this.registry.champion(name);
    const everyHours = champion ? this.cfg.cutoffEveryHours : this.cfg.firstRunCutoffEveryHours;
    const sets = await this.sets.build({
      horizonMs: horizon.ms,
      everyMs: everyHours * HOUR_MS,
      windowMs: this.cfg.windowDays * DAY_MS,
      usersPerCutoff: this.cfg.usersPerCutoff,
      negativeKeepRate: this.cfg.negativeKeepRate,
      ...(this.cfg.splitPurge ? { purge: this.cfg.splitPurge } : {}),
      featureNames: names,
      ...(opts.featureCache ? { featureCache: opts.featureCache } : {}),
      onProgress: (p) =>
        progress({
          phase: 'training set',
          fraction: 0.02 + 0.38 * (p.done / p.total),
          detail: { cutoff: new Date(p.cutoff).toISOString(), done: p.done, total: p.total },
        }),
    });
    const full = { train: sets.train, validation: sets.validation, test: sets.test };
    if (sumOf(full.train.y) === 0 || sumOf(full.validation.y) === 0 || sumOf(full.test.y) === 0)
      throw new Error(
        `${name}: a split has no positive example (train ${sumOf(full.train.y)}, validation ${sumOf(full.validation.y)}, test ${sumOf(full.test.y)}): not enough orders in the history to train or evaluate`,
      );
    // Features not stationary over the window (validation PSI against training) are left out: the
    // model would extrapolate them (feature-selection.ts). The heuristic and the champion read the
    // full rows by name. A run that can warm-start keeps the champion's features instead (a kept
    // set that moved with each run's PSI would turn every incremental run into a from-scratch one);
    // selection happens on from-scratch runs (first run, catalog change, forced).
    const stable = Number.isFinite(this.cfg.maxFeaturePsi)
      ? stableFeatures(full.train, full.validation, this.cfg.maxFeaturePsi)
      : null;
    const keepChampion =
      champion !== null &&
      !opts.forceScratch &&
      champion.catalogHash === catalogHash &&
      champion.featureNames.every((f) => names.includes(f));
    const features = keepChampion ? [...champion.featureNames] : stable ? stable.kept : names;
    const psiOf = new Map((stable?.psi ?? []).map((p) => [p.feature, p.psi]));
    const droppedFeatures = names
      .filter((n) => !features.includes(n))
      .map((feature) => ({ feature, psi: psiOf.get(feature) ?? Number.NaN }))
      .sort((a, b) => b.psi - a.psi);
    const narrowed = features.length !== names.length || features.some((f, i) => f !== names[i]);
    const train = narrowed ? selectFeatures(full.train, features) : full.train;
    const validation = narrowed ? selectFeatures(full.validation, features) : full.validation;
    const test = narrowed ? selectFeatures(full.test, features) : full.test;
    this.log.info(
      {
        model: name,
        rows: { train: train.n, validation: validation.n, test: test.n },
        positives: { train: sumOf(train.y), validation: sumOf(validation.y), test: sumOf(test.y) },
        cutoffs: { train: sets.plan.train.length, everyHours },
        featureRows: opts.featureCache ? { ...opts.featureCache.served } : null,
        features: features.length,
        droppedFeatures: droppedFeatures.map((p) => `${p.feature} ${p.psi.toFixed(3)}`),
      },
      'propensity training set built',
    );

    // Champion: warm start when it reads the same features from the same catalog.
    let warm: Awaited<ReturnType<typeof loadPropensityModel>> | null = null;
    let championLoaded: Awaited<ReturnType<typeof loadPropensityModel>> | null = null;
    if (champion) {
      championLoaded = await loadPropensityModel(
        this.tf,
        await this.registry.artifact(name, champion.version),
      );
      const same =
        !opts.forceScratch &&
        champion.catalogHash === catalogHash &&
        champion.featureNames.join() === features.join();
      if (same) warm = championLoaded;
    }

    progress({ phase: 'training', fraction: 0.4 });
    const maxEpochs = warm ? this.cfg.warmMaxEpochs : this.cfg.maxEpochs;
    const trained = await trainPropensityMlp(this.tf, train, validation, {
      hidden: this.cfg.hidden,
      maxEpochs,
      classWeight: 'balanced',
      seed: 7,
      ...(this.cfg.ensemble ? { ensemble: this.cfg.ensemble } : {}),
      ...(warm ? { warmStart: { model: warm.model, normalisation: warm.normalisation } } : {}),
      onEpoch: (p) => {
        this.log.info({ model: name, ...p }, 'epoch');
        progress({
          phase: 'training',
          // an ensemble's members share the training phase's share of the progress
          fraction: 0.4 + (0.45 * ((p.member ?? 1) - 1 + p.epoch / p.maxEpochs)) / (p.members ?? 1),
          detail: {
            epoch: p.epoch,
            maxEpochs: p.maxEpochs,
            valLoss: p.valLoss,
            valAuc: p.valAuc,
            ...(p.member ? { member: p.member, members: p.members } : {}),
          },
        });
      },
    });

    progress({ phase: 'evaluation', fraction: 0.87 });
    const mlpVal = predictPropensity(this.tf, trained, validation.x, validation.n);
    const threshold = bestF1Threshold(validation.y, mlpVal, validation.weight).threshold;
    const mlpTest = predictPropensity(this.tf, trained, test.x, test.n);

    const stats = fitStandardizer(train);
    const std = (s: LabelledSet) => applyStandardizer(stats, s.x, s.n, s.d);
    const logistic = LogisticRegression.fit(std(train), train.n, train.d, train.y, train.weight);
    const lrVal = logistic.predict(std(validation), validation.n);
    const lrTest = logistic.predict(std(test), test.n);
    const heuristic = RecencyFrequencyHeuristic.fit(full.train, HEURISTIC_COLUMNS);
    const hVal = heuristic.predict(full.validation.x, validation.n, full.validation.featureNames);
    const hTest = heuristic.predict(full.test.x, test.n, full.test.featureNames);
    const thr = (y: Float32Array, p: Float32Array, w: Float32Array) =>
      bestF1Threshold(y, p, w).threshold;
    const metric = (s: LabelledSet, p: Float32Array, t: number) =>
      summary(binaryMetrics(s.y, p, { threshold: t }));
    const testMetrics: PropensityRunResult['test'] = {
      mlp: metric(test, mlpTest, threshold),
      logistic: metric(test, lrTest, thr(validation.y, lrVal, validation.weight)),
      heuristic: metric(test, hTest, thr(validation.y, hVal, validation.weight)),
    };
    if (championLoaded && champion) {
      const cx = selectColumns(full.test, championLoaded.normalisation.featureNames);
      const cp = predictPropensity(this.tf, championLoaded, cx, test.n);
      const ct = Number(
        (champion.metrics as { threshold?: unknown }).threshold ?? testMetrics.mlp.threshold,
      );
      testMetrics.champion = metric(test, cp, Number.isFinite(ct) ? ct : 0.5);
    }
    const valMetrics: PropensityRunResult['validation'] = {
      mlp: metric(validation, mlpVal, threshold),
      logistic: metric(validation, lrVal, thr(validation.y, lrVal, validation.weight)),
      heuristic: metric(validation, hVal, thr(validation.y, hVal, validation.weight)),
    };

    progress({ phase: 'registry', fraction: 0.95 });
    // Reference distribution of every input (PSI against live scoring), carried in the artifact.
    const profile = profileFeatures(train.x, train.n, train.featureNames, {
      weights: train.weight,
    });
    const artifact = await savePropensityModel(this.tf, trained, {
      name,
      horizon: horizon.name,
      threshold,
      [FEATURE_PROFILE_METADATA_KEY]: JSON.stringify(profile),
    });
    const warmStart = warm !== null;
    const parentVersion = warmStart && champion ? champion.version : null;
    const result: Omit<PropensityRunResult, 'version' | 'promoted' | 'reason'> = {
      model: name,
      horizon: horizon.name,
      warmStart,
      parentVersion,
      rows: { train: train.n, validation: validation.n, test: test.n },
      positives: { train: sumOf(train.y), validation: sumOf(validation.y), test: sumOf(test.y) },
      cutoffs: {
        train: sets.plan.train.length,
        validation: sets.plan.validation.map((t) => new Date(t).toISOString()),
        test: sets.plan.test.map((t) => new Date(t).toISOString()),
      },
      features: features.length,
      droppedFeatures,
      watermarkMs: sets.watermarkMs,
      epochs: trained.epochs,
      networks: trained.members,
      trainMs: trained.ms,
      samplesPerSec: trained.samplesPerSec,
      test: testMetrics,
      validation: valMetrics,
    };
    const registered: ModelVersion = await this.registry.register(
      {
        name,
        kind: 'propensity',
        horizon: horizon.name,
        parentVersion,
        trainingFrom: sets.fromMs,
        trainingTo: sets.toMs + horizon.ms,
        featureNames: features,
        catalogHash,
        metrics: finiteJson({ ...result, threshold }),
      },
      artifact,
    );
    const gm = (m: ModelMetrics | undefined) => (m ? { auc: m.rocAuc, logLoss: m.logLoss } : null);
    const decision = decidePromotion(
      {
        candidate: { auc: testMetrics.mlp.rocAuc, logLoss: testMetrics.mlp.logLoss },
        champion: gm(testMetrics.champion),
        baseline: gm(testMetrics.heuristic),
      },
      this.cfg.gate,
    );
    const eventReason = opts.triggerReason
      ? `${opts.triggerReason}; ${decision.reason}`
      : decision.reason;
    if (decision.promote)
      await this.registry.promote(name, registered.version, eventReason, 'gate');
    else await this.registry.reject(name, registered.version, eventReason, 'gate');
    this.log.info(
      {
        model: name,
        version: registered.version,
        promoted: decision.promote,
        reason: decision.reason,
        auc: {
          mlp: testMetrics.mlp.rocAuc,
          logistic: testMetrics.logistic.rocAuc,
          heuristic: testMetrics.heuristic.rocAuc,
          champion: testMetrics.champion?.rocAuc,
        },
      },
      decision.promote ? 'candidate promoted to champion' : 'candidate rejected by the gate',
    );
    trained.model.dispose();
    warm?.model.dispose();
    if (championLoaded && championLoaded !== warm) championLoaded.model.dispose();
    return {
      ...result,
      version: registered.version,
      promoted: decision.promote,
      reason: eventReason,
    };
  }
}

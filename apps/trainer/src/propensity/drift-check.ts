// Use case: drift as a retraining trigger. On each check, per propensity model: live feature vectors of
// recently active users (as of the data watermark) against the champion's training profile (stored in
// its artifact), PSI per feature; and the champion version's live AUC on matured labels, pooled over a
// window of the samples the scorer persists, against its validation AUC; driftTrigger on both. A firing trigger asks for a
// retraining run unless one is running or the model's drift cooldown has not passed (so a drift the
// retraining cannot remove, or a candidate the gate rejects, cannot loop).
import {
  LiveFeatureHistogram,
  driftTrigger,
  psi,
  type DriftDecision,
  type FeaturePsi,
  type FeatureProfile,
} from '@storepulse/ml';

/** What the champion was trained against: the drift check's references. */
export interface ChampionReference {
  version: number;
  /** Training feature profile (FEATURE_PROFILE_METADATA_KEY of its artifact); null when saved without one. */
  profile: FeatureProfile | null;
  /** The champion's validation ROC AUC from its registry metrics; null when not recorded. */
  validationAuc: number | null;
}

export interface ChampionProfileSource {
  /** null: the model has no champion. */
  championProfile(model: string): Promise<ChampionReference | null>;
}

/** The live AUC of one model version, pooled over a window of the samples the scorer persisted. */
export interface LiveAucReading {
  version: number;
  /** Weighted ROC AUC of the matured samples; null when they had a single class. */
  auc: number | null;
  /** Matured samples labelled (unweighted). */
  n: number;
  positives: number;
  negatives: number;
  /** The newest pooled resolution: when the scorer labelled it, and against which data watermark. */
  computedAtMs: number;
  watermarkMs: number;
  /** The pool: prediction times of its oldest and newest sample, and the configured window. */
  pool?: { fromMs: number; toMs: number; windowMs: number };
}

export interface LiveAucSource {
  /** The current pooled reading of this version, or null when the scorer has persisted none. */
  latest(model: string, version: number): Promise<LiveAucReading | null>;
}

/** Live feature rows of a sample of recently active users. */
export interface LiveFeatureSampler {
  /**
   * Row-major feature values (columns = `featureNames`, NaN = missing) of at most `maxUsers` users
   * with an event in the `windowMs` before the data watermark, as of that watermark; null when the
   * store has no data.
   */
  sample(
    featureNames: readonly string[],
    opts: { maxUsers: number; windowMs: number },
  ): Promise<{ x: Float32Array | Float64Array; n: number; atMs: number } | null>;
}

export interface DriftCheckOptions {
  /** A counted feature's PSI above this fires (TRAINER_DRIFT_PSI). */
  psiThreshold: number;
  /** Live rows a feature needs for its PSI to count (TRAINER_DRIFT_MIN_SAMPLES). */
  minSamples: number;
  maxUsers: number;
  activeWindowMs: number;
  /** No second drift run of a model within this time of the previous one (TRAINER_DRIFT_COOLDOWN_MS). */
  cooldownMs: number;
  /** Matured labels a live AUC needs to count (TRAINER_DRIFT_MIN_LIVE_LABELS). */
  minLiveLabels: number;
  /** The live-AUC rule fires when live AUC < validation AUC − aucDrop (TRAINER_DRIFT_AUC_DROP). */
  aucDrop: number;
}

/**
 * Positives and as many negatives a live AUC needs to count (driftTrigger's minAucPositives): with a
 * handful of one class the AUC is noise.
 */
export const MIN_LIVE_AUC_CLASS = 20;

export type DriftAction =
  /** The trigger fired: start a retraining run with `reason`. */
  | 'retrain'
  | 'stable'
  /** Fired, but a drift run of this model started less than cooldownMs ago. */
  | 'cooldown'
  /** Fired, but a run of this model is in progress. */
  | 'running'
  | 'no-champion'
  /** Neither live feature rows nor a live AUC of the champion version. */
  | 'no-data';

/**
 * What the live-AUC rule made of the reading: `counted` (compared with the validation AUC), or why
 * not: fewer than minLiveLabels labels or MIN_LIVE_AUC_CLASS of a class, a single-class batch (no
 * AUC), or no validation AUC in the champion's metrics.
 */
export type LiveAucUse = 'counted' | 'too-few-labels' | 'single-class' | 'no-validation-auc';

export interface LiveAucSeen extends LiveAucReading {
  validationAuc: number | null;
  use: LiveAucUse;
}

export interface DriftCheckResult {
  model: string;
  action: DriftAction;
  version: number | null;
  /** Users sampled. */
  rows: number;
  atMs: number | null;
  /** PSI per feature, worst first (empty without champion or data). */
  psi: FeaturePsi[];
  /** The champion version's latest persisted live AUC, null when there is none. */
  liveAuc: LiveAucSeen | null;
  decision: DriftDecision | null;
  /**
   * 'drift: feature X psi Y' (the worst firing feature; more are listed after it) and/or
   * 'live auc A < validation V - D', when it fired.
   */
  reason: string | null;
}

/**
 * 'drift: feature user_orders_28d psi 0.412' (+ ', …' for the other firing features), or
 * 'drift: live auc 0.610 < validation 0.740 - 0.05' (after the PSI ones when both fire).
 */
export function driftReason(decision: DriftDecision): string | null {
  const parts = decision.reasons.map((r) =>
    r.kind === 'feature-psi'
      ? `feature ${r.feature} psi ${r.psi.toFixed(3)}`
      : `live auc ${r.liveAuc.toFixed(3)} < validation ${r.validationAuc.toFixed(3)} - ${r.maxDrop}`,
  );
  if (parts.length === 0) return null;
  return `drift: ${parts.slice(0, 3).join(', ')}${parts.length > 3 ? ` (+${parts.length - 3} more)` : ''}`;
}

export class DriftCheck {
  private readonly lastDriftRunAt = new Map<string, number>();

  constructor(
    private readonly profiles: ChampionProfileSource,
    private readonly sampler: LiveFeatureSampler,
    private readonly liveAuc: LiveAucSource,
    private readonly opts: DriftCheckOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records that a drift run of `model` started (the cooldown counts from here). */
  triggered(model: string, atMs = this.now()): void {
    this.lastDriftRunAt.set(model, atMs);
  }

  /** Cooldown left for `model` (0 when a drift run may start). */
  cooldownLeftMs(model: string): number {
    const last = this.lastDriftRunAt.get(model);
    if (last === undefined) return 0;
    return Math.max(0, last + this.opts.cooldownMs - this.now());
  }

  async check(model: string, running: boolean): Promise<DriftCheckResult> {
    const base = {
      model,
      rows: 0,
      atMs: null,
      psi: [],
      liveAuc: null,
      decision: null,
      reason: null,
    };
    const champion = await this.profiles.championProfile(model);
    if (!champion) return { ...base, action: 'no-champion', version: null };
    const { version, profile, validationAuc } = champion;
    let perFeature: FeaturePsi[] = [];
    let rows = 0;
    let atMs: number | null = null;
    if (profile) {
      const names = profile.features.map((f) => f.name);
      const sample = await this.sampler.sample(names, {
        maxUsers: this.opts.maxUsers,
        windowMs: this.opts.activeWindowMs,
      });
      atMs = sample?.atMs ?? null;
      if (sample && sample.n > 0) {
        const live = new LiveFeatureHistogram(profile);
        live.add(sample.x, sample.n, names);
        perFeature = psi(profile, live);
        rows = sample.n;
      }
    }
    const reading = await this.liveAuc.latest(model, version);
    const liveAuc: LiveAucSeen | null = reading
      ? { ...reading, validationAuc, use: this.liveAucUse(reading, validationAuc) }
      : null;
    if (rows === 0 && !liveAuc)
      return { ...base, action: 'no-data', version, atMs, psi: perFeature };
    const decision = driftTrigger(
      {
        psi: perFeature,
        ...(liveAuc?.use === 'counted' && liveAuc.auc !== null && validationAuc !== null
          ? {
              live: { auc: liveAuc.auc, n: liveAuc.n, positives: liveAuc.positives },
              validationAuc,
            }
          : {}),
      },
      {
        psiThreshold: this.opts.psiThreshold,
        minLiveRows: this.opts.minSamples,
        aucDrop: this.opts.aucDrop,
        minAucSamples: this.opts.minLiveLabels,
        minAucPositives: MIN_LIVE_AUC_CLASS,
      },
    );
    const reason = driftReason(decision);
    const action: DriftAction = !decision.retrain
      ? 'stable'
      : running
        ? 'running'
        : this.cooldownLeftMs(model) > 0
          ? 'cooldown'
          : 'retrain';
    return { model, action, version, rows, atMs, psi: perFeature, liveAuc, decision, reason };
  }

  private liveAucUse(r: LiveAucReading, validationAuc: number | null): LiveAucUse {
    if (validationAuc === null) return 'no-validation-auc';
    if (r.auc === null) return 'single-class';
    if (
      r.n < this.opts.minLiveLabels ||
      r.positives < MIN_LIVE_AUC_CLASS ||
      r.negatives < MIN_LIVE_AUC_CLASS
    )
      return 'too-few-labels';
    return 'counted';
  }
}

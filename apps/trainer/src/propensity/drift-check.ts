// Use case: drift as a retraining trigger. On each check, per propensity model: live feature vectors of
// recently active users (as of the data watermark) against the champion's training profile (stored in
// its artifact), PSI per feature, driftTrigger; a firing trigger asks for a retraining run unless one
// is running or the model's drift cooldown has not passed (so a drift the retraining cannot remove,
// or a candidate the gate rejects, cannot loop).
import {
  LiveFeatureHistogram,
  driftTrigger,
  psi,
  type DriftDecision,
  type FeaturePsi,
  type FeatureProfile,
} from '@storepulse/ml';

/** The champion's training feature profile (FEATURE_PROFILE_METADATA_KEY of its artifact). */
export interface ChampionProfileSource {
  /** null: no champion, or a champion saved without a profile. */
  championProfile(model: string): Promise<{ version: number; profile: FeatureProfile } | null>;
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
}

export type DriftAction =
  /** The trigger fired: start a retraining run with `reason`. */
  | 'retrain'
  | 'stable'
  /** Fired, but a drift run of this model started less than cooldownMs ago. */
  | 'cooldown'
  /** Fired, but a run of this model is in progress. */
  | 'running'
  | 'no-champion'
  | 'no-data';

export interface DriftCheckResult {
  model: string;
  action: DriftAction;
  version: number | null;
  /** Users sampled. */
  rows: number;
  atMs: number | null;
  /** PSI per feature, worst first (empty without champion or data). */
  psi: FeaturePsi[];
  decision: DriftDecision | null;
  /** 'drift: feature X psi Y' (the worst firing feature; more are listed after it), when it fired. */
  reason: string | null;
}

/** 'drift: feature user_orders_28d psi 0.412' (+ ', …' for the other firing features). */
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
    const base = { model, rows: 0, atMs: null, psi: [], decision: null, reason: null };
    const champion = await this.profiles.championProfile(model);
    if (!champion) return { ...base, action: 'no-champion', version: null };
    const names = champion.profile.features.map((f) => f.name);
    const sample = await this.sampler.sample(names, {
      maxUsers: this.opts.maxUsers,
      windowMs: this.opts.activeWindowMs,
    });
    if (!sample || sample.n === 0)
      return { ...base, action: 'no-data', version: champion.version, atMs: sample?.atMs ?? null };
    const live = new LiveFeatureHistogram(champion.profile);
    live.add(sample.x, sample.n, names);
    const perFeature = psi(champion.profile, live);
    const decision = driftTrigger(
      { psi: perFeature },
      { psiThreshold: this.opts.psiThreshold, minLiveRows: this.opts.minSamples },
    );
    const reason = driftReason(decision);
    const action: DriftAction = !decision.retrain
      ? 'stable'
      : running
        ? 'running'
        : this.cooldownLeftMs(model) > 0
          ? 'cooldown'
          : 'retrain';
    return {
      model,
      action,
      version: champion.version,
      rows: sample.n,
      atMs: sample.atMs,
      psi: perFeature,
      decision,
      reason,
    };
  }
}

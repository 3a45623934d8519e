// The champion of each propensity model, loaded in memory and hot-swapped: a poll of the registry's
// champion version every SCORER_MODEL_POLL_MS; a new version (promotion or rollback) is loaded and
// replaces the old one atomically, without a restart.
import {
  FEATURE_PROFILE_METADATA_KEY,
  LiveFeatureHistogram,
  MaturedLabelMonitor,
  parseFeatureProfile,
  type FeatureProfile,
  type MaturedAuc,
  loadPropensityModel,
  type ModelRegistry,
  type NormalisationStats,
  type LayersModel,
  type Tf,
} from '@storepulse/ml';
import type { Logger } from '@storepulse/observability';

export interface LoadedChampion {
  name: string;
  version: number;
  horizon: string;
  model: LayersModel;
  normalisation: NormalisationStats;
  calibration: { a: number; b: number } | null;
  transform: LoadedPropensity['transform'];
  loadedAt: number;
  /** Training distribution of the inputs (null for a model saved without one). */
  profile: FeatureProfile | null;
  /** Live distribution of the inputs scored by this version (PSI against `profile`). */
  drift: LiveFeatureHistogram | null;
  /** Sampled live scores, labelled once their horizon has passed: the live AUC. */
  labels: MaturedLabelMonitor;
  liveAuc: MaturedAuc | null;
}

type LoadedPropensity = Awaited<ReturnType<typeof loadPropensityModel>>;

/** Rows of the live window the drift histogram keeps. */
const DRIFT_WINDOW = 20_000;

export class ChampionCache {
  private readonly current = new Map<string, LoadedChampion>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  lastError: string | null = null;
  readonly switches: { name: string; from: number | null; to: number; at: string }[] = [];

  constructor(
    private readonly tf: Tf,
    private readonly registry: ModelRegistry,
    /** Model name per horizon name, e.g. 7d → propensity_7d. */
    readonly models: ReadonlyMap<string, string>,
    /** Horizon length (ms) per horizon name. */
    private readonly horizonsMs: ReadonlyMap<string, number>,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {}

  get(horizon: string): LoadedChampion | undefined {
    return this.current.get(horizon);
  }

  all(): LoadedChampion[] {
    return [...this.current.values()];
  }

  /** Loads the champions once; then polls in the background. */
  async start(): Promise<void> {
    await this.poll();
    this.loop();
  }

  private loop(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => this.loop());
    }, this.pollMs);
    this.timer.unref();
  }

  /** One poll of every model; never rejects (errors are kept in lastError and logged). */
  async poll(): Promise<void> {
    for (const [horizon, name] of this.models) {
      try {
        const version = await this.registry.championVersion(name);
        const have = this.current.get(horizon);
        if (version === null) {
          if (have) {
            this.current.delete(horizon);
            this.log.warn({ model: name }, 'model has no champion any more');
          }
          continue;
        }
        if (have?.version === version) continue;
        const loaded = await loadPropensityModel(
          this.tf,
          await this.registry.artifact(name, version),
        );
        const raw = loaded.metadata[FEATURE_PROFILE_METADATA_KEY];
        const profile =
          typeof raw === 'string' ? parseFeatureProfile(JSON.parse(raw) as unknown) : null;
        this.current.set(horizon, {
          name,
          version,
          horizon,
          model: loaded.model,
          normalisation: loaded.normalisation,
          calibration: loaded.calibration,
          transform: loaded.transform,
          loadedAt: Date.now(),
          profile,
          drift: profile ? new LiveFeatureHistogram(profile, { window: DRIFT_WINDOW }) : null,
          labels: new MaturedLabelMonitor(this.horizonsMs.get(horizon) ?? 0),
          liveAuc: null,
        });
        this.switches.push({
          name,
          from: have?.version ?? null,
          to: version,
          at: new Date().toISOString(),
        });
        this.log.info({ model: name, from: have?.version ?? null, to: version }, 'champion loaded');
        // the old model may still be used by a batch in flight: dispose it a little later
        if (have) setTimeout(() => have.model.dispose(), 30_000).unref();
        this.lastError = null;
      } catch (e) {
        this.lastError = e instanceof Error ? e.message : String(e);
        this.log.warn({ model: name, err: e }, 'champion poll failed');
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }
}

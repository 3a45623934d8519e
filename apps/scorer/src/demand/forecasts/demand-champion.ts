// The demand champion in memory, hot-swapped like the propensity ChampionCache (apps/scorer/src/
// champions.ts): the registry's champion version of DEMAND_MODEL_NAME is polled; a different version
// (a promotion or a rollback) is loaded through the trainer's LoadDemandForecaster and replaces the
// current one, and `onChange` is told, so the publisher forecasts with it at once.
import {
  DEMAND_MODEL_NAME,
  type DemandForecaster,
  type LoadDemandForecaster,
  type ModelRegistry,
} from '@storepulse/ml';
import type { Logger } from '@storepulse/observability';
import type { ChampionSource } from './ports';

export interface ChampionSwitch {
  from: number | null;
  to: number | null;
  at: string;
  /** Seen by the background poll, or by a run's own refresh (which then uses it already). */
  by: 'poll' | 'run';
}

const MAX_SWITCHES = 100;

export class DemandChampionWatcher implements ChampionSource {
  private current: DemandForecaster | null = null;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private refreshing: Promise<DemandForecaster | null> | undefined;
  private stopped = false;
  lastError: string | null = null;
  readonly switches: ChampionSwitch[] = [];

  constructor(
    private readonly registry: ModelRegistry,
    private readonly load: LoadDemandForecaster,
    private readonly pollMs: number,
    private readonly log: Logger,
    private readonly onChange: (s: ChampionSwitch) => void = () => undefined,
    readonly modelName: string = DEMAND_MODEL_NAME,
  ) {}

  get(): DemandForecaster | null {
    return this.current;
  }

  /** One poll now, then one every pollMs in the background. */
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

  /** A background poll: never rejects (the error is kept in lastError and logged). */
  async poll(): Promise<void> {
    try {
      await this.refresh('poll');
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      this.log.warn({ model: this.modelName, err: e }, 'demand champion poll failed');
    }
  }

  /** Reads the champion version; loads it when it changed. Throws on registry or load errors. */
  refresh(by: ChampionSwitch['by'] = 'run'): Promise<DemandForecaster | null> {
    // concurrent callers share one registry read and one load
    this.refreshing ??= this.doRefresh(by).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(by: ChampionSwitch['by']): Promise<DemandForecaster | null> {
    const version = await this.registry.championVersion(this.modelName);
    const have = this.current;
    if (version === (have?.version ?? null)) {
      this.lastError = null;
      return have;
    }
    let next: DemandForecaster | null = null;
    if (version !== null) {
      const meta = await this.registry.get(this.modelName, version);
      if (!meta) throw new Error(`${this.modelName} v${version}: champion row not found`);
      next = await this.load(meta, await this.registry.artifact(this.modelName, version));
      if (next.version !== version || next.name !== this.modelName)
        throw new Error(
          `${this.modelName} v${version}: the loader returned ${next.name} v${next.version}`,
        );
    }
    this.current = next;
    this.lastError = null;
    const s: ChampionSwitch = {
      from: have?.version ?? null,
      to: version,
      at: new Date().toISOString(),
      by,
    };
    this.switches.push(s);
    if (this.switches.length > MAX_SWITCHES) this.switches.shift();
    if (next)
      this.log.info({ model: this.modelName, ...s, method: next.method }, 'demand champion loaded');
    else
      this.log.warn(
        { model: this.modelName, from: s.from },
        'demand model has no champion any more',
      );
    this.onChange(s);
    return next;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }
}

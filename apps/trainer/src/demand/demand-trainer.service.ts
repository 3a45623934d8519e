// Schedules and starts demand training runs: every config.demand.trainIntervalMs (0 = on demand
// only), POST /api/models/demand/train, and — while there is no champion — a first run as soon as
// the store holds enough sales history (checked every 15 s, logging how many days are missing) and
// the propensity models' first runs are settled (they share the CPU; propensity comes first).
// Runs share the trainer's RunTracker, so GET /api/models/runs/:id follows them.
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import type { AppConfig } from '@storepulse/config';
import { dayInZone, type DemandSeriesSource } from '@storepulse/features';
import { INGEST_LAG_TOLERANCE, type IngestLag } from '../ingest-lag';
import { DEMAND_MODEL_NAME, getTf, minimumDemandHistory, type ModelRegistry } from '@storepulse/ml';
import type { Logger } from '@storepulse/observability';
import { RunTracker, type RunRecord } from '../runs/run-tracker';
import { DemandTrainer, type DemandRunResult, type DemandTrainerOptions } from './demand-trainer';

/** Without a champion, the history check (and a failed first run) is retried this often. */
export const DEMAND_FIRST_RUN_RETRY_MS = 15_000;
const TICK_MS = 60_000;

export class DemandTrainerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly config: AppConfig,
    private readonly source: DemandSeriesSource,
    private readonly registry: ModelRegistry,
    readonly runs: RunTracker,
    private readonly lag: IngestLag,
    logger: Logger,
    private readonly opts: DemandTrainerOptions & {
      now?: () => number;
      /**
       * A first demand run waits while this answers a reason (the propensity models' first runs,
       * TrainerService.firstRunsPending): the first propensity champions come first on a first run.
       */
      firstRunAfter?: () => Promise<string | null>;
    } = {},
  ) {
    this.log = logger.child({ component: 'demand-trainer' });
  }

  onApplicationBootstrap(): void {
    if (!this.config.demand.enabled) return;
    this.schedule(5_000);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inflight]);
  }

  /** Starts a demand run in the background; RunConflictError while one is in progress. */
  train(trigger: RunRecord['trigger']): {
    run: RunRecord<DemandRunResult>;
    done: Promise<RunRecord<DemandRunResult>>;
  } {
    const started = this.runs.start(
      { kind: 'demand', model: DEMAND_MODEL_NAME, trigger },
      async (progress) => {
        const { tf } = await getTf();
        const trainer = new DemandTrainer(
          tf,
          this.registry,
          this.source,
          this.config.demand,
          this.log,
          this.opts,
        );
        return trainer.run(progress);
      },
    );
    const tracked = started.done.then((r) => {
      if (r.status === 'failed')
        this.log.warn({ run: r.id, trigger, error: r.error }, 'demand training run failed');
      return r;
    });
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
    return { run: started.run, done: tracked };
  }

  /**
   * Days of sales history the store is short of for a first training (0 when enough): the days from
   * the first stored sale to yesterday (shop zone) against minimumDemandHistory.
   */
  async missingHistoryDays(): Promise<{ have: number; need: number; missing: number }> {
    const d = this.config.demand;
    const need = minimumDemandHistory(d.horizonDays, d.backtestOrigins);
    const bounds = await this.source.bounds(d.timeZone);
    const today = dayInZone((this.opts.now ?? Date.now)(), d.timeZone);
    const have = bounds ? Math.min(d.historyDays, Math.max(0, today - bounds.firstDay)) : 0;
    return { have, need, missing: Math.max(0, need - have) };
  }

  /** One scheduler tick; returns the delay until the next one. */
  async tick(): Promise<number> {
    if (this.runs.isRunning(DEMAND_MODEL_NAME)) return TICK_MS;
    const now = (this.opts.now ?? Date.now)();
    const champion = await this.registry.champion(DEMAND_MODEL_NAME);
    const last = this.runs.list().find((r) => r.model === DEMAND_MODEL_NAME);
    const lastAt = last ? Date.parse(last.startedAt) : 0;
    const interval = this.config.demand.trainIntervalMs;
    let trigger: RunRecord['trigger'];
    if (!champion && (!last || last.status === 'failed')) {
      if (now - lastAt < DEMAND_FIRST_RUN_RETRY_MS) return DEMAND_FIRST_RUN_RETRY_MS;
      const h = await this.missingHistoryDays();
      if (h.missing > 0) {
        this.log.info(
          { haveDays: h.have, needDays: h.need, missingDays: h.missing },
          `not enough sales history for a first demand model yet: ${h.missing} days missing`,
        );
        return DEMAND_FIRST_RUN_RETRY_MS;
      }
      const waitingFor = await this.opts.firstRunAfter?.();
      if (waitingFor) {
        this.log.info(
          { waitingFor },
          `first demand run waits for the first propensity runs: ${waitingFor}`,
        );
        return DEMAND_FIRST_RUN_RETRY_MS;
      }
      trigger = 'first-run';
    } else {
      const since = Math.max(lastAt, champion ? Date.parse(champion.createdAt) : 0);
      if (!(interval > 0 && now - since >= interval)) return TICK_MS;
      trigger = 'schedule';
    }
    // Scheduled runs train on complete data: wait while the aggregator is catching up.
    const lag = await this.lag();
    if (lag > INGEST_LAG_TOLERANCE) {
      this.log.info({ lag }, 'waiting for ingest to catch up before scheduled demand training');
      return DEMAND_FIRST_RUN_RETRY_MS;
    }
    const r = await this.train(trigger).done;
    return !champion && r.status === 'failed' ? DEMAND_FIRST_RUN_RETRY_MS : TICK_MS;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const t = this.tick().then(
        (next) => this.schedule(next),
        (e: unknown) => {
          this.log.error({ err: e }, 'demand trainer schedule tick failed');
          this.schedule(DEMAND_FIRST_RUN_RETRY_MS);
        },
      );
      this.inflight.add(t);
      void t.finally(() => this.inflight.delete(t));
    }, delayMs);
    this.timer.unref();
  }
}

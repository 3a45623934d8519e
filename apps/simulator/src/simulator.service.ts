import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { MESSAGE_SINK, type MessageSink } from './message-sink';
import type { ReplenishmentMessage } from '@storepulse/contracts';
import {
  Storefront,
  type InventoryKpis,
  type RecommendationOutcome,
  type SimulatedMessage,
  type StorefrontOptions,
} from './storefront';

export const SIMULATOR_TICK_MS = 200;
/** Upper bound on messages held for retry while the sink fails (~ a few seconds of production). */
const MIN_BUFFER = 10_000;
const BUFFER_SECONDS = 10;
/** Pre-roll simulated before the first tick, so sessions are already in flight. */
const WARMUP_MS = 20 * 60_000;

export interface SimulatorStats {
  running: boolean;
  eventsPerSec: number;
  produced: {
    total: number;
    valid: number;
    invalid: number;
    byTopic: Record<string, number>;
    invalidByKind: Record<string, number>;
  };
  sendFailures: number;
  /** Messages generated and waiting for a successful send. */
  buffered: number;
  /** Simulated events skipped (never produced) while the retry buffer was full. */
  shed: number;
}

/** The simulated inventory system's state: GET /api/simulator/inventory. */
export interface InventoryView {
  /** true: purchase orders follow inventory.replenishment.v1 (SIMULATOR_FOLLOW_REPLENISHMENT). */
  followsRecommendations: boolean;
  /** SKUs whose fixed reorder-point policy is still on (no recommendation accepted yet). */
  skusOnFixedPolicy: number;
  skus: number;
  /** Recommendations received, by outcome. */
  recommendations: Record<RecommendationOutcome | 'not_started', number>;
  /** The live inventory's KPIs (= `following` when following, `fixedPolicy` when not); null until the live storefront starts. */
  kpis: InventoryKpis | null;
  /** Start of the KPI span (the live storefront's start), or null before it. */
  since: string | null;
  /**
   * With StorePulse: the live inventory following the recommendations (SKUs without an accepted
   * recommendation yet on the fixed policy). null when following is off, or before the start.
   */
  following: InventoryKpis | null;
  /**
   * Without StorePulse: the fixed reorder-point policy on the same demand. When following, the
   * counterfactual shadow inventory (`fixedPolicySource: 'shadow'`, LOOP.md); when not, the live
   * inventory itself (`'live'`), which is then the fixed policy. null before the start.
   */
  fixedPolicy: InventoryKpis | null;
  fixedPolicySource: 'shadow' | 'live' | null;
}

export interface HistoryProgress {
  sent: number;
  simulatedTo: string;
  fraction: number;
  /** orders_only: the SIMULATOR_ORDER_HISTORY_DAYS span; full: the clickstream history. */
  phase: 'orders_only' | 'full';
}

/**
 * Produces the simulated storefront into the {@link MessageSink} at `simulator.eventsPerSec`
 * (0 = off). A setTimeout chain ticks every 200 ms and awaits each send before scheduling the next
 * tick (backpressure). A failed batch stays queued and is retried first on the next tick; while the
 * queue is full, generation pauses and the simulated clock skips ahead instead of piling up.
 */
@Injectable()
export class SimulatorService implements OnModuleDestroy {
  private readonly logger = new Logger(SimulatorService.name);
  private readonly rate: number;
  private readonly maxBuffer: number;
  private storefront: Storefront | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private running = false;
  private lastTickMs = 0;
  private credit = 0;
  private firstTick = false;
  private readonly queue: SimulatedMessage[][] = [];
  private queued = 0;
  private sendFailures = 0;
  private shed = 0;
  private readonly recommendations: InventoryView['recommendations'] = {
    placed: 0,
    no_order: 0,
    stale: 0,
    duplicate: 0,
    unknown_sku: 0,
    not_following: 0,
    not_started: 0,
  };
  private readonly produced = {
    total: 0,
    valid: 0,
    invalid: 0,
    byTopic: {} as Record<string, number>,
    invalidByKind: {} as Record<string, number>,
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MESSAGE_SINK) private readonly sink: MessageSink,
  ) {
    this.rate = config.simulator.eventsPerSec;
    this.maxBuffer = Math.max(MIN_BUFFER, Math.ceil(this.rate * BUFFER_SECONDS));
  }

  /** Starts producing (no-op when eventsPerSec is 0 or already running). */
  start(): void {
    if (this.running || this.rate <= 0) return;
    const now = Date.now();
    if (!this.storefront) {
      const s = this.config.simulator;
      this.storefront = new Storefront({
        seed: s.seed,
        users: s.users,
        skus: s.skus,
        invalidRate: s.invalidRate,
        startMs: now,
        eventsPerSec: this.rate,
        // A live producer honours the configured rate; the daily curve is for history/backfills.
        seasonality: false,
        warmupMs: Math.min(WARMUP_MS, (1_200_000 / this.rate) * 1000),
        followRecommendations: s.followReplenishment,
      });
      // Run the warm-up now rather than inside the first tick; the first tick then catches up
      // with the wall clock from `now` (its credit is not capped).
      this.storefront.skipTo(now - 1);
      this.firstTick = true;
    }
    this.running = true;
    this.lastTickMs = now;
    this.credit = 0;
    this.logger.log(`producing ~${this.rate} events/s`);
    this.scheduleTick();
  }

  /**
   * Writes `days` of history ending now, at full speed (the first run of an empty store): a storefront
   * of the same seed, users and SKUs with the daily/weekly curve, sent in batches through the sink,
   * with progress every few seconds. Before it, `orderDays` (default SIMULATOR_ORDER_HISTORY_DAYS) of
   * order-only history from the same process and storefront: orders, cancellations and stock
   * positions, no clickstream, ending where the full history starts. Returns the messages sent.
   */
  async writeHistory(
    days: number,
    eventsPerDay: number,
    progress: (p: HistoryProgress) => void,
    /** Checked between batches: true stops the history early (shutdown). */
    cancelled: () => boolean = () => false,
    orderDays: number = this.config.simulator.orderHistoryDays,
  ): Promise<number> {
    const end = Date.now();
    const fullFrom = end - Math.round(days * 86_400_000);
    const start = fullFrom - Math.round(Math.max(0, orderDays) * 86_400_000);
    const sf = this.historyStorefront(start, fullFrom, eventsPerDay);
    sf.skipTo(start - 1);
    let sent = 0;
    let lastLog = 0;
    for (const batch of sf.history(end, eventsPerDay, 20_000)) {
      if (cancelled()) return sent;
      for (let attempt = 1; ; attempt++) {
        try {
          await this.sink.send(batch);
          break;
        } catch (e) {
          this.sendFailures++;
          if (attempt >= 10) throw e;
          await new Promise((r) => setTimeout(r, 500 * attempt));
        }
      }
      this.count(batch);
      sent += batch.length;
      if (Date.now() - lastLog > 3_000) {
        lastLog = Date.now();
        progress({
          sent,
          simulatedTo: new Date(sf.now).toISOString(),
          fraction: (sf.now - start) / (end - start),
          phase: sf.now < fullFrom ? 'orders_only' : 'full',
        });
      }
    }
    progress({ sent, simulatedTo: new Date(end).toISOString(), fraction: 1, phase: 'full' });
    return sent;
  }

  /**
   * The storefront of the first-run history from `startMs` (clickstream from `clickstreamFromMs`).
   * Build a {@link PropensityOracle} from these same options: it counts orders from `startMs`, and the
   * users' latent state does not depend on whether the clickstream is emitted (LOOP.md).
   */
  historyStorefrontOptions(
    startMs: number,
    clickstreamFromMs: number,
    eventsPerDay: number,
  ): StorefrontOptions {
    const s = this.config.simulator;
    return {
      seed: s.seed,
      users: s.users,
      skus: s.skus,
      invalidRate: s.invalidRate,
      startMs,
      eventsPerSec: eventsPerDay / 86_400,
      seasonality: true,
      warmupMs: WARMUP_MS,
      clickstreamFromMs,
    };
  }

  private historyStorefront(
    startMs: number,
    clickFromMs: number,
    eventsPerDay: number,
  ): Storefront {
    return new Storefront(this.historyStorefrontOptions(startMs, clickFromMs, eventsPerDay));
  }

  /**
   * A recommendation from inventory.replenishment.v1 for the live storefront (see
   * Storefront.applyRecommendation); `not_started` before the live storefront exists (it would be
   * stale: it describes the history's stock).
   */
  applyRecommendation(rec: ReplenishmentMessage): RecommendationOutcome | 'not_started' {
    const outcome = this.storefront ? this.storefront.applyRecommendation(rec) : 'not_started';
    this.recommendations[outcome]++;
    return outcome;
  }

  inventory(): InventoryView {
    const sf = this.storefront;
    let fixed = 0;
    if (sf) for (let i = 0; i < sf.catalogue.length; i++) if (sf.onFixedPolicy(i)) fixed++;
    const live = sf ? sf.kpis() : null;
    const shadow = sf ? sf.fixedPolicyKpis() : null;
    const follows = this.config.simulator.followReplenishment;
    return {
      followsRecommendations: follows,
      skusOnFixedPolicy: sf ? fixed : this.config.simulator.skus,
      skus: this.config.simulator.skus,
      recommendations: { ...this.recommendations },
      kpis: live,
      since: live ? live.from : null,
      following: follows ? live : null,
      fixedPolicy: follows ? shadow : live,
      fixedPolicySource: live === null ? null : follows ? (shadow ? 'shadow' : null) : 'live',
    };
  }

  /** Stops ticking and waits for the in-flight send (buffered messages are kept for a restart). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inflight;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  stats(): SimulatorStats {
    return {
      running: this.running,
      eventsPerSec: this.rate,
      produced: {
        ...this.produced,
        byTopic: { ...this.produced.byTopic },
        invalidByKind: { ...this.produced.invalidByKind },
      },
      sendFailures: this.sendFailures,
      buffered: this.queued,
      shed: this.shed,
    };
  }

  private scheduleTick(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inflight = this.tick();
    }, SIMULATOR_TICK_MS);
  }

  /** Never rejects. */
  private async tick(): Promise<void> {
    try {
      this.generate();
      await this.flush();
    } catch (e) {
      this.logger.error(`simulator tick failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      if (this.running) this.scheduleTick();
    }
  }

  private generate(): void {
    const sf = this.storefront;
    if (!sf) return;
    const now = Date.now();
    const elapsed = Math.max(0, now - this.lastTickMs) / 1000;
    this.lastTickMs = now;
    // Credit carries fractions and short-falls (Poisson lulls) forward, capped at two seconds.
    this.credit += this.rate * elapsed;
    if (!this.firstTick) this.credit = Math.min(this.credit, 2 * this.rate + 1);
    this.firstTick = false;
    const room = this.maxBuffer - this.queued;
    if (room <= 0) {
      this.shed += sf.skipTo(now);
      this.credit = 0;
      return;
    }
    const want = Math.min(Math.floor(this.credit), room);
    if (want <= 0) return;
    const batch = sf.next(want, now);
    this.credit -= batch.length;
    if (batch.length > 0) {
      this.queue.push(batch);
      this.queued += batch.length;
    }
  }

  /** Sends queued batches oldest first; stops at the first failure (kept for the next tick). */
  private async flush(): Promise<void> {
    for (;;) {
      const batch = this.queue[0];
      if (!batch) return;
      try {
        await this.sink.send(batch);
      } catch (e) {
        this.sendFailures++;
        this.logger.warn(
          `send of ${batch.length} messages failed, retrying next tick (${this.queued} buffered): ${
            e instanceof Error ? e.message : String(e)
          }`,
        );
        return;
      }
      this.queue.shift();
      this.queued -= batch.length;
      this.count(batch);
    }
  }

  private count(batch: readonly SimulatedMessage[]): void {
    const p = this.produced;
    for (const m of batch) {
      p.total++;
      p.byTopic[m.topic] = (p.byTopic[m.topic] ?? 0) + 1;
      if (m.valid) p.valid++;
      else {
        p.invalid++;
        const k = m.invalidKind ?? 'unknown';
        p.invalidByKind[k] = (p.invalidByKind[k] ?? 0) + 1;
      }
    }
  }
}

import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { MESSAGE_SINK, type MessageSink } from './message-sink';
import { Storefront, type SimulatedMessage } from './storefront';

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
   * with progress every few seconds. Returns the number of messages sent.
   */
  async writeHistory(
    days: number,
    eventsPerDay: number,
    progress: (p: { sent: number; simulatedTo: string; fraction: number }) => void,
    /** Checked between batches: true stops the history early (shutdown). */
    cancelled: () => boolean = () => false,
  ): Promise<number> {
    const s = this.config.simulator;
    const end = Date.now();
    const start = end - Math.round(days * 86_400_000);
    const sf = new Storefront({
      seed: s.seed,
      users: s.users,
      skus: s.skus,
      invalidRate: s.invalidRate,
      startMs: start,
      eventsPerSec: eventsPerDay / 86_400,
      seasonality: true,
      warmupMs: WARMUP_MS,
    });
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
        });
      }
    }
    progress({ sent, simulatedTo: new Date(end).toISOString(), fraction: 1 });
    return sent;
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

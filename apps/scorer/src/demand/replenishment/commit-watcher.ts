// Runs a batch's side effects (the ClickHouse read model, the counters) only once its Kafka
// transaction committed. The transport gives no commit callback, so a handled batch is "pending"
// until either (a) the group's committed offset on its partition reaches the batch's end (polled
// while something is pending), or (b) the next handler call on the same partition starts at or
// after that end (a partition's batches are sequential: the next runs only after the previous one
// committed). A call that starts inside a pending batch is its retry: that attempt was aborted and
// is dropped. A batch neither committed nor retried within `timeoutMs` is dropped too.
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from '@storepulse/observability';

/** Port: the committed offsets of one consumer group ("topic:partition" → next offset). */
export interface CommittedOffsets {
  fetch(topics: readonly string[]): Promise<Map<string, bigint>>;
  close(): Promise<void>;
}

export class KafkaCommittedOffsets implements CommittedOffsets {
  private admin: Promise<Admin> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
  ) {}

  async fetch(topics: readonly string[]): Promise<Map<string, bigint>> {
    this.admin ??= (async () => {
      const a = this.kafka.admin();
      await a.connect();
      return a;
    })().catch((e: unknown) => {
      this.admin = undefined;
      throw e;
    });
    const admin = await this.admin;
    const res = await admin.fetchOffsets({ groupId: this.groupId, topics: [...topics] });
    const out = new Map<string, bigint>();
    for (const t of res)
      for (const p of t.partitions)
        if (p.offset !== '-1') out.set(`${t.topic}:${p.partition}`, BigInt(p.offset));
    return out;
  }

  async close(): Promise<void> {
    const a = this.admin;
    this.admin = undefined;
    if (a) await (await a).disconnect();
  }
}

interface Pending<T> {
  key: string;
  topic: string;
  next: bigint;
  payload: T;
  deadline: number;
}

export interface CommitWatcherCounts {
  committed: number;
  aborted: number;
  /** Post-commit work that failed (logged as errors). */
  failed: number;
}

export interface CommitWatcherOptions {
  pollMs: number;
  timeoutMs: number;
}

export class CommitWatcher<T> {
  private readonly pending = new Map<string, Pending<T>>();
  private readonly effects = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;
  readonly counts: CommitWatcherCounts = { committed: 0, aborted: 0, failed: 0 };

  constructor(
    private readonly offsets: CommittedOffsets,
    private readonly onCommitted: (payload: T) => Promise<void>,
    private readonly log: Logger,
    private readonly opts: CommitWatcherOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** A batch [first, next) of topic/partition was handled; `payload` is its deferred work. */
  track(topic: string, partition: number, first: string, next: string, payload: T): void {
    const key = `${topic}:${partition}`;
    const prev = this.pending.get(key);
    if (prev) this.settle(prev, BigInt(first) >= prev.next ? 'committed' : 'retried');
    this.pending.set(key, {
      key,
      topic,
      next: BigInt(next),
      payload,
      deadline: this.now() + this.opts.timeoutMs,
    });
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, this.opts.pollMs);
  }

  /** One round: every pending batch whose offset is committed settles; expired ones are dropped. */
  async poll(): Promise<void> {
    if (this.polling || this.pending.size === 0) return;
    this.polling = true;
    try {
      const topics = [...new Set([...this.pending.values()].map((p) => p.topic))];
      const committed = await this.offsets.fetch(topics);
      for (const p of [...this.pending.values()]) {
        const c = committed.get(p.key);
        if (c !== undefined && c >= p.next) this.settle(p, 'committed');
        else if (this.now() > p.deadline) this.settle(p, 'timeout');
      }
    } catch (e) {
      this.log.warn({ err: e }, 'reading the committed offsets failed; retried next poll');
      for (const p of [...this.pending.values()])
        if (this.now() > p.deadline) this.settle(p, 'timeout');
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  private settle(p: Pending<T>, how: 'committed' | 'retried' | 'timeout'): void {
    if (this.pending.get(p.key) !== p) return;
    this.pending.delete(p.key);
    if (how !== 'committed') {
      this.counts.aborted++;
      this.log.debug(
        { partition: p.key, next: p.next.toString(), how },
        'batch not committed (aborted attempt): its deferred work is dropped, the retry redoes it',
      );
      return;
    }
    this.counts.committed++;
    const effect = this.onCommitted(p.payload).catch((e: unknown) => {
      this.counts.failed++;
      this.log.error(
        { err: e, partition: p.key, next: p.next.toString() },
        'post-commit work failed (the Kafka output is committed; the read model misses this batch until the SKU changes again)',
      );
    });
    this.effects.add(effect);
    void effect.finally(() => this.effects.delete(effect));
  }

  /** Batches handled and not yet known as committed or aborted. */
  inFlight(): number {
    return this.pending.size;
  }

  /**
   * Settles what is pending (polling up to timeoutMs), waits for post-commit work, stops polling and
   * closes the offsets reader. Returns false when something was still pending at the deadline.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;
    while (this.pending.size > 0 && this.now() < deadline) {
      await this.poll();
      if (this.pending.size > 0) await new Promise((r) => setTimeout(r, this.opts.pollMs));
    }
    const clean = this.pending.size === 0;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of [...this.pending.values()]) this.settle(p, 'timeout');
    await Promise.all([...this.effects]);
    await this.offsets.close();
    return clean;
  }
}

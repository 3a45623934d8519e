import { ClickHouseDiskFullError } from '@storepulse/clickhouse';
import type { BatchHandler, BatchResult, PartitionBatch } from '@storepulse/kafka';
import type { Logger, PipelineMetrics } from '@storepulse/observability';

/** What readiness reports while ClickHouse's data folder is full. */
export interface DiskFullState {
  /** Where the space ran out (the embedded engine's data folder or the server's disk). */
  folder: string;
  /** When the first write failed for lack of space (ISO 8601). */
  since: string;
  /** The error, naming the folder. */
  error: string;
  /** Partitions whose batch is waiting for space (retried with backoff, nothing committed). */
  partitions: string[];
  /** Write attempts that failed for lack of space since `since`. */
  failures: number;
}

export interface DiskFullGuardOptions {
  /** While the disk stays full, the error is logged again this often (default 60 s). */
  reminderMs?: number;
  now?: () => number;
}

/**
 * A BatchHandler decorator for the ingest path: a batch that fails with a ClickHouseDiskFullError
 * puts the aggregator in the disk-full state (error log naming the folder, the
 * storepulse_clickhouse_disk_full gauge at 1, readiness failing) and is rethrown, so the consumer
 * keeps it uncommitted and retries it with backoff: consuming stops, the process stays up, nothing
 * is skipped. The state ends when every partition that hit the full disk has written a batch again.
 */
export class DiskFullGuard implements BatchHandler {
  private readonly waiting = new Map<string, ClickHouseDiskFullError>();
  private since: number | null = null;
  private failures = 0;
  private lastLogAt = 0;
  private readonly reminderMs: number;
  private readonly now: () => number;

  constructor(
    private readonly inner: BatchHandler,
    private readonly logger: Logger,
    private readonly metrics: PipelineMetrics,
    opts: DiskFullGuardOptions = {},
  ) {
    this.reminderMs = opts.reminderMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    metrics.diskFull.set(0);
  }

  async handleBatch(batch: PartitionBatch): Promise<BatchResult> {
    const key = `${batch.topic}:${batch.partition}`;
    try {
      const r = await this.inner.handleBatch(batch);
      if (this.waiting.delete(key)) this.maybeResolved();
      return r;
    } catch (e) {
      const full = diskFullIn(e);
      if (full) this.failed(key, full);
      throw e;
    }
  }

  onAssignmentChange(partitions: { topic: string; partition: number }[]): void {
    // a partition given away is no longer retried here: it does not keep the state alive
    const mine = new Set(partitions.map((p) => `${p.topic}:${p.partition}`));
    for (const k of [...this.waiting.keys()]) if (!mine.has(k)) this.waiting.delete(k);
    this.maybeResolved();
    this.inner.onAssignmentChange?.(partitions);
  }

  /** The disk-full state, or null when writes are not failing for lack of space. */
  state(): DiskFullState | null {
    const first = this.waiting.values().next();
    if (first.done || this.since === null) return null;
    return {
      folder: first.value.folder,
      since: new Date(this.since).toISOString(),
      error: first.value.message,
      partitions: [...this.waiting.keys()].sort(),
      failures: this.failures,
    };
  }

  private failed(key: string, e: ClickHouseDiskFullError): void {
    const now = this.now();
    const entering = this.since === null;
    this.waiting.set(key, e);
    this.failures++;
    this.metrics.diskFullErrors.inc();
    if (entering) {
      this.since = now;
      this.metrics.diskFull.set(1);
    }
    if (entering || now - this.lastLogAt >= this.reminderMs) {
      this.lastLogAt = now;
      this.logger.error(
        {
          folder: e.folder,
          err: e,
          partitions: [...this.waiting.keys()],
          failures: this.failures,
          fullForMs: now - (this.since ?? now),
        },
        `ClickHouse data folder ${e.folder} is full: consuming stopped (batches retried with backoff, no offsets committed) until space is freed`,
      );
    }
  }

  private maybeResolved(): void {
    if (this.waiting.size > 0 || this.since === null) return;
    const fullForMs = this.now() - this.since;
    this.logger.info(
      { fullForMs, failures: this.failures },
      'ClickHouse has space again: writes succeed, consuming resumed',
    );
    this.since = null;
    this.failures = 0;
    this.metrics.diskFull.set(0);
  }
}

/** The ClickHouseDiskFullError `err` is or was caused by, if any. */
function diskFullIn(err: unknown): ClickHouseDiskFullError | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof ClickHouseDiskFullError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

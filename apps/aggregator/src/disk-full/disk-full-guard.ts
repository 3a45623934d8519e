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
  /** The partition whose batch probes for space: the only one that still tries to write. */
  probe: string;
  /** Partitions whose batch waits for space (retried with backoff, nothing committed). */
  partitions: string[];
  /** Write attempts that failed for lack of space since `since` (the probe's). */
  failures: number;
}

export interface DiskFullGuardOptions {
  /** While the disk stays full, the error is logged again this often (default 60 s). */
  reminderMs?: number;
  now?: () => number;
}

interface Full {
  error: ClickHouseDiskFullError;
  since: number;
  probe: string;
  failures: number;
  lastLogAt: number;
}

/**
 * A BatchHandler decorator for the ingest path. A batch that fails with a ClickHouseDiskFullError
 * puts the aggregator in the disk-full state: an error log naming the folder (repeated every
 * `reminderMs`), the storepulse_clickhouse_disk_full gauge at 1, readiness failing. The error is
 * rethrown, so the consumer keeps the batch uncommitted and retries it with backoff.
 *
 * While full, consuming stops: that partition's batch is the probe, the only one that still tries to
 * write; every other partition's batch is refused before it reaches the engine (no write squeezes
 * into space freed by a merge, nothing is committed anywhere). The process stays up and skips
 * nothing. The state ends when the probe's batch is written; the others then write on their next
 * retry (and a disk still full puts the state back at once).
 */
export class DiskFullGuard implements BatchHandler {
  private full: Full | null = null;
  private readonly held = new Set<string>();
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
    const f = this.full;
    if (f && f.probe !== key) {
      this.held.add(key);
      throw new ClickHouseDiskFullError(
        f.error.folder,
        `${f.error.engineMessage} (batch held: ${f.probe} probes for space)`,
        { cause: f.error },
      );
    }
    try {
      const r = await this.inner.handleBatch(batch);
      this.held.delete(key);
      if (this.full?.probe === key) this.resolved();
      return r;
    } catch (e) {
      const full = diskFullIn(e);
      if (full) this.failed(key, full);
      throw e;
    }
  }

  onAssignmentChange(partitions: { topic: string; partition: number }[]): void {
    // a partition given away is no longer retried here: it can neither hold nor probe
    const mine = new Set(partitions.map((p) => `${p.topic}:${p.partition}`));
    for (const k of [...this.held]) if (!mine.has(k)) this.held.delete(k);
    if (this.full && !mine.has(this.full.probe)) {
      const next = this.held.values().next();
      if (next.done) this.resolved();
      else {
        this.full.probe = next.value;
        this.held.delete(next.value);
      }
    }
    this.inner.onAssignmentChange?.(partitions);
  }

  /** The disk-full state, or null when writes are not failing for lack of space. */
  state(): DiskFullState | null {
    const f = this.full;
    if (!f) return null;
    return {
      folder: f.error.folder,
      since: new Date(f.since).toISOString(),
      error: f.error.message,
      probe: f.probe,
      partitions: [f.probe, ...this.held].sort(),
      failures: f.failures,
    };
  }

  private failed(key: string, e: ClickHouseDiskFullError): void {
    const now = this.now();
    this.metrics.diskFullErrors.inc();
    let f = this.full;
    const entering = f === null;
    if (f === null) {
      f = { error: e, since: now, probe: key, failures: 0, lastLogAt: 0 };
      this.full = f;
      this.metrics.diskFull.set(1);
    } else if (f.probe !== key) this.held.add(key); // a write that had started before
    f.error = e;
    f.failures++;
    if (entering || now - f.lastLogAt >= this.reminderMs) {
      f.lastLogAt = now;
      this.logger.error(
        {
          folder: e.folder,
          err: e,
          probe: f.probe,
          held: [...this.held],
          failures: f.failures,
          fullForMs: now - f.since,
        },
        `ClickHouse data folder ${e.folder} is full: consuming stopped (batches retried with backoff, no offsets committed) until space is freed`,
      );
    }
  }

  private resolved(): void {
    const f = this.full;
    if (!f) return;
    this.logger.info(
      { folder: f.error.folder, fullForMs: this.now() - f.since, failures: f.failures },
      'ClickHouse has space again: writes succeed, consuming resumed',
    );
    this.full = null;
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

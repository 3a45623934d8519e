import { REPLAY_HEADER } from '@storepulse/contracts';
import {
  appendedRanges,
  type GroupProgress,
  type PartitionRange,
  type ReplaySink,
} from '@storepulse/kafka';
import type { Logger } from '@storepulse/observability';
import type { ImportMessage, LineError } from './parse';

/** What became of an import's messages once the aggregator committed past them. */
export interface ImportOutcome {
  /** Messages whose rows are stored. */
  stored: number;
  deadLettered: number;
  /** Dropped as duplicates of stored event ids (a rerun); undefined when the counter cannot tell. */
  duplicates: number | undefined;
}

/** Port: counts stored / dead-lettered messages in offset ranges (ClickHouse, or the DLQ topic). */
export interface ImportCounter {
  count(ranges: readonly PartitionRange[], sent: number): Promise<ImportOutcome>;
}

/** Port: progress on stderr. */
export interface Progress {
  update(sent: number, total: number, elapsedMs: number): void;
  done(sent: number, elapsedMs: number): void;
}

export class ImportRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportRefusedError';
  }
}

export interface ImportLimits {
  /** RAW_TTL_DAYS: older events would be deleted by the raw tables' TTL at once. */
  rawTtlDays: number;
  /** IMPORT_MAX_AGE_DAYS: older replayed events are dead-lettered by the aggregator. */
  importMaxAgeDays: number;
}

export interface ImportOptions {
  /** Messages per send (split over the sink's producers by partition). */
  batch: number;
  /** Sends started before the oldest is acknowledged (default 1: one at a time). */
  inFlight?: number;
  /** The aggregator's consumer group, whose commits say the import is stored. */
  groupId: string;
  /** How long to wait for the aggregator to commit past the import. */
  waitTimeoutMs: number;
  /** Called once everything is produced, before waiting for the aggregator (the bench starts it there). */
  onProduced?: () => Promise<void>;
}

export interface ImportReport extends ImportOutcome {
  sent: number;
  ranges: PartitionRange[];
  produceMs: number;
  eventsPerSec: number;
  /** Until the aggregator committed past the import, from the first send. */
  storedAfterMs: number;
}

const MAX_LISTED = 20;

/**
 * How `npm run import` produces: messages per send, idempotent producers (each owning the
 * partitions p with p % producers = its index) and sends in flight. Measured in
 * `npm run bench -- import` against one producer with one send at a time.
 */
export const IMPORT_PRODUCE = { batch: 5000, producers: 3, inFlight: 3 } as const;

/** Refuses a file with format errors (listing the lines) or events beyond the retention limits. */
export function checkImport(
  messages: readonly ImportMessage[],
  errors: readonly LineError[],
  limits: ImportLimits,
  nowMs = Date.now(),
): void {
  if (errors.length > 0)
    throw new ImportRefusedError(
      `${errors.length} line(s) cannot be read, nothing was imported:\n` +
        errors
          .slice(0, MAX_LISTED)
          .map((e) => `  line ${e.line}: ${e.message}`)
          .join('\n') +
        (errors.length > MAX_LISTED ? `\n  … and ${errors.length - MAX_LISTED} more` : ''),
    );
  if (messages.length === 0) throw new ImportRefusedError('the file holds no messages');
  let oldest: ImportMessage | undefined;
  for (const m of messages)
    if (m.tsMs !== undefined && (oldest?.tsMs === undefined || m.tsMs < oldest.tsMs)) oldest = m;
  if (oldest?.tsMs === undefined) return;
  const ageDays = (nowMs - oldest.tsMs) / 86_400_000;
  const at = `the oldest event (line ${oldest.line}, ts ${new Date(oldest.tsMs).toISOString()}) is ${ageDays.toFixed(1)} days old`;
  if (ageDays > limits.rawTtlDays)
    throw new ImportRefusedError(
      `${at}: past RAW_TTL_DAYS (${limits.rawTtlDays}), the raw tables would delete it at once. Raise RAW_TTL_DAYS or drop the older events; nothing was imported.`,
    );
  if (ageDays > limits.importMaxAgeDays)
    throw new ImportRefusedError(
      `${at}: past IMPORT_MAX_AGE_DAYS (${limits.importMaxAgeDays}); nothing was imported.`,
    );
}

/**
 * Sends `messages` in sends of `batch`, up to `inFlight` at once (the sink keeps each partition's
 * order); `onProgress` gets the count acknowledged so far, in file order.
 */
export async function produceAll(
  messages: readonly ImportMessage[],
  sink: ReplaySink,
  headers: Record<string, string>,
  opts: Pick<ImportOptions, 'batch' | 'inFlight'>,
  onProgress: (acknowledged: number) => void,
): Promise<void> {
  const window = opts.inFlight ?? 1;
  const pending: { done: number; sent: Promise<void> }[] = [];
  const settleOldest = async () => {
    const oldest = pending.shift();
    if (!oldest) return;
    await oldest.sent;
    onProgress(oldest.done);
  };
  for (let i = 0; i < messages.length; i += opts.batch) {
    const sent = sink.send(messages.slice(i, i + opts.batch), headers);
    // awaited in order below; marked handled now, so that its failure while an older send is
    // awaited is not an unhandled rejection
    sent.catch(() => undefined);
    pending.push({ done: Math.min(i + opts.batch, messages.length), sent });
    if (pending.length >= window) await settleOldest();
  }
  while (pending.length > 0) await settleOldest();
}

/**
 * Replays parsed messages onto their topics with the replay header (idempotent producer, acks=all),
 * then waits until the aggregator's group committed past them and counts what was stored.
 */
export async function runImport(
  messages: readonly ImportMessage[],
  sink: ReplaySink,
  progress: GroupProgress,
  counter: ImportCounter,
  report: Progress,
  opts: ImportOptions,
  logger: Logger,
): Promise<ImportReport> {
  const topics = [...new Set(messages.map((m) => m.topic))].sort();
  const before = await sink.logEnds(topics);
  const t0 = Date.now();
  const headers = { [REPLAY_HEADER]: '1' };
  await produceAll(messages, sink, headers, opts, (done) =>
    report.update(done, messages.length, Date.now() - t0),
  );
  const produceMs = Date.now() - t0;
  report.done(messages.length, produceMs);
  const ranges = appendedRanges(before, await sink.logEnds(topics));
  if (opts.onProduced) await opts.onProduced();
  logger.info(
    { sent: messages.length, produceMs, ranges },
    'import produced; waiting for the aggregator',
  );
  await Promise.all(
    ranges.map((r) => progress.waitCommitted(r.topic, r.partition, r.high, opts.waitTimeoutMs)),
  );
  const storedAfterMs = Date.now() - t0;
  const outcome = await counter.count(ranges, messages.length);
  return {
    ...outcome,
    sent: messages.length,
    ranges,
    produceMs,
    eventsPerSec: messages.length / Math.max(produceMs / 1000, 1e-3),
    storedAfterMs,
  };
}

/** Progress bar (TTY: one line redrawn) or plain lines every `everyMs` (not a TTY). */
export class StderrProgress implements Progress {
  private lastLine = 0;
  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 2000,
  ) {}

  update(sent: number, total: number, elapsedMs: number): void {
    const rate = Math.round(sent / Math.max(elapsedMs / 1000, 1e-3));
    if (this.out.isTTY) {
      const width = 30;
      const filled = Math.round((sent / total) * width);
      this.out.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${sent}/${total} events  ${rate.toLocaleString('en-US')} events/s`,
      );
    } else if (elapsedMs - this.lastLine >= this.everyMs || sent === total) {
      this.lastLine = elapsedMs;
      this.out.write(`import: ${sent}/${total} events, ${rate} events/s\n`);
    }
  }

  done(sent: number, elapsedMs: number): void {
    const rate = Math.round(sent / Math.max(elapsedMs / 1000, 1e-3));
    if (this.out.isTTY) this.out.write('\n');
    this.out.write(
      `import: ${sent} events produced in ${(elapsedMs / 1000).toFixed(1)} s (${rate} events/s); waiting for the aggregator to store them…\n`,
    );
  }
}

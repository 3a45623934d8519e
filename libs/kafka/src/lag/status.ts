/**
 * Burrow-style consumer status over a sliding window of lag samples, per partition and per group.
 * Pure functions: the monitor feeds samples, tests feed synthetic windows.
 */
export type ConsumerStatus = 'OK' | 'WARNING' | 'STALLED' | 'STOPPED';

/** Severity order, worst last. */
export const STATUS_ORDER: readonly ConsumerStatus[] = ['OK', 'WARNING', 'STALLED', 'STOPPED'];

export interface LagSample {
  atMs: number;
  /** Committed offset (null: none). */
  committed: string | null;
  /** Offset lag. */
  lag: string;
}

export interface PartitionWindow {
  /** The most recent samples, oldest first (at most `maxSamples`). */
  samples: LagSample[];
  /** When the current committed offset was first seen (the last time the consumer moved). */
  committedSinceMs: number;
}

export interface StatusThresholds {
  /** Committed offset unchanged for this long while lag > 0: STALLED. */
  stallAfterMs: number;
  /** Committed offset unchanged for this long while lag > 0: STOPPED. */
  stopAfterMs: number;
  /** Samples needed before the WARNING (lag growing) rule applies. */
  minSamples: number;
}

/** Appends a sample, trimming the window; tracks when the committed offset last changed. */
export function pushSample(
  w: PartitionWindow | undefined,
  s: LagSample,
  maxSamples: number,
): PartitionWindow {
  if (!w) return { samples: [s], committedSinceMs: s.atMs };
  const last = w.samples[w.samples.length - 1];
  const moved = !last || last.committed !== s.committed;
  const samples = [...w.samples, s].slice(-maxSamples);
  return { samples, committedSinceMs: moved ? s.atMs : w.committedSinceMs };
}

export interface PartitionEvaluation {
  status: ConsumerStatus;
  reason: string;
  /** How long the committed offset has not moved (ms). */
  committedUnchangedMs: number;
}

/**
 * Rules, in order:
 * 1. lag 0 in the latest sample: OK (an idle partition is never stalled);
 * 2. committed offset unchanged for >= stopAfterMs with lag > 0: STOPPED;
 * 3. unchanged for >= stallAfterMs with lag > 0: STALLED;
 * 4. the consumer moves but the lag grew over a full window (never shrinking between samples): WARNING;
 * 5. otherwise OK.
 */
export function evaluatePartition(
  w: PartitionWindow,
  nowMs: number,
  t: StatusThresholds,
): PartitionEvaluation {
  const last = w.samples[w.samples.length - 1];
  const unchanged = Math.max(0, nowMs - w.committedSinceMs);
  if (!last || BigInt(last.lag) === 0n)
    return { status: 'OK', reason: 'no lag', committedUnchangedMs: unchanged };
  if (unchanged >= t.stopAfterMs)
    return {
      status: 'STOPPED',
      reason: `no commit seen for ${Math.round(unchanged / 1000)} s with lag ${last.lag}`,
      committedUnchangedMs: unchanged,
    };
  if (unchanged >= t.stallAfterMs)
    return {
      status: 'STALLED',
      reason: `committed offset not moving for ${Math.round(unchanged / 1000)} s with lag ${last.lag}`,
      committedUnchangedMs: unchanged,
    };
  if (w.samples.length >= Math.max(2, t.minSamples)) {
    const lags = w.samples.map((s) => BigInt(s.lag));
    let growing = true;
    for (let i = 1; i < lags.length; i++) if (lags[i] < lags[i - 1]) growing = false;
    const first = lags[0];
    const lastLag = lags[lags.length - 1];
    if (growing && lastLag > first)
      return {
        status: 'WARNING',
        reason: `lag growing ${first} → ${lastLag} over ${w.samples.length} samples`,
        committedUnchangedMs: unchanged,
      };
  }
  return { status: 'OK', reason: 'consuming', committedUnchangedMs: unchanged };
}

/** Worst of the partition statuses (OK for a group with no partitions). */
export function worstStatus(statuses: Iterable<ConsumerStatus>): ConsumerStatus {
  let worst = 0;
  for (const s of statuses) worst = Math.max(worst, STATUS_ORDER.indexOf(s));
  return STATUS_ORDER[worst] ?? 'OK';
}

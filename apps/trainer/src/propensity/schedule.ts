// When a scheduled propensity run is due (pure, no I/O): the first run retries every 15 s while a
// model has no champion (history still arriving); later runs follow the retraining interval; and a
// run the gate rejected is not repeated on the same data: the next one waits until the data's
// watermark moved by `minNewDataMs` or `backoffMs` passed since the rejected run finished.

/** The last run of a model, as the scheduler sees it. */
export interface LastRun {
  status: 'running' | 'succeeded' | 'failed';
  startedAtMs: number;
  finishedAtMs: number | null;
  /** Set when the run succeeded: whether the gate promoted its candidate, and the data watermark it trained on. */
  outcome: { promoted: boolean; watermarkMs: number } | null;
}

export interface SchedulePolicy {
  /** Without a champion, a failed run (not enough history yet) is retried this often. */
  firstRunRetryMs: number;
  /** With a champion: retrain this often (0 = never on schedule). */
  intervalMs: number;
  rejectedRetry: { minNewDataMs: number; backoffMs: number };
}

export interface ScheduleInput {
  nowMs: number;
  /** The champion's creation time; null without a champion. */
  championCreatedAtMs: number | null;
  last: LastRun | null;
  /** Latest event time stored now; null when the store is empty. */
  watermarkMs: number | null;
}

/** afterRejection: due because new data arrived or the backoff elapsed; backoff: held back by it. */
export type ScheduleDecision =
  | { due: true; trigger: 'first-run' | 'schedule'; reason: string; afterRejection: boolean }
  | { due: false; reason: string; backoff: boolean };

const s = (ms: number) => `${Math.round(ms / 1000)} s`;

export function scheduleDecision(i: ScheduleInput, p: SchedulePolicy): ScheduleDecision {
  const { last } = i;
  if (last?.status === 'running')
    return { due: false, reason: 'a run is in progress', backoff: false };
  const trigger = i.championCreatedAtMs === null ? 'first-run' : 'schedule';
  // A rejected candidate: retrain only on new data or after the backoff.
  let rejectedRetry: string | null = null;
  if (last?.status === 'succeeded' && last.outcome && !last.outcome.promoted) {
    const moved = i.watermarkMs === null ? 0 : i.watermarkMs - last.outcome.watermarkMs;
    const waited = i.nowMs - (last.finishedAtMs ?? last.startedAtMs);
    const { minNewDataMs, backoffMs } = p.rejectedRetry;
    if (moved < minNewDataMs && waited < backoffMs)
      return {
        due: false,
        backoff: true,
        reason: `the last run was rejected by the gate ${s(waited)} ago and the data watermark moved ${s(Math.max(0, moved))} since (retrain after ${s(minNewDataMs)} of new data or a ${s(backoffMs)} backoff)`,
      };
    rejectedRetry =
      moved >= minNewDataMs
        ? `the last run was rejected; the data watermark moved ${s(moved)} since`
        : `the last run was rejected; the ${s(backoffMs)} backoff elapsed`;
  }
  if (i.championCreatedAtMs === null) {
    const lastAt = last?.startedAtMs ?? 0;
    if (rejectedRetry) return { due: true, trigger, reason: rejectedRetry, afterRejection: true };
    if (i.nowMs - lastAt < p.firstRunRetryMs)
      return {
        due: false,
        reason: `the last first run started ${s(i.nowMs - lastAt)} ago`,
        backoff: false,
      };
    return {
      due: true,
      trigger,
      reason: last ? `no champion; the last run ${last.status}` : 'no champion yet',
      afterRejection: false,
    };
  }
  if (p.intervalMs <= 0)
    return { due: false, reason: 'scheduled retraining is off', backoff: false };
  const since = Math.max(last?.startedAtMs ?? 0, i.championCreatedAtMs);
  if (i.nowMs - since < p.intervalMs)
    return {
      due: false,
      reason: `retraining interval ${s(p.intervalMs)} not reached`,
      backoff: false,
    };
  return {
    due: true,
    trigger,
    reason: rejectedRetry ?? `retraining interval ${s(p.intervalMs)}`,
    afterRejection: rejectedRetry !== null,
  };
}

// Unit tests of the propensity scheduling rule: a first model the gate rejected is not retrained on
// identical data (new data or the backoff first), a failed first run is retried every 15 s, and the
// interval applies once a champion exists.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scheduleDecision, type LastRun, type SchedulePolicy } from './schedule';

const MIN = 60_000;
const T = Date.UTC(2026, 11, 1, 12);
const policy: SchedulePolicy = {
  firstRunRetryMs: 15_000,
  intervalMs: 60 * MIN,
  rejectedRetry: { minNewDataMs: 15 * MIN, backoffMs: 60 * MIN },
};
const rejected = (finishedAtMs: number, watermarkMs: number): LastRun => ({
  status: 'succeeded',
  startedAtMs: finishedAtMs - 30_000,
  finishedAtMs,
  outcome: { promoted: false, watermarkMs },
});

describe('scheduleDecision', () => {
  it('no champion, no run yet: a first run is due', () => {
    const d = scheduleDecision(
      { nowMs: T, championCreatedAtMs: null, last: null, watermarkMs: T },
      policy,
    );
    assert.deepEqual(d, {
      due: true,
      trigger: 'first-run',
      reason: 'no champion yet',
      afterRejection: false,
    });
  });

  it('a rejected first model is not retrained 15 s later on the same data', () => {
    const d = scheduleDecision(
      {
        nowMs: T + 15_000,
        championCreatedAtMs: null,
        last: rejected(T, T - MIN),
        // live traffic moved the watermark by 1 min 15 s only
        watermarkMs: T + 15_000,
      },
      policy,
    );
    assert.equal(d.due, false);
    assert.ok(!d.due && d.backoff);
    assert.match(d.reason, /rejected by the gate 15 s ago and the data watermark moved 75 s since/);
    assert.match(d.reason, /after 900 s of new data or a 3600 s backoff/);
  });

  it('a rejected first model is retrained once the watermark moved by minNewDataMs', () => {
    const justShort = scheduleDecision(
      {
        nowMs: T + MIN,
        championCreatedAtMs: null,
        last: rejected(T, T),
        watermarkMs: T + 15 * MIN - 1,
      },
      policy,
    );
    assert.equal(justShort.due, false);
    const d = scheduleDecision(
      {
        nowMs: T + MIN,
        championCreatedAtMs: null,
        last: rejected(T, T),
        watermarkMs: T + 15 * MIN,
      },
      policy,
    );
    assert.deepEqual(d, {
      due: true,
      trigger: 'first-run',
      reason: 'the last run was rejected; the data watermark moved 900 s since',
      afterRejection: true,
    });
  });

  it('a rejected first model is retrained after the backoff even without new data', () => {
    const d = scheduleDecision(
      { nowMs: T + 60 * MIN, championCreatedAtMs: null, last: rejected(T, T), watermarkMs: T },
      policy,
    );
    assert.deepEqual(d, {
      due: true,
      trigger: 'first-run',
      reason: 'the last run was rejected; the 3600 s backoff elapsed',
      afterRejection: true,
    });
    const before = scheduleDecision(
      { nowMs: T + 60 * MIN - 1, championCreatedAtMs: null, last: rejected(T, T), watermarkMs: T },
      policy,
    );
    assert.equal(before.due, false);
  });

  it('a failed first run (not enough history) is retried every 15 s', () => {
    const failed: LastRun = {
      status: 'failed',
      startedAtMs: T,
      finishedAtMs: T + 1000,
      outcome: null,
    };
    const early = scheduleDecision(
      { nowMs: T + 14_999, championCreatedAtMs: null, last: failed, watermarkMs: T },
      policy,
    );
    assert.equal(early.due, false);
    const d = scheduleDecision(
      { nowMs: T + 15_000, championCreatedAtMs: null, last: failed, watermarkMs: T },
      policy,
    );
    assert.deepEqual(d, {
      due: true,
      trigger: 'first-run',
      reason: 'no champion; the last run failed',
      afterRejection: false,
    });
  });

  it('a run in progress is never doubled', () => {
    const running: LastRun = {
      status: 'running',
      startedAtMs: T,
      finishedAtMs: null,
      outcome: null,
    };
    const d = scheduleDecision(
      { nowMs: T + 2 * 60 * MIN, championCreatedAtMs: T - 60 * MIN, last: running, watermarkMs: T },
      policy,
    );
    assert.equal(d.due, false);
  });

  it('with a champion: the interval, and a rejected run still needs new data or the backoff', () => {
    const champ = T - 10 * MIN;
    assert.equal(
      scheduleDecision(
        { nowMs: T + 49 * MIN, championCreatedAtMs: champ, last: null, watermarkMs: T },
        policy,
      ).due,
      false,
    );
    assert.deepEqual(
      scheduleDecision(
        { nowMs: T + 50 * MIN, championCreatedAtMs: champ, last: null, watermarkMs: T },
        policy,
      ),
      {
        due: true,
        trigger: 'schedule',
        reason: 'retraining interval 3600 s',
        afterRejection: false,
      },
    );
    // interval 0: only API and drift runs
    assert.equal(
      scheduleDecision(
        { nowMs: T + 600 * MIN, championCreatedAtMs: champ, last: null, watermarkMs: T },
        { ...policy, intervalMs: 0 },
      ).due,
      false,
    );
    // rejected 61 min ago on data that has not moved (a paused simulator): the backoff elapsed
    const last = rejected(T, T);
    const d = scheduleDecision(
      { nowMs: T + 61 * MIN, championCreatedAtMs: champ, last, watermarkMs: T },
      policy,
    );
    assert.deepEqual(d, {
      due: true,
      trigger: 'schedule',
      reason: 'the last run was rejected; the 3600 s backoff elapsed',
      afterRejection: true,
    });
    // a promoted last run: the interval alone decides
    const promoted: LastRun = { ...last, outcome: { promoted: true, watermarkMs: T } };
    assert.equal(
      scheduleDecision(
        { nowMs: T + 30 * MIN, championCreatedAtMs: T, last: promoted, watermarkMs: T },
        policy,
      ).due,
      false,
    );
  });
});

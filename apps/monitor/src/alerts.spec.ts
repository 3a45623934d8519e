import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@storepulse/config';
import { AlertEngine, type AlertInput, type GroupAlertInput } from './alerts';
import { RateWindow, histogramQuantile } from './pipeline-stats';

const rules = loadConfig({}).monitor.alerts; // defaults: 60 s for 2 min, 1% over 5 min, stalled on

const group = (over: Partial<GroupAlertInput> = {}): GroupAlertInput => ({
  groupId: 'g',
  consumerStatus: 'OK',
  statusReason: 'consuming',
  committedUnchangedSeconds: 0,
  maxTimeLagSeconds: 0,
  ...over,
});
const input = (g: GroupAlertInput[], rate: number | null = null): AlertInput => ({
  groups: g,
  dlq: { rate, dead: 0, total: 0 },
});

describe('AlertEngine', () => {
  it('defaults match the documented rules', () => {
    assert.equal(rules.timeLagSeconds, 60);
    assert.equal(rules.timeLagForMs, 120_000);
    assert.equal(rules.dlqRate, 0.01);
    assert.equal(rules.dlqWindowMs, 300_000);
    assert.equal(rules.stalled, true);
  });

  it('time lag > 60 s fires only after holding for 2 minutes, and resolves when it drops', () => {
    const e = new AlertEngine(rules, 'c');
    const lagging = input([group({ maxTimeLagSeconds: 75 })]);
    assert.deepEqual(e.evaluate(lagging, 0), []);
    assert.deepEqual(e.evaluate(lagging, 60_000), []);
    const fired = e.evaluate(lagging, 120_000);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]?.id, 'ConsumerTimeLagHigh/g');
    assert.equal(fired[0]?.state, 'firing');
    assert.equal(fired[0]?.startsAt, new Date(120_000).toISOString());
    assert.deepEqual(e.evaluate(lagging, 130_000), [], 'no duplicate event while firing');
    assert.equal(e.active().length, 1);
    const resolved = e.evaluate(input([group({ maxTimeLagSeconds: 3 })]), 140_000);
    assert.equal(resolved[0]?.state, 'resolved');
    assert.equal(resolved[0]?.endsAt, new Date(140_000).toISOString());
    assert.equal(e.active().length, 0);
    assert.deepEqual(
      e.history().map((a) => a.state),
      ['resolved', 'firing'],
    );
  });

  it('a dip below the threshold restarts the 2-minute clock', () => {
    const e = new AlertEngine(rules, 'c');
    e.evaluate(input([group({ maxTimeLagSeconds: 75 })]), 0);
    e.evaluate(input([group({ maxTimeLagSeconds: 10 })]), 100_000);
    assert.deepEqual(e.evaluate(input([group({ maxTimeLagSeconds: 75 })]), 130_000), []);
    assert.equal(e.evaluate(input([group({ maxTimeLagSeconds: 75 })]), 250_000).length, 1);
  });

  it('STALLED/STOPPED groups fire at once (warning → critical without a new event)', () => {
    const e = new AlertEngine(rules, 'c');
    const f = e.evaluate(input([group({ consumerStatus: 'STALLED', statusReason: 'x' })]), 0);
    assert.deepEqual(
      f.map((a) => [a.id, a.severity]),
      [['ConsumerGroupStalled/g', 'warning']],
    );
    assert.deepEqual(e.evaluate(input([group({ consumerStatus: 'STOPPED' })]), 1000), []);
    assert.equal(e.active()[0]?.severity, 'critical');
    assert.equal(e.evaluate(input([group()]), 2000)[0]?.state, 'resolved');
  });

  it('a vanished group resolves its alerts', () => {
    const e = new AlertEngine(rules, 'c');
    e.evaluate(input([group({ consumerStatus: 'STOPPED' })]), 0);
    const r = e.evaluate(input([]), 1000);
    assert.deepEqual(
      r.map((a) => [a.id, a.state]),
      [['ConsumerGroupStalled/g', 'resolved']],
    );
  });

  it('DLQ rate above 1% fires, at or below resolves', () => {
    const e = new AlertEngine(rules, 'c');
    assert.deepEqual(e.evaluate(input([], 0.01), 0), []);
    assert.equal(e.evaluate(input([], 0.02), 1000)[0]?.id, 'DeadLetterRateHigh');
    assert.equal(e.evaluate(input([], null), 2000)[0]?.state, 'resolved');
  });
});

describe('RateWindow', () => {
  it('ratio over the trailing window, null below the minimum volume', () => {
    const w = new RateWindow(300_000);
    w.push({ atMs: 0, dead: 0, total: 0 });
    w.push({ atMs: 60_000, dead: 1, total: 50 });
    assert.equal(w.rate(100).rate, null);
    w.push({ atMs: 120_000, dead: 5, total: 300 });
    assert.deepEqual(w.rate(100), { rate: 5 / 300, dead: 5, total: 300 });
    // 6 minutes later the old samples leave the window: baseline = last one at or before now-5min.
    w.push({ atMs: 480_000, dead: 5, total: 1300 });
    w.push({ atMs: 500_000, dead: 6, total: 1500 });
    assert.deepEqual(w.rate(100), { rate: 1 / 1200, dead: 1, total: 1200 });
  });
});

describe('histogramQuantile', () => {
  it('interpolates like Prometheus histogram_quantile', () => {
    const b = [
      { le: 0.1, count: 50 },
      { le: 0.5, count: 90 },
      { le: 1, count: 100 },
      { le: Infinity, count: 100 },
    ];
    assert.equal(histogramQuantile(0.5, b), 0.1);
    assert.ok(Math.abs((histogramQuantile(0.7, b) ?? 0) - 0.3) < 1e-9);
    assert.ok(Math.abs((histogramQuantile(0.95, b) ?? 0) - 0.75) < 1e-9);
    assert.equal(histogramQuantile(0.5, [{ le: Infinity, count: 0 }]), null);
  });
});

describe('AlertEngine: ClickHouseDiskFull from the services’ readiness', () => {
  const full = {
    folder: '/data/chdb',
    since: new Date(10_000).toISOString(),
    error: 'ClickHouse cannot write: no space left in /data/chdb (code 243)',
    probe: 'storefront.orders.v1:0',
    partitions: [],
    failures: 3,
  };
  const reports = (diskFull: unknown, service = 'aggregator') => [
    { service, check: 'clickhouse', ok: true, details: {} },
    { service, check: 'aggregator-consumer', ok: diskFull === null, details: { diskFull } },
  ];
  const withReadiness = (r: ReturnType<typeof reports>): AlertInput => ({
    ...input([]),
    readiness: r,
  });

  it('fires at once, critical, naming the service, the check and the folder; resolves with space', () => {
    const e = new AlertEngine(rules, 'c');
    assert.deepEqual(e.evaluate(withReadiness(reports(null)), 0), []);
    const fired = e.evaluate(withReadiness(reports(full)), 40_000);
    assert.equal(fired.length, 1);
    const a = fired[0];
    assert.equal(a?.id, 'ClickHouseDiskFull/aggregator');
    assert.equal(a?.rule, 'ClickHouseDiskFull');
    assert.equal(a?.severity, 'critical');
    assert.equal(a?.group, null);
    assert.equal(a?.value, 30, 'seconds since the disk filled');
    assert.equal(
      a?.summary,
      `aggregator (aggregator-consumer) stopped consuming since ${full.since}: ${full.error}`,
    );
    assert.deepEqual(e.evaluate(withReadiness(reports(full)), 45_000), [], 'no repeat');
    assert.equal(e.active()[0]?.value, 35);
    const resolved = e.evaluate(withReadiness(reports(null)), 50_000);
    assert.deepEqual(
      resolved.map((x) => [x.id, x.state]),
      [['ClickHouseDiskFull/aggregator', 'resolved']],
    );
  });

  it('one alert per service; a service that stops reporting resolves its alert', () => {
    const e = new AlertEngine(rules, 'c');
    const fired = e.evaluate(withReadiness([...reports(full, 'a1'), ...reports(full, 'a2')]), 0);
    assert.deepEqual(fired.map((x) => x.id).sort(), [
      'ClickHouseDiskFull/a1',
      'ClickHouseDiskFull/a2',
    ]);
    const r = e.evaluate(withReadiness(reports(full, 'a2')), 1_000);
    assert.deepEqual(
      r.map((x) => [x.id, x.state]),
      [['ClickHouseDiskFull/a1', 'resolved']],
    );
  });

  it('ignores a diskFull that is not a full-disk state', () => {
    const e = new AlertEngine(rules, 'c');
    for (const bad of [true, 'full', { folder: '/x' }, { folder: 1, since: 's', error: 'e' }])
      assert.deepEqual(e.evaluate(withReadiness(reports(bad)), 0), [], JSON.stringify(bad));
  });
});

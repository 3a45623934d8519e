import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  writeSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { loadConfig } from '@storepulse/config';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import type { DiskFullState } from '@storepulse/aggregator';
import { AlertEngine, HttpReadiness, type Alert } from '@storepulse/monitor';
import { killAllChildren, startChild, type ChildHandle } from '../support/child-process';
import { produce, resetStorefrontTopics, testKafka, waitFor } from '../support/kafka';
import { tempDir, testBrokers } from '../support/env';
import { validCorpus } from './poison-corpus';

/**
 * Fault suite, case 4: disk full. The aggregator runs as a child process (test/support/aggregator-child)
 * with the embedded engine's data folder on a small tmpfs; once it has migrated, a filler file leaves
 * FAULTS_DISK_FREE_MB free and FAULTS_DISK_MESSAGES messages are produced, more than fit. Expected:
 * the aggregator stops consuming (no offset moves) with an error log naming the folder, the
 * storepulse_clickhouse_disk_full gauge at 1 and readiness failing, and stays up (one process, no
 * restart). Restarted on the full disk, it comes up and waits the same way. After the filler is
 * deleted it resumes by itself: every raw row and rollup exact. The alert: the monitor's
 * ClickHouseDiskFull rule, fed by its HTTP readiness source reading the child's /health/ready (as a
 * separate monitor reads a separate aggregator), fires while the disk is full and resolves after.
 * Needs root (mount); otherwise it is skipped with the reason (the classification of the engine's
 * real error text is unit-tested in libs/clickhouse/src/disk-full.spec.ts and the aggregator's
 * reaction in apps/aggregator/src/disk-full/disk-full-guard.spec.ts).
 */
const N = Number(process.env.FAULTS_DISK_MESSAGES ?? 30_000);
const TMPFS_MB = Number(process.env.FAULTS_DISK_TMPFS_MB ?? 96);
const FREE_MB = Number(process.env.FAULTS_DISK_FREE_MB ?? 8);
/** How long the full disk is held (checks: no commit, not ready, process up). */
const HOLD_MS = Number(process.env.FAULTS_DISK_HOLD_SECONDS ?? 15) * 1000;
const DAY = 86_400_000;
const HTTP_PORT = Number(process.env.TEST_KAFKA_PORT ?? 39092) + 7;

interface Counters {
  consumed: number;
  stored: number;
  deadLettered: number;
  replayedChunks: number;
  repairedRows: number;
  reconciledGroups: number;
  ready: boolean;
  diskFull: DiskFullState | null;
  diskFullGauge: number;
}

const mountDir = tempDir('disk-full');
/** Why the case cannot run here, or undefined when the tmpfs is mounted. */
const skip = (() => {
  if (process.platform !== 'linux') return `needs Linux tmpfs (platform ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs (mount -t tmpfs)';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_MB}m`, 'tmpfs', mountDir]);
  if (r.status !== 0)
    return `mount -t tmpfs failed (${r.status ?? r.signal}): ${r.stderr?.toString().trim()}`;
  return undefined;
})();
if (skip) console.log(`[faults] disk full: skipped: ${skip}`);

describe('fault suite: disk full under the aggregator (embedded engine on a small tmpfs)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let ch: ClickHouseHandle | undefined;
  const dataDir = join(mountDir, 'chdb');
  const filler = join(mountDir, 'filler.bin');
  const groupId = `disk-full-${Date.now()}`;
  const msgs = validCorpus(N, Date.now() - 3_600_000, 100);
  const want = {
    clicks: msgs.filter((m) => m.topic === TOPICS.clickstream).length,
    lines: msgs.filter((m) => m.topic === TOPICS.orders).reduce((n, m) => n + m.rows, 0),
    stock: msgs.filter((m) => m.topic === TOPICS.inventory).length,
  };
  const views = msgs
    .filter((m) => m.topic === TOPICS.clickstream)
    .filter(
      (m) => (JSON.parse(m.value.toString()) as { type: string }).type === 'product_view',
    ).length;
  const units = msgs
    .filter((m) => m.topic === TOPICS.orders)
    .flatMap((m) => (JSON.parse(m.value.toString()) as { items: { qty: number }[] }).items)
    .reduce((n, it) => n + it.qty, 0);
  const logs: { level: number; msg: string; folder?: string }[] = [];

  before(async () => {
    if (skip) return;
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    await resetStorefrontTopics(kafka);
  });

  let child: ChildHandle<Counters> | undefined;

  after(async () => {
    killAllChildren();
    await child?.exited();
    await ch?.close();
    await admin?.disconnect();
    if (!skip) {
      // lazy: this process's embedded engine may keep files in the folder open until it exits
      const r = spawnSync('umount', ['-l', mountDir]);
      if (r.status !== 0) throw new Error(`umount -l ${mountDir}: ${r.stderr?.toString()}`);
    }
    rmSync(mountDir, { recursive: true, force: true });
  });

  /** Writes `path` until the file system is full; returns the MiB written. */
  function takeTheRest(path: string): number {
    const mib = Buffer.alloc(2 ** 20);
    const fd = openSync(path, 'w');
    let written = 0;
    try {
      for (;;) written += writeSync(fd, mib);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      closeSync(fd);
    }
    return written / 2 ** 20;
  }

  const freeMb = () => {
    const s = statfsSync(mountDir);
    return (s.bavail * s.bsize) / 2 ** 20;
  };

  async function committed(): Promise<bigint> {
    let total = 0n;
    for (const topic of [TOPICS.clickstream, TOPICS.orders, TOPICS.inventory]) {
      const [g] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const p of g?.partitions ?? []) if (BigInt(p.offset) > 0n) total += BigInt(p.offset);
    }
    return total;
  }

  const alerts = new AlertEngine(loadConfig({}).monitor.alerts, 'faults');
  const readiness = new HttpReadiness([
    { name: 'aggregator', url: `http://127.0.0.1:${HTTP_PORT}` },
  ]);
  /** One monitor evaluation over the child's /health/ready: the disk-full alert, if firing. */
  async function diskAlert(): Promise<Alert | undefined> {
    alerts.evaluate(
      { groups: [], dlq: { rate: null, dead: 0, total: 0 }, readiness: await readiness.read() },
      Date.now(),
    );
    return alerts.active().find((a) => a.id === 'ClickHouseDiskFull/aggregator');
  }

  function start(): ChildHandle<Counters> {
    return startChild<Counters>({
      script: join(__dirname, '..', 'support', 'aggregator-child.js'),
      env: {
        NODE_ENV: 'test',
        KAFKA_BROKERS: testBrokers().join(','),
        CLICKHOUSE_DATA_DIR: dataDir,
        AGGREGATOR_GROUP_ID: groupId,
        AGGREGATOR_SESSION_TIMEOUT_MS: '6000',
        AGGREGATOR_RETRY_MAX_MS: '2000',
        CLICKHOUSE_INSERT_MAX_ROWS: '500',
        AGGREGATOR_MAX_BYTES_PER_PARTITION: '131072',
        FEATURES_ALLOWED_LATENESS_MS: String(30 * DAY),
        LOG_LEVEL: 'info',
        AGGREGATOR_CHILD_HTTP_PORT: String(HTTP_PORT),
      },
      onLine: (line) => {
        if (!line.startsWith('{')) return;
        if (process.env.FAULTS_DISK_LOG) appendFileSync(process.env.FAULTS_DISK_LOG, line + '\n');
        try {
          const o = JSON.parse(line) as { level: number; msg: string; folder?: string };
          if (o.level >= 40) logs.push({ level: o.level, msg: o.msg, folder: o.folder });
          else if (/space again/.test(o.msg)) logs.push(o);
        } catch {
          // not a log line
        }
      },
    });
  }

  async function counts(c: ClickHouseHandle) {
    const [r] = await queryRows<Record<string, string>>(
      c.client,
      `SELECT
         (SELECT toString(count()) FROM clickstream_events) AS clicks,
         (SELECT toString(uniqExact(event_id)) FROM clickstream_events) AS distinct_clicks,
         (SELECT toString(count()) FROM order_lines) AS lines,
         (SELECT toString(count()) FROM inventory_snapshots) AS stock,
         (SELECT toString(count()) FROM dead_letters) AS dlq,
         (SELECT toString(sum(n_events)) FROM fr_user_click_1m) AS r_user_clicks_1m,
         (SELECT toString(sum(n_views)) FROM fr_sku_click_1h) AS r_sku_views_1h,
         (SELECT toString(sum(units)) FROM fr_sku_order_1h) AS r_sku_units_1h,
         (SELECT toString(sum(n_snapshots)) FROM fr_sku_inventory_1h) AS r_stock_1h`,
    );
    return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
  }

  it(
    'stops consuming with an error naming the folder, stays up and not ready, resumes exactly once space is freed',
    { skip },
    async () => {
      const t0 = Date.now();
      mkdirSync(dataDir, { recursive: true });
      let agg = start();
      child = agg;
      await agg.ready;
      // migrated: fill the tmpfs so that FREE_MB are left, less than the produced messages need
      const fillMb = Math.floor(freeMb() - FREE_MB);
      writeFileSync(filler, Buffer.alloc(fillMb * 2 ** 20));
      const freeAtStart = freeMb();
      for (const topic of [TOPICS.clickstream, TOPICS.orders, TOPICS.inventory])
        await produce(
          kafka,
          topic,
          msgs.filter((m) => m.topic === topic).map((m) => ({ key: m.key, value: m.value })),
        );
      const total = BigInt(N);
      await waitFor(
        () => Promise.resolve(agg.last()?.diskFull != null),
        180_000,
        `the aggregator reporting the full disk (${freeMb().toFixed(1)} MiB free)`,
        250,
      );
      const fullAt = Date.now();
      const atFull = agg.last();
      const state = atFull?.diskFull;
      assert.ok(state);
      assert.equal(state.folder, dataDir, 'the state names the data folder');
      assert.match(state.error, new RegExp(`no space left in ${dataDir}`));
      // Near the limit a merge or a cleaned-up temporary part can free enough for the probe to
      // write a chunk (the state then ends and comes back at once): take the rest of the space, as
      // any other writer on a shared disk would, so the hold below is deterministic.
      const topUp = takeTheRest(join(mountDir, 'filler-2.bin'));
      // held full: nothing committed, never ready, the gauge at 1, the same process (writes that
      // had started on other partitions before the first refusal may still land: 2 s for them)
      await new Promise((r) => setTimeout(r, 2_000));
      const c0 = await committed();
      assert.ok(c0 < total, `offsets committed before the disk filled: ${c0} of ${total}`);
      let readySamples = 0;
      let samples = 0;
      let gaugeOff = 0;
      while (Date.now() - fullAt < HOLD_MS) {
        await new Promise((r) => setTimeout(r, 500));
        const k = agg.last();
        samples++;
        if (k?.ready) readySamples++;
        if (k?.diskFullGauge !== 1) gaugeOff++;
      }
      const c1 = await committed();
      const held = agg.last();
      assert.equal(agg.proc.exitCode, null, 'the aggregator is still running');
      assert.equal(agg.proc.signalCode, null);
      assert.equal(c1, c0, 'no offset committed while the disk was full');
      assert.equal(readySamples, 0, 'never ready while the disk was full');
      assert.equal(gaugeOff, 0, 'storepulse_clickhouse_disk_full stayed 1');
      assert.ok(held?.diskFull && held.diskFull.failures > 1, 'writes retried with backoff');
      const errorLogs = logs.filter((l) => l.level >= 50 && l.folder === dataDir);
      assert.ok(errorLogs.length > 0, 'an error log names the folder');
      assert.match(errorLogs[0].msg, new RegExp(`${dataDir} is full`));
      const alert = await diskAlert();
      assert.ok(
        alert,
        'the ClickHouseDiskFull alert fires from the /health/ready the child serves',
      );
      assert.equal(alert.state, 'firing');
      assert.equal(alert.severity, 'critical');
      assert.match(alert.summary, new RegExp(`no space left in ${dataDir}`));

      // a restart on the full disk (an orchestrator's, or an operator's) comes up and waits too
      const stop = await agg.kill('SIGTERM');
      assert.equal(stop.code, 0, 'stops cleanly on SIGTERM while the disk is full');
      const restartAt = Date.now();
      agg = start();
      child = agg;
      await agg.ready;
      await waitFor(
        () => Promise.resolve(agg.last()?.diskFull != null),
        120_000,
        'the restarted aggregator reporting the full disk',
        250,
      );
      const restartS = (Date.now() - restartAt) / 1000;
      // its engine may start with a little more space (the last one's reservations and temporary
      // parts are gone), so it can commit a few chunks before it is full again; then nothing
      await new Promise((r) => setTimeout(r, 2_000));
      const c2 = await committed();
      await new Promise((r) => setTimeout(r, 4_000));
      assert.equal(agg.proc.exitCode, null, 'the restarted aggregator is still running');
      assert.equal(await committed(), c2, 'nothing committed while full after the restart either');
      assert.equal(agg.last()?.ready, false);

      // free the space: the same process resumes by itself
      rmSync(filler);
      rmSync(join(mountDir, 'filler-2.bin'));
      const freedAt = Date.now();
      await waitFor(
        async () => (await committed()) === total && agg.last()?.ready === true,
        180_000,
        'every offset committed and ready again after the space was freed',
        500,
      );
      const recoveredS = (Date.now() - freedAt) / 1000;
      const fin = agg.last();
      assert.equal(fin?.diskFull, null);
      assert.equal(await diskAlert(), undefined, 'the alert resolves once space is back');
      assert.deepEqual(
        alerts
          .history()
          .filter((a) => a.rule === 'ClickHouseDiskFull')
          .map((a) => a.state)
          .reverse(),
        ['firing', 'resolved'],
      );
      assert.equal(fin?.diskFullGauge, 0, 'storepulse_clickhouse_disk_full back to 0');
      assert.ok(
        logs.some((l) => /space again/.test(l.msg)),
        'the resumption is logged',
      );
      const { code } = await agg.kill('SIGTERM');
      assert.equal(code, 0, 'a clean stop after the episode');

      ch = await createClickHouse(loadConfig({ CLICKHOUSE_DATA_DIR: dataDir }).clickhouse);
      await runMigrations(ch.client);
      const c = await counts(ch);
      console.log(
        `[faults] disk full: tmpfs ${TMPFS_MB} MiB, ${freeAtStart.toFixed(1)} MiB left free for ${N} messages; full after ${((fullAt - t0) / 1000).toFixed(1)} s with ${atFull?.stored} rows stored (the last ${topUp.toFixed(1)} MiB then taken by a filler); held ${HOLD_MS / 1000} s: ${held?.diskFull?.failures} write attempts refused, committed offsets unchanged (${c0}/${total}), not ready in ${samples}/${samples} samples, process up; restarted on the full disk: up and reporting it in ${restartS.toFixed(1)} s (${c2 - c0} offsets committed before it was full again); everything stored ${recoveredS.toFixed(1)} s after the filler was deleted (${((Date.now() - t0) / 1000).toFixed(0)} s in all; replayed ${fin?.replayedChunks}, repaired ${fin?.repairedRows}, reconciled ${fin?.reconciledGroups}); lost ${want.clicks + want.lines + want.stock - c.clicks - c.lines - c.stock}, doubled ${c.clicks - c.distinct_clicks}`,
      );
      assert.deepEqual(
        {
          clicks: c.clicks,
          distinct: c.distinct_clicks,
          lines: c.lines,
          stock: c.stock,
          dlq: c.dlq,
        },
        {
          clicks: want.clicks,
          distinct: want.clicks,
          lines: want.lines,
          stock: want.stock,
          dlq: 0,
        },
        'raw rows exact',
      );
      assert.deepEqual(
        {
          userClicks1m: c.r_user_clicks_1m,
          skuViews1h: c.r_sku_views_1h,
          units1h: c.r_sku_units_1h,
          stock1h: c.r_stock_1h,
        },
        { userClicks1m: want.clicks, skuViews1h: views, units1h: units, stock1h: want.stock },
        'rollups exact',
      );
    },
  );
});

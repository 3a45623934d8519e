import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka } from 'kafkajs';
import { loadConfig } from '@storepulse/config';
import { createClickHouse, runMigrations, type ClickHouseHandle } from '@storepulse/clickhouse';
import {
  assertExactlyOnce,
  killDelays,
  killLoop,
  produceParts,
  sigkillWorkload,
  storedVsProduced,
  type SigkillWorkload,
} from '../support/aggregator-sigkill';
import { killAllChildren } from '../support/child-process';
import { tempDir } from '../support/env';
import { resetStorefrontTopics, testKafka } from '../support/kafka';

/**
 * Fault suite, case 1: the aggregator (test/support/aggregator-child, the embedded engine in one data
 * folder) is SIGKILLed FAULTS_KILLS (10) times while FAULTS_KILL_EVENTS (200,000) simulated events
 * arrive: half are in the topics before the first start, the rest keep arriving at FAULTS_KILL_RATE
 * (2,500/s) during the kills. Each incarnation is killed 1–2.5 s after its first stored chunk, with
 * uncommitted messages left (asserted). Afterwards every raw count, every rollup measure (total and
 * per key and bucket) and every user's features equal what the TypeScript oracle computes from the
 * produced events.
 */
const N = Number(process.env.FAULTS_KILL_EVENTS ?? 200_000);
const KILLS = Number(process.env.FAULTS_KILLS ?? 10);
const RATE = Number(process.env.FAULTS_KILL_RATE ?? 2_500);
/** How long the last incarnation may take to catch up (a loaded machine ingests slowly). */
const CATCH_UP_MS = Number(process.env.FAULTS_KILL_CATCHUP_S ?? 600) * 1000;

describe('fault suite: aggregator SIGKILL ×10 during 200,000 events', () => {
  let kafka: Kafka;
  let ch: ClickHouseHandle | undefined;
  const dataDir = tempDir('faults-sigkill-chdb');
  const groupId = `faults-sigkill-${Date.now()}`;
  let w: SigkillWorkload;

  before(async () => {
    kafka = testKafka();
    await resetStorefrontTopics(kafka);
    w = sigkillWorkload(N);
  });

  after(async () => {
    killAllChildren();
    await ch?.close();
  });

  it('every raw row, rollup and user feature exact after repeated SIGKILLs mid-ingest', async () => {
    const t0 = Date.now();
    const front = Math.ceil(w.parts.length / 2);
    await produceParts(kafka, w, Number.POSITIVE_INFINITY, 0, front);
    const producing = produceParts(kafka, w, RATE, front);
    let producedAt = 0;
    void producing.then(() => (producedAt = Date.now()));
    const r = await killLoop({
      kafka,
      dataDir,
      groupId,
      kills: KILLS,
      killAfterMs: killDelays(11, 1000, 2500),
      catchUpTimeoutMs: CATCH_UP_MS,
      onProgress: (line) => console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${line}`),
      onKill: (i, k) =>
        console.log(
          `kill ${i + 1} at ${((Date.now() - t0) / 1000).toFixed(1)} s, ${k.afterMs} ms into consuming (${k.afterStoringMs} ms storing), lag ${k.lagAtKill}: stored ${k.counters?.stored} dead ${k.counters?.deadLettered} skipped ${k.counters?.skippedRedelivered} replayed ${k.counters?.replayedChunks} repaired ${k.counters?.repairedRows} reconciled ${k.counters?.reconciledGroups}`,
        ),
    });
    await producing;
    ch = await createClickHouse(loadConfig({ CLICKHOUSE_DATA_DIR: dataDir }).clickhouse);
    await runMigrations(ch.client);
    const raw = await storedVsProduced(ch, w);
    const down = r.kills.map((k) => k.downtimeMs);
    console.log(
      `[faults] aggregator-sigkill: ${N} events, kills ${r.kills.length} (${r.kills.filter((k) => k.lagAtKill > 0n).length} with uncommitted messages, lag at kill ${r.kills.map((k) => k.lagAtKill).join('/')}); all produced after ${((producedAt - t0) / 1000).toFixed(1)} s; downtime per kill (SIGKILL → consuming again) mean ${(down.reduce((a, b) => a + b, 0) / down.length / 1000).toFixed(1)} s, max ${(Math.max(...down) / 1000).toFixed(1)} s; recovery (last start → lag 0) ${(r.recoveryMs / 1000).toFixed(1)} s; replayed chunks ${r.replayedChunks}; lost ${raw.lost}, doubled ${raw.doubled}; ${((Date.now() - t0) / 1000).toFixed(0)} s so far`,
    );
    assert.equal(r.kills.length, KILLS);
    for (const [i, k] of r.kills.entries())
      assert.ok(k.lagAtKill > 0n, `kill ${i + 1} landed mid-ingest (uncommitted messages left)`);
    const rep = await assertExactlyOnce(ch, w, 'all');
    console.log(
      `[faults] aggregator-sigkill: exact — ${rep.got.clicks} clicks, ${rep.got.lines} order lines (${rep.got.units} units), ${rep.got.inventory} stock rows, ${rep.got.dead} dead letters; ${rep.rollupMeasures} rollup measures; ${rep.featureValues} feature values of ${rep.usersChecked} users; ${((Date.now() - t0) / 1000).toFixed(0)} s in all`,
    );
  });
});

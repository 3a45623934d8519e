import { after, before, describe, it } from 'node:test';
import type { Kafka } from 'kafkajs';
import { loadConfig } from '@storepulse/config';
import { createClickHouse, runMigrations, type ClickHouseHandle } from '@storepulse/clickhouse';
import {
  assertExactlyOnce,
  killDelays,
  killLoop,
  produceParts,
  sigkillWorkload,
  type SigkillWorkload,
} from './support/aggregator-sigkill';
import { killAllChildren } from './support/child-process';
import { resetStorefrontTopics, testKafka } from './support/kafka';
import { tempDir } from './support/env';

/**
 * Exactly-once under SIGKILL: the aggregator runs as a child process (test/support/aggregator-child)
 * and is killed -9 repeatedly while it ingests 200,000 simulated events; afterwards every raw count and
 * every rollup must equal totals computed independently from the produced events. The fault suite's
 * case 1 (test/faults/aggregator-sigkill.faults.spec.ts) runs the same loop with 10 kills while the
 * events keep arriving.
 */
const N = 200_000;
const KILLS = 5;

describe('aggregator exactly-once under repeated SIGKILL (child process, 200k events)', () => {
  let kafka: Kafka;
  let ch: ClickHouseHandle | undefined;
  const dataDir = tempDir('sigkill-chdb');
  const groupId = `sigkill-${Date.now()}`;
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

  it('kills the aggregator -9 repeatedly mid-ingest; nothing is lost or counted twice', async () => {
    const t0 = Date.now();
    const log: string[] = [];
    await produceParts(kafka, w, Number.POSITIVE_INFINITY);
    log.push(`all ${N} produced after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const r = await killLoop({
      kafka,
      dataDir,
      groupId,
      kills: KILLS,
      killAfterMs: killDelays(7, 2000, 4000),
      catchUpTimeoutMs: 180_000,
      onKill: (i, k) =>
        log.push(
          `kill ${i + 1} after ${k.afterMs} ms consuming: stored ${k.counters?.stored} dead ${k.counters?.deadLettered} skipped ${k.counters?.skippedRedelivered} replayed ${k.counters?.replayedChunks} repaired ${k.counters?.repairedRows} reconciled ${k.counters?.reconciledGroups}`,
        ),
    });
    log.push(
      `caught up and stopped after ${((Date.now() - t0) / 1000).toFixed(1)} s (last run: replayed ${r.last?.replayedChunks} repaired ${r.last?.repairedRows} reconciled ${r.last?.reconciledGroups})`,
    );
    console.log(log.join('\n'));

    ch = await createClickHouse(loadConfig({ CLICKHOUSE_DATA_DIR: dataDir }).clickhouse);
    await runMigrations(ch.client);
    await assertExactlyOnce(ch, w, 200);
    console.log(`replayed pending chunks across kills (last counters seen): ${r.replayedChunks}`);
  });
});

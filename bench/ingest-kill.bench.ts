import { loadConfig } from '@storepulse/config';
import { createKafka } from '@storepulse/kafka';
import { createLogger } from '@storepulse/observability';
import {
  killDelays,
  killLoop,
  produceParts,
  sigkillWorkload,
} from '../test/support/aggregator-sigkill';
import { killAllChildren, startChild } from '../test/support/child-process';
import { resetStorefrontTopics } from '../test/support/kafka';
import { tempDir } from '../test/support/env';
import type { ChildArgs, CountResult } from './ingest-peer.child';
import { peerSweep, runChild } from './ingest-peer';
import { describeSettings, peerLag } from './kafka-engine-peer';
import { benchBroker, printTable, progress } from './support';

/**
 * npm run bench -- ingest-kill   (BENCH_EVENTS, default 30000; BENCH_KILLS, default 3;
 *                                 BENCH_PEER_SETTINGS, one num_consumers/max_block_size/
 *                                 thread_per_consumer/flush_interval_ms, default 1/65536/0/1000)
 * Exactly once as a measured difference. The same workload (sigkillWorkload, no invalid messages:
 * the peer has no dead-letter path) is produced once; then each ingester consumes it from the
 * beginning and is SIGKILLed BENCH_KILLS times mid-stream, a seeded 100–900 ms after its
 * incarnation stored its first rows, and restarted on the same data folder:
 *  - StorePulse: the aggregator child of the SIGKILL e2e test (killLoop, test/support);
 *  - the peer: the process hosting the embedded engine with the Kafka tables (bench child).
 * After the last incarnation has committed everything, the data folder is opened in a fresh
 * process and compared with the produced events: raw rows lost and stored twice, and every additive
 * / distinct measure of every rollup against the produced events' totals.
 */
const N = Number(process.env.BENCH_EVENTS ?? 30_000);
const KILLS = Number(process.env.BENCH_KILLS ?? 3);
const [PEER] = peerSweep(process.env.BENCH_PEER_SETTINGS ?? '1/65536/0/1000');

async function main(): Promise<void> {
  const logger = createLogger('error', 'bench');
  const broker = await benchBroker(logger);
  const kafka = createKafka({ brokers: broker.brokers, clientId: 'bench-ingest-kill', logger });
  try {
    progress(`broker ${broker.brokers.join(',')}; generating ${N} simulated events`);
    const w = sigkillWorkload(N, 4000, 0);
    await resetStorefrontTopics(kafka);
    await produceParts(kafka, w, Infinity);
    progress(`produced ${N} messages`);
    const stamp = Date.now();

    // StorePulse: the aggregator child, killed KILLS times
    const oursDir = tempDir('bench-kill-ours');
    const ours = await killLoop({
      kafka,
      brokers: broker.brokers,
      dataDir: oursDir,
      groupId: `bench-kill-ours-${stamp}`,
      kills: KILLS,
      killAfterMs: killDelays(7, 100, 900),
      onKill: (i, k) =>
        progress(
          `aggregator: kill ${i + 1}/${KILLS} ${k.afterStoringMs} ms after its first stored rows, lag ${k.lagAtKill}`,
        ),
      onProgress: (l) => progress(`aggregator: ${l}`),
    });
    const oursLags = ours.kills.map((k) => k.lagAtKill.toString());

    // the peer: the engine's process, killed KILLS times and restarted on the same folder
    const peerDir = tempDir('bench-kill-peer');
    const peerLags = await killPeer(kafka, broker.brokers, peerDir, `bench-kill-peer-${stamp}`);

    const count = (dataDir: string, database: string) =>
      runChild<CountResult>(
        {
          mode: 'count',
          dataDir,
          database,
          brokers: broker.brokers,
          groupPrefix: 'count',
          workload: N,
        },
        'count',
      );
    progress('counting the aggregator’s folder');
    const a = await count(oursDir, loadConfig({}).clickhouse.database);
    progress('counting the peer’s folder');
    const p = await count(peerDir, 'bench_peer');
    const rollups = (c: CountResult) => {
      const over = c.rollupExcess.filter((x) => x.excess > 1e-6);
      const under = c.rollupExcess.filter((x) => x.excess < -1e-6);
      const clicks = c.rollupExcess.find(
        (x) => x.table === 'fr_user_click_1m' && x.measure === 'n_events',
      );
      return `${over.length} of ${c.rollupExcess.length} measures over, ${under.length} under (fr_user_click_1m.n_events ${clicks && clicks.excess >= 0 ? '+' : ''}${clicks?.excess ?? '?'}); rollups ≠ raw: ${c.rollupsOff.length}`;
    };
    const raw = (c: CountResult) =>
      `${c.doubled} duplicates, ${c.lost} lost (clicks ${c.got.clicks}/${c.want.clicks}, order lines ${c.got.lines}/${c.want.lines}, stock ${c.got.inventory}/${c.want.inventory})`;
    printTable(`ingest under SIGKILL: ${KILLS} kills mid-stream each, same ${N} messages`, [
      ['StorePulse aggregator: raw rows', raw(a)],
      ['StorePulse aggregator: rollups', rollups(a)],
      ['StorePulse aggregator: uncommitted messages at each kill', oursLags.join(', ')],
      [`peer (Kafka engine, ${describeSettings(PEER)}): raw rows`, raw(p)],
      ['peer: rollups', rollups(p)],
      ['peer: uncommitted messages at each kill', peerLags.join(', ')],
    ]);
  } finally {
    killAllChildren();
    await broker.stop();
  }
}

/** Kills the peer's process KILLS times mid-stream; the last incarnation runs until lag 0. */
async function killPeer(
  kafka: ReturnType<typeof createKafka>,
  brokers: string[],
  dataDir: string,
  groupPrefix: string,
): Promise<string[]> {
  const delay = killDelays(11, 100, 900);
  const lags: string[] = [];
  for (let i = 0; ; i++) {
    const args: ChildArgs = {
      mode: 'peer',
      dataDir,
      database: 'bench_peer',
      brokers,
      groupPrefix,
      install: i === 0,
      settings: PEER,
    };
    const c = startChild<{ read: number; stored: number }>({
      script: `${__dirname}/ingest-peer.child.js`,
      args: [JSON.stringify(args)],
      readyTimeoutMs: 180_000,
    });
    await c.ready;
    const t0 = Date.now();
    while (c.last() === undefined) {
      if (Date.now() - t0 > 30_000)
        throw new Error(`peer incarnation ${i + 1}: no counters in 30 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const before = c.last()?.stored ?? 0;
    if (i === KILLS) {
      // catch up: every message committed (the engine commits after the views are written)
      for (let shown = Date.now(); (await peerLag(kafka, groupPrefix)) > 0n;) {
        if (Date.now() - t0 > 300_000) throw new Error('peer: not caught up within 300 s');
        if (Date.now() - shown > 5000) {
          shown = Date.now();
          progress(`peer: catching up, stored ${c.last()?.stored ?? 0} rows`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      await c.kill('SIGTERM');
      return lags;
    }
    // each incarnation stores something before its kill, however loaded the machine
    for (;;) {
      if ((c.last()?.stored ?? 0) > before) break;
      if (Date.now() - t0 > 180_000)
        throw new Error(`peer incarnation ${i + 1}: nothing stored in 180 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const after = delay();
    await new Promise((r) => setTimeout(r, after));
    const lag = await peerLag(kafka, groupPrefix);
    await c.kill('SIGKILL');
    lags.push(lag.toString());
    progress(`peer: kill ${i + 1}/${KILLS} ${after} ms after its first stored rows, lag ${lag}`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);

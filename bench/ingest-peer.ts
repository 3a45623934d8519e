import { join } from 'node:path';
import { loadavg } from 'node:os';
import { startChild } from '../test/support/child-process';
import { tempDir } from '../test/support/env';
import type { ChildArgs, ChildResult, CountResult } from './ingest-peer.child';
import { describeSettings, type PeerSettings } from './kafka-engine-peer';
import { mib, progress } from './support';

/**
 * BENCH_PEER_SWEEP: the Kafka engine settings tried, comma-separated
 * `num_consumers/max_block_size/thread_per_consumer/flush_interval_ms` (default below).
 * kafka_num_consumers is capped by the engine at the number of physical cores (2 here).
 */
const DEFAULT_SWEEP = [
  '1/65536/0/7500',
  '1/65536/1/1000',
  '1/1048576/0/1000',
  '2/65536/0/1000',
  '2/65536/1/1000',
  '1/16384/0/1000',
];

export function peerSweep(spec = process.env.BENCH_PEER_SWEEP): PeerSettings[] {
  const list = spec ? spec.split(',') : DEFAULT_SWEEP;
  return list.map((x) => {
    const [c, b, t, f] = x.split('/').map(Number);
    if (![c, b, t, f].every((v) => Number.isInteger(v) && v >= 0) || c < 1 || b < 1)
      throw new Error(
        `BENCH_PEER_SWEEP: "${x}" is not num_consumers/max_block_size/thread_per_consumer/flush_interval_ms (integers, consumers and block ≥ 1)`,
      );
    return { numConsumers: c, maxBlockSize: b, threadPerConsumer: t === 1, flushIntervalMs: f };
  });
}

const CHILD = join(__dirname, 'ingest-peer.child.js');

/** Runs the bench child to its RESULT line, printing its progress every second. */
export async function runChild<R = ChildResult>(args: ChildArgs, label: string): Promise<R> {
  let result: R | undefined;
  const c = startChild<{ read: number; stored: number }>({
    script: CHILD,
    args: [JSON.stringify(args)],
    readyTimeoutMs: 180_000,
    onLine: (line) => {
      if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as R;
    },
  });
  const tick = setInterval(() => {
    const l = c.last();
    if (l) progress(`${label}: read ${l.read}, stored ${l.stored} rows`);
  }, 1000);
  try {
    const exit = await c.exited();
    if (result === undefined)
      throw new Error(
        `${label}: child exited without a result (code ${exit.code}, signal ${exit.signal})`,
      );
    return result;
  } finally {
    clearInterval(tick);
  }
}

interface Expected {
  clicks: number;
  lines: number;
  inventory: number;
}

/** Why a run did not store exactly the produced rows once each (undefined: it did). */
export function verdict(r: ChildResult, e: Expected): string | undefined {
  const bad: string[] = [];
  for (const k of ['clicks', 'lines', 'inventory'] as const)
    if (r.raw[k] !== e[k]) bad.push(`${k} ${r.raw[k]} ≠ ${e[k]} produced`);
  if (r.doubled !== 0) bad.push(`${r.doubled} raw rows stored twice`);
  if (r.clicksInUserRollup !== e.clicks)
    bad.push(`sum(n_events) of the user rollup ${r.clicksInUserRollup} ≠ ${e.clicks}`);
  if (r.rollupsOff.length > 0) bad.push(`rollups ≠ raw: ${r.rollupsOff.join(', ')}`);
  return bad.length > 0 ? bad.join('; ') : undefined;
}

const perEvent = (r: ChildResult, n: number) => (1000 * r.cpuMs) / n;
const rate = (r: ChildResult, n: number) => n / (r.ms / 1000);
const figures = (r: ChildResult, n: number) =>
  `${rate(r, n).toFixed(0)} events/s, ${perEvent(r, n).toFixed(2)} µs CPU/event (${(r.cpuMs / r.ms).toFixed(2)} cores), peak RSS ${mib(r.maxRssBytes)}`;

/**
 * The aggregator and every peer setting, each in a fresh process over a fresh data folder, on the
 * messages already in the storefront topics (read from the beginning by a new consumer group).
 * Each run is verified (exact raw counts, no row twice, every rollup = raw) before its figures count.
 */
export async function peerRows(
  brokers: string[],
  n: number,
  expected: Expected,
  aggEnv: Record<string, string>,
): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  const stamp = Date.now();
  progress('StorePulse aggregator in its own process (exactly once)');
  const ours = await runChild(
    {
      mode: 'aggregator',
      dataDir: tempDir('bench-ingest-child'),
      database: 'bench_child',
      brokers,
      groupPrefix: `bench-child-${stamp}`,
      env: aggEnv,
      expected,
    },
    'aggregator',
  );
  const oursBad = verdict(ours, expected);
  progress(`aggregator: ${figures(ours, n)}${oursBad ? `; NOT EXACT: ${oursBad}` : '; verified'}`);
  rows.push([
    'StorePulse aggregator, own process (exactly once)',
    `${figures(ours, n)}; ${oursBad ? `NOT EXACT: ${oursBad}` : 'verified exact'}`,
  ]);
  let best: { s: PeerSettings; r: ChildResult } | undefined;
  const sweep = peerSweep();
  for (const [i, s] of sweep.entries()) {
    const label = `peer ${i + 1}/${sweep.length} (${describeSettings(s)})`;
    progress(label);
    const r = await runChild(
      {
        mode: 'peer',
        dataDir: tempDir('bench-ingest-peer'),
        database: 'bench_peer',
        brokers,
        groupPrefix: `bench-peer-${stamp}-${i}`,
        install: true,
        settings: s,
        expected,
      },
      `peer ${i + 1}/${sweep.length}`,
    );
    const bad = verdict(r, expected);
    progress(`${label}: ${figures(r, n)}${bad ? `; NOT EXACT: ${bad}` : '; verified'}`);
    rows.push([
      `peer: ${describeSettings(s)}`,
      `${figures(r, n)}; ${bad ? `NOT EXACT: ${bad}` : 'verified exact'}`,
    ]);
    if (!bad && (!best || r.ms < best.r.ms)) best = { s, r };
  }
  if (best) {
    rows.push(
      [
        'peer, best (ClickHouse Kafka engine → same raw tables → same 13 rollup views)',
        `${figures(best.r, n)}; ${describeSettings(best.s)}; views: ${best.r.views.length} rollups`,
      ],
      [
        'StorePulse ÷ peer: events/s; CPU per event',
        `${(rate(ours, n) / rate(best.r, n)).toFixed(2)} ×; ${(perEvent(ours, n) / perEvent(best.r, n)).toFixed(2)} × (targets ≥ 1.0 and ≤ 1.0)`,
      ],
    );
  } else rows.push(['peer, best', 'no peer run stored exactly the produced rows']);
  rows.push([
    'load average 1/5/15 min (end of the run)',
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' / '),
  ]);
  return rows;
}

export type { CountResult };

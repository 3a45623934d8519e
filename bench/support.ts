import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from '@storepulse/observability';
import { startLocalBroker, type LocalBroker } from '@storepulse/runtime';
import { Storefront } from '@storepulse/simulator';
import type { KafkaMessage } from 'kafkajs';
import { insertIdempotent, type ClickHouseHandle } from '@storepulse/clickhouse';
import { RAW_TABLE_BY_TOPIC, prepareChunk } from '@storepulse/aggregator';

export function machine(): Record<string, string> {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: String(c.length),
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

/** Prints a two-column table: the command, the figures, then the machine. */
export function printTable(title: string, rows: [string, string][]): void {
  const all: [string, string][] = [
    ['command', process.env.BENCH_COMMAND ?? `node ${process.argv.slice(1).join(' ')}`],
    ...rows,
    ...Object.entries(machine()),
  ];
  const w = Math.max(...all.map(([k]) => k.length));
  const v = Math.max(...all.map(([, x]) => x.length));
  const line = `+${'-'.repeat(w + 2)}+${'-'.repeat(v + 2)}+`;
  console.log(`\n${title}\n${line}`);
  for (const [k, x] of all) console.log(`| ${k.padEnd(w)} | ${x.padEnd(v)} |`);
  console.log(line);
}

export function progress(msg: string): void {
  process.stdout.write(`[bench] ${msg}\n`);
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/**
 * KAFKA_BROKERS when set (must be a broker this benchmark may reset the storefront topics on),
 * otherwise a private local broker on BENCH_KAFKA_PORT (default 19592) in .data/kafka-bench.
 */
export async function benchBroker(logger: Logger): Promise<LocalBroker> {
  const b = process.env.KAFKA_BROKERS;
  if (b) return { brokers: b.split(','), started: false, stop: () => Promise.resolve() };
  const root = resolve(__dirname, '..', '..');
  return startLocalBroker(
    Number(process.env.BENCH_KAFKA_PORT ?? 19592),
    { ...process.env, KAFKA_DATA_DIR: join(root, '.data', 'kafka-bench') },
    logger,
  );
}

/** Samples RSS every 100 ms; `peak()` is the highest seen (and the OS max RSS). */
export function rssSampler(): { peak: () => number; stop: () => void } {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  t.unref();
  return {
    peak: () => Math.max(peak, process.resourceUsage().maxRSS * 1024),
    stop: () => clearInterval(t),
  };
}

/** The simulated storefront of the ingest benches (`ingest` and `engine` measure the same events). */
/** Days of history `ingestStorefront` simulates (well inside the broker's 7-day retention). */
export const INGEST_HISTORY_DAYS = 3;

export function ingestStorefront(): Storefront {
  return new Storefront({
    seed: 9,
    users: 20_000,
    skus: 1_000,
    invalidRate: 0,
    startMs: Date.now() - INGEST_HISTORY_DAYS * 86_400_000,
  });
}

/**
 * Wall time and process CPU (all threads: JS, engine, kafkajs) of one bench phase, from its first
 * message (`start`, idempotent) to its end (`stop`, first call wins).
 */
export class PhaseClock {
  private first = 0;
  private last = 0;
  private cpu0 = process.cpuUsage();
  private cpu: NodeJS.CpuUsage | undefined;

  start(): void {
    if (this.first !== 0) return;
    this.first = Date.now();
    this.cpu0 = process.cpuUsage();
  }

  stop(): void {
    if (this.last !== 0 || this.first === 0) return;
    this.last = Date.now();
    this.cpu = process.cpuUsage(this.cpu0);
  }

  /** Rate of `n` items over the phase, its seconds, and the cores the process used meanwhile. */
  result(n: number): { rate: number; seconds: number; cores: number } {
    const ms = this.last - this.first;
    const cpuMs = this.cpu ? (this.cpu.user + this.cpu.system) / 1000 : NaN;
    return { rate: n / (ms / 1000), seconds: ms / 1000, cores: cpuMs / ms };
  }
}

/**
 * Simulated history straight into the raw tables (the aggregator's own row preparation and idempotent
 * inserts, so the rollup views run as in production; no broker). Returns the messages loaded.
 */
export async function loadRawHistory(
  ch: ClickHouseHandle,
  sf: Storefront,
  endMs: number,
  eventsPerDay: number,
): Promise<number> {
  let events = 0;
  let offset = 0;
  const t0 = Date.now();
  for (const chunk of sf.history(endMs, eventsPerDay, 50_000)) {
    const byTopic = new Map<string, KafkaMessage[]>();
    for (const m of chunk) {
      const l = byTopic.get(m.topic) ?? [];
      l.push({ key: null, value: m.value, offset: String(offset++) } as unknown as KafkaMessage);
      byTopic.set(m.topic, l);
    }
    for (const [topic, msgs] of byTopic) {
      const p = prepareChunk(msgs, {
        topic,
        partition: 0,
        consumerGroup: 'bench',
        now: new Date(),
      });
      await insertIdempotent(
        ch.client,
        RAW_TABLE_BY_TOPIC[topic as keyof typeof RAW_TABLE_BY_TOPIC],
        p.rows,
        `bench/${topic}/${msgs[0]?.offset}`,
        { maxRows: 100_000, maxBytes: 64 << 20 },
      );
    }
    events += chunk.length;
    progress(
      `${events} events loaded, simulated ${new Date(sf.now).toISOString().slice(0, 10)}, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  }
  return events;
}

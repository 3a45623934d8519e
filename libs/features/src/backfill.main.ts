import { configFromProcessEnv } from '@storepulse/config';
import { createClickHouse, runMigrations } from '@storepulse/clickhouse';
import { backfillRollups } from './backfill';
import { verifyRollups } from './verify';

/**
 * npm run features:backfill -- [--from ISO] [--to ISO] [--table fr_…]… [--verify]
 * Rebuilds the feature rollups from the raw tables (CLICKHOUSE_URL, or the embedded engine in
 * CLICKHOUSE_DATA_DIR when no other process holds it). Stop the aggregator first.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const ms = (name: string): number | undefined => {
    const v = opt(name);
    if (v === undefined) return undefined;
    const t = Date.parse(v);
    if (Number.isNaN(t)) throw new Error(`${name} must be an ISO timestamp, got ${v}`);
    return t;
  };
  const tables = args.flatMap((a, i) => (a === '--table' && args[i + 1] ? [args[i + 1]] : []));
  const config = configFromProcessEnv();
  const ch = await createClickHouse(config.clickhouse);
  try {
    await runMigrations(ch.client, undefined, { lock: ch.mode === 'server' ? {} : false });
    const started = Date.now();
    const r = await backfillRollups(ch.client, {
      fromMs: ms('--from'),
      toMs: ms('--to'),
      tables: tables.length > 0 ? tables : undefined,
      onProgress: (p) => {
        const pct = ((100 * p.done) / p.total).toFixed(1).padStart(5);
        process.stdout.write(
          `[backfill] ${pct}%  ${p.table.padEnd(22)} ${p.day}  ${String(p.rows).padStart(8)} raw rows  ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
        );
      },
    });
    console.log(
      `[backfill] done: ${r.tables} tables × ${r.days} days, ${r.rows} raw rows read, ${(r.ms / 1000).toFixed(1)} s`,
    );
    if (args.includes('--verify')) {
      const checks = await verifyRollups(ch.client);
      for (const c of checks)
        console.log(`[verify] ${c.ok ? 'ok  ' : 'DIFF'} ${c.table} (${c.rollup.groups} groups)`);
      if (checks.some((c) => !c.ok)) process.exitCode = 1;
    }
  } finally {
    await ch.close();
  }
}

main().catch((e: unknown) => {
  console.error(`backfill failed: ${(e as Error).message}`);
  process.exit(1);
});

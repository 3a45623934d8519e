import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type AppConfig } from '@storepulse/config';
import { createLogger, type Logger } from '@storepulse/observability';

/** Brokers of the test Kafka (scripts/test.mjs starts one when KAFKA_BROKERS is unset). */
export function testBrokers(): string[] {
  const b = process.env.KAFKA_BROKERS;
  if (!b)
    throw new Error(
      'KAFKA_BROKERS is not set: run integration tests through `npm test` / scripts/test.mjs, which starts the local broker',
    );
  return b.split(',');
}

/**
 * The first of `count` consecutive TCP ports for the HTTP servers a test starts itself. The block
 * lies below Linux's ephemeral range (ip_local_port_range starts at 32768), so an outgoing
 * connection (a Kafka client's, a health probe's) can never hold one of these ports when the server
 * binds it; the stop-22 CI run failed on exactly that (EADDRINUSE on 33898, a port the old pid-based
 * 31000-35000 scheme picked inside the ephemeral range). e2e files run one at a time, and the pid
 * spreads the block so two checkouts' runs rarely meet.
 */
export function testPortBlock(count: number): number {
  const low = 20_000;
  const high = 32_768 - count;
  return low + ((process.pid * 7) % (high - low));
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `storepulse-${prefix}-`));
}

export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    KAFKA_BROKERS: testBrokers().join(','),
    CLICKHOUSE_DATA_DIR: tempDir('chdb'),
    // A ClickHouse server (testcontainers or CLICKHOUSE_URL) wins over the embedded engine; each
    // test then gets its own database.
    ...(process.env.CLICKHOUSE_URL
      ? {
          CLICKHOUSE_URL: process.env.CLICKHOUSE_URL,
          CLICKHOUSE_USER: process.env.CLICKHOUSE_USER ?? 'default',
          CLICKHOUSE_PASSWORD: process.env.CLICKHOUSE_PASSWORD ?? '',
          CLICKHOUSE_DATABASE: `test_${process.pid}_${Date.now()}`,
        }
      : {}),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    HTTP_PORT: '0',
    ...overrides,
  });
}

export function testLogger(): Logger {
  return createLogger((process.env.TEST_LOG_LEVEL as 'warn' | undefined) ?? 'warn', 'test');
}

export function outputDir(): string {
  return process.env.TEST_OUTPUT_DIR ?? tempDir('out');
}

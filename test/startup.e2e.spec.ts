import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { testBrokers } from './support/env';

const ROOT = resolve(__dirname, '..', '..');
const run = (app: string, env: Record<string, string>) =>
  spawnSync(process.execPath, [join(ROOT, 'dist', 'apps', app, 'src', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('start-up errors are precise', () => {
  it('an invalid variable stops the process naming the variable and the rule', () => {
    const r = run('platform', { HTTP_PORT: 'eighty', KAFKA_BROKERS: 'localhost' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /HTTP_PORT: must be a number \(got "eighty"\)/);
    assert.match(r.stderr, /KAFKA_BROKERS: must be host:port/);
  });

  it('the standalone aggregator without CLICKHOUSE_URL says the embedded engine is single-process', () => {
    const r = run('aggregator', { KAFKA_BROKERS: testBrokers().join(','), LOG_LEVEL: 'silent' });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /CLICKHOUSE_URL is not set\. The embedded ClickHouse engine belongs to one process/,
    );
  });

  it('the standalone simulator without KAFKA_BROKERS asks for it', () => {
    const r = run('simulator', { LOG_LEVEL: 'silent' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /KAFKA_BROKERS is not set/);
  });
});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { TOPIC_SPECS } from '@storepulse/contracts';
import { ensureTopics } from '@storepulse/kafka';
import { newWriteKey } from '@storepulse/collector';
import { testKafka } from './support/kafka';
import { tempDir, testConfig } from './support/env';
import { post, startCollector, type RunningCollector } from './support/collector';

/**
 * Issue #13: write keys change without a restart. The running collector re-reads
 * COLLECTOR_KEYS_FILE every COLLECTOR_KEYS_RELOAD_MS and on SIGHUP: a key revoked in the file is
 * refused (403) within that bound, a new key is accepted, a broken file keeps the keys in use.
 */
const RELOAD_MS = 300;
const hex = (entry: string) => entry.split(':')[1];
type Entry = { storefront: string; sha256: string; revoked?: boolean };

describe('collector: write keys reloaded from the keys file without a restart', () => {
  const run = randomUUID().slice(0, 8);
  const a = newWriteKey('shopA');
  const b = newWriteKey('shopB');
  const c = newWriteKey('shopC');
  const dir = tempDir('keys');
  const file = join(dir, 'keys.json');
  /** Replaces the file atomically (write + rename), as a deployment tool would. */
  const writeKeys = (keys: Entry[] | string) => {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, typeof keys === 'string' ? keys : JSON.stringify({ keys }));
    renameSync(tmp, file);
  };
  const A: Entry = { storefront: 'shopA', sha256: hex(a.configEntry) };
  const B: Entry = { storefront: 'shopB', sha256: hex(b.configEntry) };
  const C: Entry = { storefront: 'shopC', sha256: hex(c.configEntry) };
  let kafka: Kafka;
  const running: RunningCollector[] = [];

  const send = async (col: RunningCollector, key: string) => {
    const r = await post(
      `${col.url}/v1/inventory`,
      JSON.stringify({
        sku: `KEY-${run}`,
        on_hand: 1,
        on_order: 0,
        lead_time_days: 1,
        ts: new Date().toISOString(),
      }),
      { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    );
    return r;
  };
  /** ms until `key` gets `status` (polled every 25 ms, at most `withinMs`). */
  const until = async (col: RunningCollector, key: string, status: number, withinMs: number) => {
    const t0 = Date.now();
    for (;;) {
      const r = await send(col, key);
      if (r.status === status) return Date.now() - t0;
      if (Date.now() - t0 > withinMs)
        assert.fail(`still ${r.status} (${r.text}) after ${withinMs} ms, expected ${status}`);
      await new Promise((res) => setTimeout(res, 25));
    }
  };

  before(async () => {
    kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, TOPIC_SPECS, 3, 1);
    await admin.disconnect();
  });
  after(async () => {
    for (const col of running) await col.close();
  });

  it('on file change: revoked → 403 within the reload interval, a new key accepted, a broken file ignored', async () => {
    writeKeys([A, B]);
    const col = await startCollector(
      testConfig({ COLLECTOR_KEYS_FILE: file, COLLECTOR_KEYS_RELOAD_MS: String(RELOAD_MS) }),
      kafka,
    );
    running.push(col);
    assert.equal((await send(col, a.key)).status, 200);
    assert.equal((await send(col, c.key)).status, 403);

    writeKeys([{ ...A, revoked: true }, B, C]);
    const t = Date.now();
    await until(col, a.key, 403, RELOAD_MS * 2 + 500);
    const revokedAfter = Date.now() - t;
    const r = await send(col, a.key);
    assert.match(r.text, /write key of storefront shopA is revoked/);
    assert.equal((await send(col, b.key)).status, 200);
    assert.equal((await send(col, c.key)).status, 200, 'the added key');

    writeKeys('{"keys": [ not json');
    await new Promise((res) => setTimeout(res, RELOAD_MS * 3));
    assert.equal((await send(col, b.key)).status, 200, 'a broken file keeps the keys in use');
    assert.equal((await send(col, a.key)).status, 403);
    const metrics = await (await fetch(`${col.url}/metrics`)).text();
    assert.match(
      metrics,
      /storepulse_collector_key_reloads_total\{trigger="timer",outcome="failed"\} [1-9]/,
    );
    assert.match(metrics, /storepulse_collector_write_keys\{state="revoked"\} 1/);

    writeKeys([B]);
    await until(col, c.key, 403, RELOAD_MS * 2 + 500);
    console.log(
      `key reload: revoked key refused ${revokedAfter} ms after the file changed (interval ${RELOAD_MS} ms)`,
    );
  });

  it('on SIGHUP (interval off): the file is re-read at once', async () => {
    writeKeys([A, B]);
    const col = await startCollector(
      testConfig({ COLLECTOR_KEYS_FILE: file, COLLECTOR_KEYS_RELOAD_MS: '0' }),
      kafka,
    );
    running.push(col);
    assert.equal((await send(col, a.key)).status, 200);
    writeKeys([{ ...A, revoked: true }, B]);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal((await send(col, a.key)).status, 200, 'no timer: nothing re-read yet');
    process.kill(process.pid, 'SIGHUP');
    const ms = await until(col, a.key, 403, 1000);
    assert.equal((await send(col, b.key)).status, 200);
    console.log(`key reload: revoked key refused ${ms} ms after SIGHUP`);
  });
});

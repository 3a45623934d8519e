// Integration tests of the model registry on the real ClickHouse engine (embedded, or the server
// of the test run): versions, champion/challenger transitions, rollback through the event history,
// the served-at audit, byte-exact artifacts with checksum checks, concurrent registers, and list
// queries that never read artifacts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  createClickHouse,
  queryRows,
  runMigrations,
  type ClickHouseHandle,
} from '@storepulse/clickhouse';
import { testConfig } from '../../../../test/support/env';
import { readModelBuffer, saveModelToBuffer } from '../model-io';
import { buildMlp, MLP_INPUTS } from '../models';
import { getTf } from '../tf-provider';
import {
  ModelRegistry,
  RegistryError,
  type NewModelVersion,
  type RegistryErrorCode,
} from './registry';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const MIN = 60_000;

function version(name: string, over: Partial<NewModelVersion> = {}): NewModelVersion {
  return {
    name,
    kind: 'propensity',
    horizon: '7d',
    parentVersion: null,
    trainingFrom: new Date(T0 - 28 * 24 * 3_600_000),
    trainingTo: T0 - 3_600_000,
    featureNames: ['user_views_7d', 'user_carts_7d'],
    catalogHash: 'cat-abc',
    metrics: { auc: 0.81, logLoss: 0.42, folds: [0.8, 0.82], note: 'ok' },
    ...over,
  };
}

const art = (seed: number): Buffer => Buffer.from([0x00, seed & 0xff, 0xc3, 0x28, 0xff, 0x00]);

async function rejectsWith(
  p: Promise<unknown>,
  code: RegistryErrorCode,
  message: RegExp,
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RegistryError, `a RegistryError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  });
}

/** The same client, with a cap on the bytes any read may scan (ClickHouse max_bytes_to_read). */
function readCapped(client: ClickHouseClient, maxBytes: number): ClickHouseClient {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'query') {
        const query: ClickHouseClient['query'] = (params) =>
          target.query({
            ...params,
            clickhouse_settings: {
              ...params.clickhouse_settings,
              max_bytes_to_read: String(maxBytes),
            },
          });
        return query;
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

void describe('ModelRegistry on ClickHouse', () => {
  let ch: ClickHouseHandle;
  let t = T0;
  let reg: ModelRegistry;
  before(async () => {
    ch = await createClickHouse(testConfig().clickhouse);
    await runMigrations(ch.client);
    reg = new ModelRegistry(ch.client, () => t);
  });
  after(async () => {
    await ch?.close();
  });

  void it('registers numbered candidates with their metadata and a registered event', async () => {
    t = T0;
    const v1 = await reg.register(version('reg_basic'), art(1));
    t = T0 + MIN;
    const v2 = await reg.register(
      version('reg_basic', { parentVersion: 1, metrics: { auc: 0.83, logLoss: 0.4 } }),
      art(2),
      { actor: 'api', reason: 'manual upload' },
    );
    assert.equal(v1.version, 1);
    assert.equal(v2.version, 2);
    const got = await reg.get('reg_basic', 1);
    assert.deepEqual(got, {
      name: 'reg_basic',
      version: 1,
      kind: 'propensity',
      horizon: '7d',
      parentVersion: null,
      trainingFrom: T0 - 28 * 24 * 3_600_000,
      trainingTo: T0 - 3_600_000,
      featureNames: ['user_views_7d', 'user_carts_7d'],
      catalogHash: 'cat-abc',
      metrics: { auc: 0.81, logLoss: 0.42, folds: [0.8, 0.82], note: 'ok' },
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0).toISOString(),
      status: 'candidate',
      artifactSha256: v1.artifactSha256,
      artifactBytes: 6,
    });
    assert.deepEqual(got, v1, 'register returns what get reads back');
    assert.equal((await reg.get('reg_basic', 2))?.parentVersion, 1);
    assert.equal(await reg.get('reg_basic', 3), null);
    assert.equal(await reg.championVersion('reg_basic'), null);
    assert.equal(await reg.champion('reg_basic'), null);
    assert.deepEqual(
      (await reg.list({ name: 'reg_basic' })).map((v) => v.version),
      [2, 1],
      'newest first',
    );
    assert.deepEqual(await reg.events({ name: 'reg_basic' }), [
      {
        name: 'reg_basic',
        version: 2,
        event: 'registered',
        reason: 'manual upload',
        actor: 'api',
        at: new Date(T0 + MIN).toISOString(),
        fromVersion: null,
      },
      {
        name: 'reg_basic',
        version: 1,
        event: 'registered',
        reason: '',
        actor: 'trainer',
        at: new Date(T0).toISOString(),
        fromVersion: null,
      },
    ]);
  });

  void it('refuses invalid registrations with the field and the reason', async () => {
    await reg.register(version('reg_invalid'), art(1));
    await rejectsWith(
      reg.register(version('reg_invalid', { kind: 'demand', horizon: '28d' }), art(2)),
      'KIND_MISMATCH',
      /reg_invalid is a propensity model \(v1\); cannot register a demand version/,
    );
    await rejectsWith(
      reg.register(version('reg_invalid', { parentVersion: 9 }), art(2)),
      'UNKNOWN_PARENT',
      /reg_invalid: parent version v9 does not exist/,
    );
    await rejectsWith(
      reg.register(version('reg_invalid', { metrics: { auc: NaN } }), art(2)),
      'INVALID_INPUT',
      /reg_invalid: metrics\.auc is NaN, not JSON-serialisable/,
    );
    await rejectsWith(
      reg.register(version('reg_invalid', { featureNames: ['a', 'a'] }), art(2)),
      'INVALID_INPUT',
      /feature name 'a' appears twice/,
    );
    await rejectsWith(
      reg.register(version('reg_invalid', { trainingFrom: T0, trainingTo: T0 }), art(2)),
      'INVALID_INPUT',
      /trainingFrom \(.*\) must be before trainingTo/,
    );
    await rejectsWith(
      reg.register(version('Bad Name'), art(2)),
      'INVALID_INPUT',
      /model name "Bad Name" must match/,
    );
    await rejectsWith(
      reg.register(version('reg_invalid'), Buffer.alloc(0)),
      'INVALID_INPUT',
      /the artifact must be a non-empty Buffer/,
    );
    assert.deepEqual(
      (await reg.list({ name: 'reg_invalid' })).map((v) => v.version),
      [1],
      'nothing half-registered',
    );
  });

  void it('promotes to champion, retires the previous champion, and records from_version', async () => {
    t = T0;
    await reg.register(version('reg_promote'), art(1));
    await reg.register(version('reg_promote'), art(2));
    t = T0 + MIN;
    await reg.promote('reg_promote', 1, 'first model beats baseline', 'gate');
    assert.equal(await reg.championVersion('reg_promote'), 1);
    assert.equal((await reg.get('reg_promote', 1))?.status, 'champion');
    t = T0 + 2 * MIN;
    await reg.promote('reg_promote', 2, 'auc 0.83 >= 0.805', 'gate');
    assert.equal(await reg.championVersion('reg_promote'), 2);
    const champ = await reg.champion('reg_promote');
    assert.equal(champ?.version, 2);
    assert.equal(champ?.updatedAt, new Date(T0 + 2 * MIN).toISOString());
    assert.equal((await reg.get('reg_promote', 1))?.status, 'retired');
    assert.deepEqual(
      (await reg.list({ name: 'reg_promote' })).map((v) => [v.version, v.status]),
      [
        [2, 'champion'],
        [1, 'retired'],
      ],
    );
    const [last, first] = await reg.events({ name: 'reg_promote', limit: 2 });
    assert.deepEqual(
      [last, first].map((e) => [e?.event, e?.version, e?.fromVersion, e?.actor, e?.reason]),
      [
        ['promoted', 2, 1, 'gate', 'auc 0.83 >= 0.805'],
        ['promoted', 1, null, 'gate', 'first model beats baseline'],
      ],
    );
    await rejectsWith(
      reg.promote('reg_promote', 2, 'again', 'api'),
      'INVALID_TRANSITION',
      /cannot promote reg_promote v2: it is already the champion/,
    );
  });

  void it('rejects candidates only, and refuses invalid transitions naming model and version', async () => {
    await reg.register(version('reg_reject'), art(1));
    await reg.register(version('reg_reject'), art(2));
    await reg.promote('reg_reject', 1, 'first', 'gate');
    await reg.reject('reg_reject', 2, 'auc 0.70 < 0.795 (champion 0.8 − 0.005)', 'gate');
    assert.equal((await reg.get('reg_reject', 2))?.status, 'rejected');
    const [e] = await reg.events({ name: 'reg_reject', limit: 1 });
    assert.deepEqual(
      [e?.event, e?.version, e?.reason, e?.actor],
      ['rejected', 2, 'auc 0.70 < 0.795 (champion 0.8 − 0.005)', 'gate'],
    );
    await rejectsWith(
      reg.promote('reg_reject', 2, 'try', 'api'),
      'INVALID_TRANSITION',
      /cannot promote reg_reject v2: it is rejected/,
    );
    await rejectsWith(
      reg.reject('reg_reject', 1, 'try', 'api'),
      'INVALID_TRANSITION',
      /cannot reject reg_reject v1: it is the champion/,
    );
    await rejectsWith(
      reg.reject('reg_reject', 2, 'again', 'api'),
      'INVALID_TRANSITION',
      /cannot reject reg_reject v2: it is rejected, only candidates can be rejected/,
    );
    await rejectsWith(
      reg.promote('reg_reject', 7, 'try', 'api'),
      'UNKNOWN_VERSION',
      /reg_reject v7 does not exist/,
    );
    await rejectsWith(
      reg.reject('reg_unknown', 1, 'try', 'api'),
      'UNKNOWN_VERSION',
      /reg_unknown v1 does not exist/,
    );
    await rejectsWith(
      reg.promote('reg_reject', 1, '', 'api'),
      'INVALID_INPUT',
      /reg_reject v1: reason must be a non-empty string/,
    );
    assert.equal(await reg.championVersion('reg_reject'), 1, 'refused transitions change nothing');
  });

  void it('rolls back to the previous champion from the history, not version − 1', async () => {
    for (let i = 1; i <= 4; i++) await reg.register(version('reg_rollback'), art(i));
    await rejectsWith(
      reg.rollback('reg_rollback', 'bad', 'api'),
      'NO_CHAMPION',
      /cannot roll back reg_rollback: it has no champion/,
    );
    await reg.promote('reg_rollback', 1, 'first', 'gate');
    await reg.promote('reg_rollback', 2, 'better', 'gate');
    await reg.reject('reg_rollback', 3, 'worse', 'gate');
    await reg.promote('reg_rollback', 4, 'better', 'gate');

    const restored = await reg.rollback('reg_rollback', 'conversion dropped', 'api');
    assert.equal(restored.version, 2, 'v3 was never champion');
    assert.equal(restored.status, 'champion');
    assert.deepEqual(restored, await reg.get('reg_rollback', 2));
    assert.equal(await reg.championVersion('reg_rollback'), 2);
    assert.equal((await reg.get('reg_rollback', 4))?.status, 'retired');
    assert.equal((await reg.get('reg_rollback', 3))?.status, 'rejected');
    const [e] = await reg.events({ name: 'reg_rollback', limit: 1 });
    assert.deepEqual(
      [e?.event, e?.version, e?.fromVersion, e?.reason, e?.actor],
      ['rolled_back', 2, 4, 'conversion dropped', 'api'],
    );

    assert.equal((await reg.rollback('reg_rollback', 'still bad', 'api')).version, 1);
    await rejectsWith(
      reg.rollback('reg_rollback', 'again', 'api'),
      'NO_PREVIOUS_CHAMPION',
      /cannot roll back reg_rollback v1: no previous champion in its history/,
    );
    // re-promoting a retired version is a new step in the history
    await reg.promote('reg_rollback', 4, 'fixed upstream', 'api');
    assert.equal((await reg.rollback('reg_rollback', 'not fixed', 'api')).version, 1);
  });

  void it('answers which version served at any instant (servedAt)', async () => {
    t = T0;
    for (let i = 1; i <= 3; i++) await reg.register(version('reg_audit'), art(i));
    t = T0 + 10 * MIN;
    await reg.promote('reg_audit', 1, 'first', 'gate');
    t = T0 + 20 * MIN;
    await reg.promote('reg_audit', 2, 'better', 'gate');
    t = T0 + 30 * MIN;
    await reg.rollback('reg_audit', 'incident', 'api');
    t = T0 + 40 * MIN;
    await reg.promote('reg_audit', 3, 'better', 'gate');
    const at = async (ms: number) => reg.servedAt('reg_audit', ms);
    assert.equal(await at(T0 + 5 * MIN), null, 'before the first promotion');
    assert.equal(await at(T0 + 10 * MIN - 1), null);
    assert.equal(await at(T0 + 10 * MIN), 1, 'from the promotion instant');
    assert.equal(await at(T0 + 15 * MIN), 1);
    assert.equal(await at(T0 + 20 * MIN - 1), 1);
    assert.equal(await at(T0 + 25 * MIN), 2);
    assert.equal(await at(T0 + 35 * MIN), 1, 'after the rollback');
    assert.equal(await at(T0 + 45 * MIN), 3);
    assert.equal(await reg.servedAt('reg_never', T0 + 45 * MIN), null);
  });

  void it('keeps the audit ordered when the clock stands still or goes back', async () => {
    t = T0 + 1000 * MIN;
    await reg.register(version('reg_clock'), art(1));
    await reg.register(version('reg_clock'), art(2));
    await reg.promote('reg_clock', 1, 'first', 'gate');
    t = T0 + 999 * MIN; // clock stepped back
    await reg.promote('reg_clock', 2, 'better', 'gate');
    assert.equal(await reg.championVersion('reg_clock'), 2);
    const events = await reg.events({ name: 'reg_clock' });
    assert.deepEqual(
      events.map((e) => [e.event, e.version, e.at]),
      [
        ['promoted', 2, new Date(T0 + 1000 * MIN + 3).toISOString()],
        ['promoted', 1, new Date(T0 + 1000 * MIN + 2).toISOString()],
        ['registered', 2, new Date(T0 + 1000 * MIN + 1).toISOString()],
        ['registered', 1, new Date(T0 + 1000 * MIN).toISOString()],
      ],
    );
    assert.equal((await reg.rollback('reg_clock', 'back', 'api')).version, 1);
  });

  void it('returns artifacts byte-exact (NUL, invalid UTF-8, a real model buffer) and detects corruption', async () => {
    const every = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    const invalidUtf8 = Buffer.from([0x00, 0x00, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xff]);
    const { tf } = await getTf({ backend: 'cpu', log: () => undefined });
    const model = buildMlp(tf);
    const names = Array.from({ length: MLP_INPUTS }, (_, i) => `f${i}`);
    const real = await saveModelToBuffer(tf, model, {
      featureNames: names,
      means: names.map(() => 0),
      stds: names.map(() => 1),
    });
    model.dispose();
    const inputs = [every, invalidUtf8, real];
    for (const bytes of inputs) await reg.register(version('reg_artifact'), bytes);
    for (const [i, bytes] of inputs.entries()) {
      const back = await reg.artifact('reg_artifact', i + 1);
      assert.ok(back.equals(bytes), `artifact v${i + 1} is byte-exact`);
      assert.equal((await reg.get('reg_artifact', i + 1))?.artifactBytes, bytes.length);
    }
    assert.equal(
      readModelBuffer(await reg.artifact('reg_artifact', 3)).header.format,
      'storepulse-tf-model',
    );

    // corrupt v1 in storage (a newer row with the bytes reversed, same length)
    await ch.client.command({
      query: `INSERT INTO models SELECT * REPLACE (
          base64Encode(reverse(base64Decode(artifact))) AS artifact,
          updated_at + toIntervalMillisecond(1) AS updated_at)
        FROM models FINAL WHERE name = 'reg_artifact' AND version = 1`,
    });
    await rejectsWith(
      reg.artifact('reg_artifact', 1),
      'ARTIFACT_CORRUPT',
      /reg_artifact v1: artifact sha256 [0-9a-f]{64} does not match the registered [0-9a-f]{64}/,
    );
    // truncated v2
    await ch.client.command({
      query: `INSERT INTO models SELECT * REPLACE (
          base64Encode(substring(base64Decode(artifact), 1, 4)) AS artifact,
          updated_at + toIntervalMillisecond(1) AS updated_at)
        FROM models FINAL WHERE name = 'reg_artifact' AND version = 2`,
    });
    await rejectsWith(
      reg.artifact('reg_artifact', 2),
      'ARTIFACT_CORRUPT',
      /reg_artifact v2: artifact is 4 bytes, expected 10/,
    );
    await rejectsWith(
      reg.artifact('reg_artifact', 9),
      'UNKNOWN_VERSION',
      /reg_artifact v9 does not exist/,
    );
  });

  void it('gives concurrent registers of one name distinct, consecutive versions', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => reg.register(version('reg_race'), art(i))),
    );
    assert.deepEqual(
      results.map((r) => r.version).sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    const [row] = await queryRows<{ n: string; v: string }>(
      ch.client,
      "SELECT toString(count()) AS n, toString(uniqExact(version)) AS v FROM models FINAL WHERE name = 'reg_race'",
    );
    assert.deepEqual(row, { n: '8', v: '8' });
    const events = await reg.events({ name: 'reg_race' });
    assert.equal(events.filter((e) => e.event === 'registered').length, 8);
    // and one failing call does not block the name's queue
    await assert.rejects(reg.register(version('reg_race', { parentVersion: 99 }), art(9)));
    assert.equal((await reg.register(version('reg_race'), art(9))).version, 9);
  });

  void it('filters list by kind and never reads artifacts in list, get or champion', async () => {
    await reg.register(
      version('demand_global', { kind: 'demand', horizon: '28d', featureNames: [] }),
      randomBytes(3 << 20),
    );
    await reg.register(version('reg_bulky'), randomBytes(3 << 20));
    await reg.register(version('reg_bulky'), randomBytes(3 << 20));
    await reg.promote('reg_bulky', 2, 'first', 'gate');

    const demand = await reg.list({ kind: 'demand' });
    assert.deepEqual(
      demand.map((v) => [v.name, v.version, v.kind, v.horizon]),
      [['demand_global', 1, 'demand', '28d']],
    );
    const all = await reg.list();
    assert.ok(all.some((v) => v.name === 'reg_bulky') && all.some((v) => v.kind === 'demand'));
    for (let i = 1; i < all.length; i++)
      assert.ok(all[i - 1].createdAt >= all[i].createdAt, 'newest first');

    // ~12 MiB of base64 artifacts are stored: reads capped at 1 MiB succeed unless they touch them
    const capped = new ModelRegistry(readCapped(ch.client, 1 << 20));
    await assert.rejects(
      capped.artifact('reg_bulky', 1),
      /Limit for rows or bytes to read exceeded/,
    );
    assert.equal((await capped.list()).length, all.length);
    assert.equal((await capped.list({ name: 'reg_bulky' })).length, 2);
    assert.equal((await capped.get('reg_bulky', 1))?.artifactBytes, 3 << 20);
    assert.equal((await capped.champion('reg_bulky'))?.version, 2);
    assert.equal(await capped.championVersion('reg_bulky'), 2);
  });
});

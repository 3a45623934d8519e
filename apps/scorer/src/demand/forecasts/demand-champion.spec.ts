import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestException } from '@nestjs/common';
import type { ModelRegistry, ModelVersion } from '@storepulse/ml';
import { createLogger } from '@storepulse/observability';
import { DemandChampionWatcher, type ChampionSwitch } from './demand-champion';
import { parseCategory, parseLimit } from './forecasts.controller';
import { loadTestForecaster, testArtifact } from './testing';

/** The registry calls the watcher makes, over an in-memory champion pointer. */
function fakeRegistry(state: { champion: number | null; fail?: Error }) {
  const artifacts: string[] = [];
  const registry = {
    championVersion: () =>
      state.fail ? Promise.reject(state.fail) : Promise.resolve(state.champion),
    get: (name: string, version: number) =>
      Promise.resolve({ name, version, kind: 'demand' } as ModelVersion),
    artifact: (name: string, version: number) => {
      artifacts.push(`${name}@${version}`);
      return Promise.resolve(version === 9 ? Buffer.from('{"format":"other"}') : testArtifact());
    },
  } as unknown as ModelRegistry;
  return { registry, artifacts };
}

describe('DemandChampionWatcher', () => {
  it('loads a new champion once, reports promotions and rollbacks, and drops a removed one', async () => {
    const state: { champion: number | null } = { champion: null };
    const { registry, artifacts } = fakeRegistry(state);
    const seen: ChampionSwitch[] = [];
    const w = new DemandChampionWatcher(
      registry,
      loadTestForecaster,
      60_000,
      createLogger('silent'),
      (s) => seen.push(s),
    );
    assert.equal(await w.refresh(), null);
    state.champion = 1;
    await w.poll();
    assert.equal(w.get()?.version, 1);
    await w.poll();
    assert.deepEqual(artifacts, ['demand@1'], 'the same version is not loaded twice');
    state.champion = 2;
    assert.equal((await w.refresh())?.version, 2);
    state.champion = 1; // rollback
    await w.poll();
    state.champion = null;
    await w.poll();
    assert.equal(w.get(), null);
    assert.deepEqual(
      seen.map((s) => [s.from, s.to, s.by]),
      [
        [null, 1, 'poll'],
        [1, 2, 'run'],
        [2, 1, 'poll'],
        [1, null, 'poll'],
      ],
    );
  });

  it('a failed poll keeps the current champion and the error; refresh() rejects with it', async () => {
    const state: { champion: number | null; fail?: Error } = { champion: 1 };
    const { registry } = fakeRegistry(state);
    const w = new DemandChampionWatcher(
      registry,
      loadTestForecaster,
      60_000,
      createLogger('silent'),
    );
    await w.poll();
    state.fail = new Error('engine down');
    await w.poll();
    assert.equal(w.lastError, 'engine down');
    assert.equal(w.get()?.version, 1);
    await assert.rejects(w.refresh(), /engine down/);
    state.fail = undefined;
    await w.poll();
    assert.equal(w.lastError, null);
  });

  it('an artifact the loader does not understand is an error naming the version', async () => {
    const { registry } = fakeRegistry({ champion: 9 });
    const w = new DemandChampionWatcher(
      registry,
      loadTestForecaster,
      60_000,
      createLogger('silent'),
    );
    await assert.rejects(w.refresh(), /demand v9: not a storepulse-test-seasonal-naive artifact/);
    assert.equal(w.get(), null);
  });
});

describe('forecast list query parameters', () => {
  it('limit: default 100, 1..10,000, whole numbers only', () => {
    assert.equal(parseLimit(undefined), 100);
    assert.equal(parseLimit(''), 100);
    assert.equal(parseLimit('1'), 1);
    assert.equal(parseLimit('10000'), 10_000);
    for (const bad of ['0', '10001', '-1', '1.5', 'abc', ' 5']) {
      assert.throws(() => parseLimit(bad), BadRequestException, bad);
    }
    assert.throws(() => parseLimit(['1', '2']), /limit: must be given once/);
  });

  it('category: optional, one value', () => {
    assert.equal(parseCategory(undefined), undefined);
    assert.equal(parseCategory(''), undefined);
    assert.equal(parseCategory('toys'), 'toys');
    assert.throws(() => parseCategory(['a', 'b']), /category: must be given once/);
    assert.throws(() => parseCategory('x'.repeat(201)), /category: at most 200 characters/);
  });
});

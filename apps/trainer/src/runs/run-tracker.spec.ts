import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RunConflictError, RunTracker } from './run-tracker';

describe('RunTracker', () => {
  it('records progress and the result; one run per model at a time', async () => {
    const t = new RunTracker();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const { run, done } = t.start({ kind: 'propensity', model: 'm', trigger: 'api' }, async (p) => {
      p({ phase: 'training', fraction: 0.5, detail: { epoch: 3 } });
      await gate;
      return { auc: 0.8 };
    });
    assert.equal(t.get(run.id)?.status, 'running');
    assert.throws(
      () => t.start({ kind: 'propensity', model: 'm', trigger: 'api' }, () => Promise.resolve(1)),
      (e: unknown) => e instanceof RunConflictError && e.runId === run.id,
    );
    // another model may run meanwhile
    const other = t.start({ kind: 'demand', model: 'd', trigger: 'api' }, () => Promise.resolve(2));
    assert.equal((await other.done).result, 2);
    assert.deepEqual(t.get(run.id)?.progress, {
      phase: 'training',
      fraction: 0.5,
      detail: { epoch: 3 },
    });
    release();
    const r = await done;
    assert.equal(r.status, 'succeeded');
    assert.deepEqual(r.result, { auc: 0.8 });
    assert.equal(t.isRunning('m'), false);
  });

  it('a failed run keeps its error and frees the model', async () => {
    const t = new RunTracker();
    const { done } = t.start({ kind: 'propensity', model: 'm', trigger: 'api' }, () =>
      Promise.reject(new Error('no events stored yet')),
    );
    const r = await done;
    assert.equal(r.status, 'failed');
    assert.equal(r.error, 'no events stored yet');
    assert.doesNotThrow(() =>
      t.start({ kind: 'propensity', model: 'm', trigger: 'api' }, () => Promise.resolve(0)),
    );
  });
});

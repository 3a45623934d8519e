// Cross-backend checks. Each backend runs in its own child process (one backend per process, see
// tf-provider.ts); all load the same model buffers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readExpectNativeEnv } from './tf-env';
import type { TfBackendInfo, TfBackendName } from './tf-provider';

const CHILD = join(__dirname, 'testing', 'tf-child.js');
const RESULT = '@@RESULT ';
const BACKENDS: TfBackendName[] = ['native', 'wasm', 'cpu'];

interface ChildResult {
  unavailable?: string;
  info?: TfBackendInfo;
  mlp?: unknown;
  gru?: unknown;
}

function child(...args: string[]): ChildResult {
  const r = spawnSync(process.execPath, [CHILD, ...args], { encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith(RESULT));
  if (r.status !== 0 || !line)
    assert.fail(`tf-child ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(line.slice(RESULT.length)) as ChildResult;
}

function maxAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] ?? Number.NaN))), 0);
}

const expectNative = readExpectNativeEnv();

void describe('TensorFlow backends (child process per backend)', () => {
  let dir: string;
  const available = new Map<TfBackendName, string | null>(); // backend -> unavailable reason

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'storepulse-tf-'));
    child('build', 'cpu', dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it(`auto mode chooses native${expectNative ? ' (required: CI / STOREPULSE_EXPECT_NATIVE)' : ' when provisioned'}`, (t) => {
    const r = child('info', 'auto');
    const info = r.info ?? assert.fail('no info');
    if (info.backend !== 'native') {
      if (expectNative) {
        assert.fail(
          `auto chose '${info.backend}', not native: ${info.fallbackReason}. Run: node scripts/tf/provision.mjs --strict`,
        );
      }
      t.skip(
        `native not provisioned here, auto fell back to ${info.backend}: ${info.fallbackReason}`,
      );
      return;
    }
    assert.equal(info.tfBackend, 'tensorflow');
    assert.equal(info.fallbackReason, null);
    assert.match(info.nativeVersion ?? '', /^2\.\d+\.\d+$/);
  });

  for (const backend of BACKENDS) {
    void it(`${backend}: MLP and GRU predictions from the same buffer match cpu within 1e-5`, (t) => {
      const ref = child('predict', 'cpu', dir);
      const r = backend === 'cpu' ? ref : child('predict', backend, dir);
      if (r.unavailable) {
        available.set(backend, r.unavailable);
        if (backend === 'native' && expectNative)
          assert.fail(`native backend unavailable: ${r.unavailable}`);
        t.skip(`${backend} unavailable: ${r.unavailable}`);
        return;
      }
      available.set(backend, null);
      assert.equal(r.info?.backend, backend);
      const mlp = r.mlp as number[];
      const gru = r.gru as number[];
      assert.equal(mlp.length, 64);
      assert.equal(gru.length, 16 * 7);
      assert.ok(
        maxAbsDiff(mlp, ref.mlp as number[]) <= 1e-5,
        `MLP max |diff| ${maxAbsDiff(mlp, ref.mlp as number[])}`,
      );
      assert.ok(
        maxAbsDiff(gru, ref.gru as number[]) <= 1e-5,
        `GRU max |diff| ${maxAbsDiff(gru, ref.gru as number[])}`,
      );
    });
  }

  for (const backend of BACKENDS) {
    void it(`${backend}: a short training run converges`, (t) => {
      const r = child('train', backend);
      if (r.unavailable) {
        if (backend === 'native' && expectNative)
          assert.fail(`native backend unavailable: ${r.unavailable}`);
        t.skip(`${backend} unavailable: ${r.unavailable}`);
        return;
      }
      const mlp = r.mlp as { initial: number; final: number };
      const gru = r.gru as { initial: number; final: number };
      assert.ok(mlp.initial > 0.5, `MLP initial loss ${mlp.initial}`);
      assert.ok(mlp.final < 0.15, `MLP loss ${mlp.initial} -> ${mlp.final}, expected < 0.15`);
      assert.ok(
        gru.final < 0.6 * gru.initial,
        `GRU loss ${gru.initial} -> ${gru.final}, expected < 60% of the initial`,
      );
    });
  }
});

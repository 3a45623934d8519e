import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createTfBackendGauge, createTfMemoryGauges } from './tf-metrics';
import { getTf, getTfBackendInfo, parseTfBackendChoice } from './tf-provider';

void describe('parseTfBackendChoice', () => {
  void it('accepts the four choices, case-insensitive, unset = auto', () => {
    assert.equal(parseTfBackendChoice(undefined), 'auto');
    assert.equal(parseTfBackendChoice(''), 'auto');
    assert.equal(parseTfBackendChoice('NATIVE'), 'native');
    assert.equal(parseTfBackendChoice(' wasm '), 'wasm');
    assert.equal(parseTfBackendChoice('cpu'), 'cpu');
  });
  void it('rejects anything else with the allowed values', () => {
    assert.throws(
      () => parseTfBackendChoice('gpu'),
      /invalid TensorFlow backend 'gpu': expected one of auto\|native\|wasm\|cpu/,
    );
  });
});

void describe('getTf (one backend per process)', () => {
  void it('loads the forced backend once, logs it once, and exposes it', async () => {
    assert.equal(getTfBackendInfo(), null);
    const lines: string[] = [];
    const log = (l: string): void => {
      lines.push(l);
    };
    const p = await getTf({ backend: 'cpu', log });
    const again = await getTf({ backend: 'cpu', log });
    const auto = await getTf({ backend: 'auto', log });
    assert.equal(p, again);
    assert.equal(p, auto);
    assert.equal(p.tf.getBackend(), 'cpu');
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /^\[tf\] backend=cpu requested=cpu tfjs=4\.22\.0/);
    assert.deepEqual(getTfBackendInfo(), {
      backend: 'cpu',
      tfBackend: 'cpu',
      version: '4.22.0',
      nativeVersion: null,
      requested: 'cpu',
      fallbackReason: null,
    });
    const sum = p.tf.tidy(() => p.tf.add(p.tf.scalar(2), p.tf.scalar(3)).dataSync()[0]);
    assert.equal(sum, 5);
  });

  void it('refuses to switch backend inside the process', async () => {
    await assert.rejects(
      getTf({ backend: 'wasm' }),
      /already initialised with backend 'cpu'.*cannot switch to 'wasm'/,
    );
  });

  void it('exports storepulse_tf_backend_info{backend} 1 on a given registry', async () => {
    const registry = new Registry();
    createTfBackendGauge(registry);
    const text = await registry.metrics();
    assert.match(text, /^storepulse_tf_backend_info\{backend="cpu"\} 1$/m);
    const other = new Registry();
    createTfBackendGauge(other, {
      ...(getTfBackendInfo() ?? assert.fail('no info')),
      backend: 'native',
    });
    assert.match(await other.metrics(), /^storepulse_tf_backend_info\{backend="native"\} 1$/m);
  });

  void it('exports the tensors the backend holds: a tensor not disposed counts until it is', async () => {
    const p = await getTf({ backend: 'cpu' });
    const registry = new Registry();
    createTfMemoryGauges(registry);
    const read = async () => {
      const text = await registry.metrics();
      const n = /^storepulse_tf_tensors\{backend="cpu"\} (\d+)$/m.exec(text);
      const b = /^storepulse_tf_tensor_bytes\{backend="cpu"\} (\d+)$/m.exec(text);
      assert.ok(n && b, text);
      return { tensors: Number(n[1]), bytes: Number(b[1]) };
    };
    const before = await read();
    const leaked = p.tf.zeros([256]);
    const during = await read();
    assert.equal(during.tensors, before.tensors + 1);
    assert.equal(during.bytes, before.bytes + 256 * 4);
    leaked.dispose();
    assert.deepEqual(await read(), before);
    const none = new Registry();
    createTfMemoryGauges(none, () => null);
    assert.doesNotMatch(await none.metrics(), /^storepulse_tf_tensors\{/m);
  });
});

// TensorFlow backends side by side: native (tfjs-node + libtensorflow) / wasm / cpu (pure JS).
//   npm run bench -- tf [--quick]
// One child process per backend (one backend per process, see libs/ml/src/tf-provider.ts); each
// child prints progress on stderr and one JSON result line on stdout.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import {
  GRU_FEATURES,
  GRU_OUTPUTS,
  GRU_STEPS,
  MLP_INPUTS,
  TfBackendUnavailableError,
  buildGru,
  buildMlp,
  getTf,
  gruData,
  mlpData,
  randomNormals,
  type LayersModel,
  type Tf,
  type TfBackendInfo,
  type TfBackendName,
} from '@storepulse/ml';

const BACKENDS: TfBackendName[] = ['native', 'wasm', 'cpu'];
const RESULT = '@@RESULT ';
const quick = process.argv.includes('--quick');
const TRAIN_SECONDS = quick ? 1.5 : 4;
const PREDICT_SECONDS = quick ? 1 : 2.5;
const TRAIN_BATCH = 256;

interface Latency {
  p50: number;
  p99: number;
  n: number;
}
interface BackendResult {
  info?: TfBackendInfo;
  unavailable?: string;
  mlpTrain?: number;
  gruTrain?: number;
  mlpB1?: Latency;
  mlpB1000?: Latency;
  gruB1?: Latency;
  gruB1000?: Latency;
}

// ------------------------------------------------------------------------------------------------
// child

function progress(backend: string, msg: string): void {
  process.stderr.write(`  [${backend}] ${msg}\n`);
}

async function trainRate(
  tf: Tf,
  model: LayersModel,
  x: Float32Array,
  xShape: number[],
  y: Float32Array,
  yShape: number[],
  batchSize: number,
): Promise<number> {
  const xs = tf.tensor(x, xShape);
  const ys = tf.tensor(y, yShape);
  const n = xShape[0] ?? 0;
  // warm-up: one small epoch (kernel compilation, allocations)
  await model.fit(xs.slice(0, batchSize * 2), ys.slice(0, batchSize * 2), {
    epochs: 1,
    batchSize,
    verbose: 0,
  });
  let samples = 0;
  const t0 = performance.now();
  while ((performance.now() - t0) / 1000 < TRAIN_SECONDS) {
    await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: true, verbose: 0 });
    samples += n;
  }
  const secs = (performance.now() - t0) / 1000;
  tf.dispose([xs, ys]);
  return samples / secs;
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

async function latency(
  tf: Tf,
  model: LayersModel,
  shape: number[],
  minIters: number,
): Promise<Latency> {
  const size = shape.reduce((a, b) => a * b, 1);
  const input = tf.tensor(randomNormals(size, 99), shape);
  const once = async (): Promise<void> => {
    const out = model.predict(input, { batchSize: shape[0] ?? 1 });
    const t = Array.isArray(out) ? out[0] : out;
    if (t) await t.data();
    tf.dispose(out);
  };
  for (let i = 0; i < 3; i++) await once(); // warm-up
  const times: number[] = [];
  const t0 = performance.now();
  while (
    times.length < 5000 &&
    (times.length < minIters || (performance.now() - t0) / 1000 < PREDICT_SECONDS)
  ) {
    const s = performance.now();
    await once();
    times.push(performance.now() - s);
  }
  input.dispose();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), n: times.length };
}

async function child(backend: TfBackendName): Promise<BackendResult> {
  let tf: Tf;
  let info: TfBackendInfo;
  try {
    ({ tf, info } = await getTf({ backend, log: (l) => progress(backend, l) }));
  } catch (e) {
    if (e instanceof TfBackendUnavailableError) return { unavailable: e.reason };
    throw e;
  }
  const r: BackendResult = { info };
  const m = mlpData(4096);
  progress(backend, `MLP training (${TRAIN_SECONDS}s) ...`);
  const mlp = buildMlp(tf);
  r.mlpTrain = await trainRate(tf, mlp, m.x, [m.n, MLP_INPUTS], m.y, [m.n, 1], TRAIN_BATCH);
  const g = gruData(512);
  progress(backend, `GRU training (${TRAIN_SECONDS}s) ...`);
  const gru = buildGru(tf);
  r.gruTrain = await trainRate(
    tf,
    gru,
    g.x,
    [g.n, GRU_STEPS, GRU_FEATURES],
    g.y,
    [g.n, GRU_OUTPUTS],
    64,
  );
  progress(backend, 'MLP predict latency, batch 1 / 1000 ...');
  r.mlpB1 = await latency(tf, mlp, [1, MLP_INPUTS], 50);
  r.mlpB1000 = await latency(tf, mlp, [1000, MLP_INPUTS], 10);
  progress(backend, 'GRU predict latency, batch 1 / 1000 ...');
  r.gruB1 = await latency(tf, gru, [1, GRU_STEPS, GRU_FEATURES], 20);
  r.gruB1000 = await latency(tf, gru, [1000, GRU_STEPS, GRU_FEATURES], 5);
  progress(backend, 'done');
  return r;
}

// ------------------------------------------------------------------------------------------------
// parent

function fmt(v: number | undefined, digits = 2): string {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  if (v >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(v >= 100 ? 0 : digits);
}

function ratio(a: number | undefined, b: number | undefined, higherIsBetter: boolean): string {
  if (
    a === undefined ||
    b === undefined ||
    !Number.isFinite(a) ||
    !Number.isFinite(b) ||
    a === 0 ||
    b === 0
  )
    return 'n/a';
  return `${(higherIsBetter ? a / b : b / a).toFixed(2)}x`;
}

function parent(): void {
  const started = Date.now();
  const cpu = cpus();
  const header = [
    '# TensorFlow backends benchmark',
    `command: ${process.env.BENCH_COMMAND ?? `node ${process.argv.slice(1).join(' ')}`}`,
    `date:    ${new Date().toISOString()}`,
    `cpu:     ${cpu[0]?.model ?? 'unknown'} (${cpu.length} cores)`,
    `node:    ${process.version}`,
  ];
  console.log(header.join('\n'));
  console.log(
    `running one child per backend (${BACKENDS.join(', ')}); training ${TRAIN_SECONDS}s per model, predict up to ${PREDICT_SECONDS}s per case`,
  );
  const results = new Map<TfBackendName, BackendResult>();
  for (const backend of BACKENDS) {
    console.log(`- ${backend}: starting`);
    const t0 = Date.now();
    const r = spawnSync(
      process.execPath,
      [__filename, '--child', backend, ...(quick ? ['--quick'] : [])],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 150_000,
      },
    );
    const line = r.stdout?.split('\n').find((l) => l.startsWith(RESULT));
    if (r.status !== 0 || !line) {
      results.set(backend, { unavailable: `child failed (exit ${r.status})` });
    } else {
      results.set(backend, JSON.parse(line.slice(RESULT.length)) as BackendResult);
    }
    const res = results.get(backend);
    console.log(
      `- ${backend}: ${res?.unavailable ? `UNAVAILABLE: ${res.unavailable}` : 'ok'} (${((Date.now() - t0) / 1000).toFixed(1)}s)`,
    );
  }
  const n = results.get('native');
  const w = results.get('wasm');
  const c = results.get('cpu');
  const rows: [string, (r: BackendResult | undefined) => number | undefined, boolean][] = [
    ['MLP 40-64-32-1 train, samples/s (batch 256)', (r) => r?.mlpTrain, true],
    ['GRU 28x8 u32 -> 7 train, samples/s (batch 256)', (r) => r?.gruTrain, true],
    ['MLP predict batch 1, p50 ms', (r) => r?.mlpB1?.p50, false],
    ['MLP predict batch 1, p99 ms', (r) => r?.mlpB1?.p99, false],
    ['MLP predict batch 1000, p50 ms', (r) => r?.mlpB1000?.p50, false],
    ['MLP predict batch 1000, p99 ms', (r) => r?.mlpB1000?.p99, false],
    ['GRU predict batch 1, p50 ms', (r) => r?.gruB1?.p50, false],
    ['GRU predict batch 1, p99 ms', (r) => r?.gruB1?.p99, false],
    ['GRU predict batch 1000, p50 ms', (r) => r?.gruB1000?.p50, false],
    ['GRU predict batch 1000, p99 ms', (r) => r?.gruB1000?.p99, false],
  ];
  const table = [
    ['metric', 'native', 'wasm', 'cpu', 'native/wasm', 'wasm/cpu'],
    ...rows.map(([label, get, hib]) => [
      label,
      fmt(get(n)),
      fmt(get(w)),
      fmt(get(c)),
      ratio(get(n), get(w), hib),
      ratio(get(w), get(c), hib),
    ]),
  ];
  const widths =
    table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? [];
  const line = (row: string[]): string =>
    `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  console.log('');
  console.log(line(table[0] ?? []));
  console.log(
    `|${widths.map((wd, i) => (i === 0 ? `${'-'.repeat(wd + 1)}-` : `${'-'.repeat(wd + 1)}:`)).join('|')}|`,
  );
  for (const row of table.slice(1)) console.log(line(row));
  console.log('');
  console.log(
    'ratios are speed-ups (>1 = the first backend is faster): throughput a/b, latency b/a.',
  );
  for (const [b, r] of results) {
    if (r.info) {
      const extra = r.info.nativeVersion ? `, libtensorflow ${r.info.nativeVersion}` : '';
      console.log(`${b}: tfjs ${r.info.version} backend '${r.info.tfBackend}'${extra}`);
    } else console.log(`${b}: unavailable (${r.unavailable ?? 'unknown'})`);
  }
  console.log(
    `latency samples (b1/b1000, MLP; GRU): ${BACKENDS.map((b) => {
      const r = results.get(b);
      return `${b} ${r?.mlpB1?.n ?? 0}/${r?.mlpB1000?.n ?? 0}; ${r?.gruB1?.n ?? 0}/${r?.gruB1000?.n ?? 0}`;
    }).join(', ')}`,
  );
  console.log(`total ${((Date.now() - started) / 1000).toFixed(0)}s`);
}

const childIdx = process.argv.indexOf('--child');
if (childIdx >= 0) {
  const backend = process.argv[childIdx + 1] as TfBackendName;
  child(backend).then(
    (r) => process.stdout.write(`${RESULT}${JSON.stringify(r)}\n`),
    (e: unknown) => {
      process.stderr.write(
        `bench child ${backend} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exitCode = 1;
    },
  );
} else {
  parent();
}

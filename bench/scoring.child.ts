// Child of the scoring bench: the champion's prediction on a prepared input matrix, on another TF
// backend (one backend per process, as bench/propensity.child.ts does for training).
import { readFileSync } from 'node:fs';
import {
  getTf,
  loadPropensityModel,
  parseTfBackendChoice,
  predictPropensity,
} from '@storepulse/ml';

async function main(): Promise<void> {
  const [artifactPath, matrixPath, rows, backend, reps] = process.argv.slice(2);
  const { tf, info } = await getTf({
    backend: parseTfBackendChoice(backend),
    log: () => undefined,
  });
  const model = await loadPropensityModel(tf, readFileSync(artifactPath ?? ''));
  const raw = readFileSync(matrixPath ?? '');
  const x = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const n = Number(rows);
  predictPropensity(tf, model, x, n); // warm-up
  const k = Number(reps);
  const t = performance.now();
  for (let i = 0; i < k; i++) predictPropensity(tf, model, x, n);
  const ms = (performance.now() - t) / k;
  process.stdout.write(`RESULT ${JSON.stringify({ backend: info.backend, ms, rows: n })}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

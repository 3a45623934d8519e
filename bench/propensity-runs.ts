// The training runs the propensity bench times on each backend (native in the bench process, wasm in
// a child): a champion on the older sets, then from scratch and warm-started on the newer sets.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  binaryMetrics,
  predictPropensity,
  trainPropensityMlp,
  type EpochProgress,
  type LabelledSet,
  type Tf,
  type TrainedMlp,
} from '@storepulse/ml';

export interface Sets {
  train: LabelledSet;
  validation: LabelledSet;
  test: LabelledSet;
}

export interface RunFigures {
  epochs: number;
  ms: number;
  samplesPerSec: number;
  rows: number;
  testAuc: number;
  testLogLoss: number;
  testEce: number;
}

export interface BackendRuns {
  backend: string;
  champion: RunFigures;
  scratch: RunFigures;
  warm: RunFigures;
  /** Test-set scores of the from-scratch model (for the parent's tables). */
  scratchScores?: number[];
}

export const MLP_OPTIONS = { hidden: [64, 32], classWeight: 'balanced' as const, seed: 7 };

function figures(tf: Tf, m: TrainedMlp, s: Sets): RunFigures {
  const p = predictPropensity(tf, m, s.test.x, s.test.n);
  const b = binaryMetrics(s.test.y, p);
  return {
    epochs: m.epochs,
    ms: Math.round(m.ms),
    samplesPerSec: Math.round(m.samplesPerSec),
    rows: s.train.n,
    testAuc: b.rocAuc,
    testLogLoss: b.logLoss,
    testEce: b.ece,
  };
}

export async function trainingRuns(
  tf: Tf,
  backend: string,
  older: Sets,
  newer: Sets,
  /** ensemble: networks per from-scratch run (the trainer's TRAINER_ENSEMBLE). */
  epochs: { scratch: number; warm: number; ensemble: number },
  log: (line: string) => void,
): Promise<{ runs: BackendRuns; scratch: TrainedMlp }> {
  const onEpoch = (what: string) => (p: EpochProgress) =>
    log(
      `${backend} ${what}${p.member ? ` (network ${p.member}/${p.members ?? 1})` : ''}: epoch ${p.epoch}/${p.maxEpochs} val loss ${p.valLoss.toFixed(4)} AUC ${p.valAuc.toFixed(4)}`,
    );
  const champion = await trainPropensityMlp(tf, older.train, older.validation, {
    ...MLP_OPTIONS,
    ensemble: epochs.ensemble,
    maxEpochs: epochs.scratch,
    onEpoch: onEpoch('champion (older window)'),
  });
  const scratch = await trainPropensityMlp(tf, newer.train, newer.validation, {
    ...MLP_OPTIONS,
    ensemble: epochs.ensemble,
    maxEpochs: epochs.scratch,
    onEpoch: onEpoch('from scratch'),
  });
  const warm = await trainPropensityMlp(tf, newer.train, newer.validation, {
    ...MLP_OPTIONS,
    maxEpochs: epochs.warm,
    warmStart: champion,
    onEpoch: onEpoch('warm start'),
  });
  const runs: BackendRuns = {
    backend,
    champion: figures(tf, champion, older),
    scratch: figures(tf, scratch, newer),
    warm: figures(tf, warm, newer),
  };
  champion.model.dispose();
  warm.model.dispose();
  return { runs, scratch };
}

/** Sets to one file (JSON header + raw Float32 arrays) for the child process. */
export function writeSets(path: string, sets: Record<'older' | 'newer', Sets>): void {
  const parts: Buffer[] = [];
  const header: Record<
    string,
    Record<string, { n: number; d: number; featureNames: string[] }>
  > = {};
  for (const [k, s] of Object.entries(sets)) {
    header[k] = {};
    for (const [split, l] of Object.entries(s) as [string, LabelledSet][]) {
      header[k][split] = { n: l.n, d: l.d, featureNames: l.featureNames };
      for (const a of [l.x, l.y, l.weight])
        parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    }
  }
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(h.length);
  writeFileSync(path, Buffer.concat([len, h, ...parts]));
}

export function readSets(path: string): Record<'older' | 'newer', Sets> {
  const buf = readFileSync(path);
  const hl = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + hl).toString()) as Record<
    string,
    Record<string, { n: number; d: number; featureNames: string[] }>
  >;
  let off = 4 + hl;
  const take = (count: number) => {
    const a = new Float32Array(count);
    new Uint8Array(a.buffer).set(buf.subarray(off, off + count * 4));
    off += count * 4;
    return a;
  };
  const out: Record<string, Record<string, LabelledSet>> = {};
  for (const [k, splits] of Object.entries(header)) {
    out[k] = {};
    for (const [split, m] of Object.entries(splits))
      out[k][split] = {
        n: m.n,
        d: m.d,
        featureNames: m.featureNames,
        x: take(m.n * m.d),
        y: take(m.n),
        weight: take(m.n),
      };
  }
  return out as unknown as Record<'older' | 'newer', Sets>;
}

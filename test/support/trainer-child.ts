import type { ClickHouseClient } from '@clickhouse/client';
import { loadConfig } from '@storepulse/config';
import { createClickHouse, runMigrations } from '@storepulse/clickhouse';
import {
  getTf,
  loadPropensityModel,
  ModelRegistry,
  savePropensityModel,
  trainPropensityMlp,
  type LabelledSet,
  type ModelVersion,
  type RegistryRepair,
} from '@storepulse/ml';
import { Prng } from '@storepulse/simulator';

/**
 * Test entry for the trainer SIGKILL case: a training run's registry side, as the trainer does it,
 * on the embedded engine in `dataDir`, as a child process the test kills -9 at a chosen point.
 * At start it does what the trainer does at start (ModelRegistry.recover) and prints the registry's
 * state before and after (`BEFORE {…}`, `STATE {…}`: champion, its checksum and whether the artifact
 * loads, candidates, the champion per the event history). With `run`, it then runs: builds a
 * labelled set, fits a real TF.js MLP (`PHASE fitting epoch N`), saves the artifact, registers the
 * candidate and promotes it, printing `PHASE <name>` at each step; with `hangAt`, it stops at that
 * point (after the write named, for the registry's own steps) and waits to be killed.
 */
export type HangPoint =
  'building' | 'saved' | 'registered-row' | 'registered' | 'promoted-champion' | 'promoted-retired';

export interface TrainerChildSettings {
  dataDir: string;
  run: boolean;
  hangAt?: HangPoint;
  /** Rows of the labelled set (the fit takes longer with more). */
  rows?: number;
}

export interface RegistryStateLine {
  statuses: Record<string, string>;
  champion: number | null;
  championSha256Ok: boolean | null;
  championLoads: boolean | null;
  candidates: number[];
  /** The champion according to the promotion events (ModelRegistry.servedAt now). */
  historyChampion: number | null;
  repairs?: RegistryRepair[];
}

const NAME = 'propensity_24h';
const hang = (what: string): Promise<never> => {
  process.stdout.write(`HANG ${what}\n`);
  return new Promise<never>(() => {
    setInterval(() => undefined, 60_000); // keeps the process alive until the kill
  });
};

/** The registry's client, stopping (forever) after the writes that end at `hangAt`. */
function stopping(client: ClickHouseClient, hangAt: HangPoint | undefined): ClickHouseClient {
  let championWrites = 0;
  return new Proxy(client, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => Promise<unknown>).bind(target);
      if (prop === 'insert')
        return async (p: { table: string }) => {
          const r = await fn(p);
          if (hangAt === 'registered-row' && p.table === 'models') await hang(hangAt);
          return r;
        };
      if (prop === 'command')
        return async (p: { query: string; query_params?: { status?: string } }) => {
          const r = await fn(p);
          if (p.query.includes('INSERT INTO models')) {
            const st = p.query_params?.status;
            if (st === 'champion') championWrites++;
            if (hangAt === 'promoted-champion' && st === 'champion') await hang(hangAt);
            if (hangAt === 'promoted-retired' && st === 'retired' && championWrites > 0)
              await hang(hangAt);
          }
          return r;
        };
      return fn;
    },
  });
}

async function state(
  registry: ModelRegistry,
  tf: Awaited<ReturnType<typeof getTf>>['tf'],
): Promise<RegistryStateLine> {
  const list: ModelVersion[] = await registry.list({ name: NAME });
  const champ = await registry.champion(NAME);
  let sha: boolean | null = null;
  let loads: boolean | null = null;
  if (champ) {
    try {
      const buf = await registry.artifact(NAME, champ.version); // checks bytes and sha256
      sha = true;
      const m = await loadPropensityModel(tf, buf);
      m.model.dispose();
      loads = true;
    } catch (e) {
      process.stderr.write(`champion artifact: ${String(e)}\n`);
      sha ??= false;
      loads = false;
    }
  }
  return {
    statuses: Object.fromEntries(list.map((v) => [`v${v.version}`, v.status])),
    champion: champ?.version ?? null,
    championSha256Ok: sha,
    championLoads: loads,
    candidates: list.filter((v) => v.status === 'candidate').map((v) => v.version),
    historyChampion: await registry.servedAt(NAME, Date.now() + 1),
  };
}

function labelled(rng: Prng, n: number): LabelledSet {
  const d = 6;
  const x = new Float32Array(n * d);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = -1;
    for (let j = 0; j < d; j++) {
      const v = rng.next() * 2 - 1;
      x[i * d + j] = v;
      z += v * (j + 1) * 0.5;
    }
    y[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return {
    x,
    n,
    d,
    featureNames: Array.from({ length: d }, (_, j) => `f${j}`),
    y,
    weight: new Float32Array(n).fill(1),
  };
}

async function main(): Promise<void> {
  const s = JSON.parse(process.argv[2] ?? '{}') as TrainerChildSettings;
  const ch = await createClickHouse(loadConfig({ CLICKHOUSE_DATA_DIR: s.dataDir }).clickhouse);
  await runMigrations(ch.client);
  const { tf } = await getTf({ log: () => undefined });
  const registry = new ModelRegistry(stopping(ch.client, s.hangAt));
  process.stdout.write(`BEFORE ${JSON.stringify(await state(registry, tf))}\n`);
  const repairs = await registry.recover('trainer'); // what TrainerService does at start
  process.stdout.write(`STATE ${JSON.stringify({ ...(await state(registry, tf)), repairs })}\n`);
  process.stdout.write('READY\n');
  if (!s.run) return;

  const phase = (p: string) => process.stdout.write(`PHASE ${p}\n`);
  phase('building');
  if (s.hangAt === 'building') await hang('building');
  const rng = new Prng(Date.now() % 100_000);
  const n = s.rows ?? 6_000;
  const train = labelled(rng, n);
  const val = labelled(rng, Math.floor(n / 4));
  phase('fitting');
  const trained = await trainPropensityMlp(tf, train, val, {
    hidden: [32, 16],
    maxEpochs: 4,
    patience: 4,
    batchSize: 256,
    seed: 7,
    onEpoch: (p) => phase(`fitting epoch ${p.epoch}`),
  });
  phase('saving');
  const artifact = await savePropensityModel(tf, trained, { name: NAME, horizon: '24h' });
  trained.model.dispose();
  if (s.hangAt === 'saved') await hang('saved');
  phase('registering');
  const champion = await registry.champion(NAME);
  const v = await registry.register(
    {
      name: NAME,
      kind: 'propensity',
      horizon: '24h',
      parentVersion: champion?.version ?? null,
      trainingFrom: Date.now() - 86_400_000,
      trainingTo: Date.now(),
      featureNames: train.featureNames,
      catalogHash: 'faults-case-5',
      metrics: { epochs: trained.epochs },
    },
    artifact,
  );
  if (s.hangAt === 'registered') await hang('registered');
  phase('promoting');
  await registry.promote(NAME, v.version, 'gate: faults case 5', 'gate');
  phase('done');
  process.stdout.write(
    `DONE ${JSON.stringify({ version: v.version, ...(await state(registry, tf)) })}\n`,
  );
  await ch.close();
}

main()
  .then(() => process.exit(0))
  .catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });

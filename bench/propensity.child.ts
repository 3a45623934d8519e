// Child of the propensity bench: the same training runs on another TF backend (one backend per process).
import { getTf, parseTfBackendChoice } from '@storepulse/ml';
import { readSets, trainingRuns } from './propensity-runs';

async function main(): Promise<void> {
  const [path, backend, scratchEpochs, warmEpochs, ensemble] = process.argv.slice(2);
  const { tf, info } = await getTf({
    backend: parseTfBackendChoice(backend),
    log: () => undefined,
  });
  const sets = readSets(path);
  const { runs } = await trainingRuns(
    tf,
    info.backend,
    sets.older,
    sets.newer,
    { scratch: Number(scratchEpochs), warm: Number(warmEpochs), ensemble: Number(ensemble ?? 1) },
    (line) => process.stderr.write(`[bench] ${line}\n`),
  );
  process.stdout.write(`RESULT ${JSON.stringify(runs)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

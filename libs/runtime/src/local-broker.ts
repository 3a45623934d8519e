import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { Logger } from '@storepulse/observability';

export interface LocalBroker {
  brokers: string[];
  /** true when this call started it (and stop() will stop it). */
  started: boolean;
  stop(): Promise<void>;
}

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const SCRIPT = join(ROOT, 'infra', 'kafka', 'kafka.mjs');

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<{ code: number; out: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of d.toString().split('\n').filter(Boolean))
        logger.info({ component: 'local-kafka' }, line);
    });
    child.stderr.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean))
        logger.warn({ component: 'local-kafka' }, line);
    });
    child.on('error', reject);
    child.on('exit', (code) => resolvePromise({ code: code ?? 1, out }));
  });
}

/**
 * Starts the local single-node Kafka (infra/kafka/kafka.mjs up) and returns its address. If one is
 * already running there, it is reused and left running on stop().
 */
export async function startLocalBroker(
  port: number,
  baseEnv: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<LocalBroker> {
  const env = { ...baseEnv, KAFKA_PORT: String(port) };
  const r = await run(['up'], env, logger);
  const m = /KAFKA_BROKERS=(\S+)/.exec(r.out);
  if (r.code !== 0 || !m?.[1])
    throw new Error(
      `local Kafka broker did not start (exit ${r.code}); see .data/kafka/broker.log`,
    );
  const started = !r.out.includes('already running');
  return {
    brokers: m[1].split(','),
    started,
    stop: async () => {
      if (!started) return;
      const d = await run(['down'], env, logger);
      if (d.code !== 0) throw new Error(`local Kafka broker did not stop cleanly (exit ${d.code})`);
    },
  };
}

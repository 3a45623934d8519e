// Process-wide correction of kafkajs' read_committed filtering (aborted records leaked otherwise).
import './transport/read-committed';
import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '@storepulse/observability';

/**
 * The longest wait between two attempts to reach the cluster, for the clients that keep trying
 * while the broker is away (the batch consumer, the collector's and the simulator's producers).
 * kafkajs doubles the wait after every failed attempt up to `maxRetryTime`, 30 s by default (plus
 * up to 20 % jitter): after a 20 s outage a client could be 36 s into one wait when the broker came
 * back, so consumption and produces resumed up to half a minute late (fault suite case 2, 22–26 s
 * measured). Capped at 2 s, a client tries again at most ~2.4 s after the broker's return.
 */
export const BROKER_RETRY_MAX_MS = 2_000;

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
}

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs client whose logs go to pino. kafkajs negotiates the highest protocol versions both sides know. */
export function createKafka(opts: KafkaClientOptions): Kafka {
  const child = opts.logger.child({ component: 'kafkajs' });
  const creator: logCreator =
    () =>
    ({ level, log }: LogEntry) => {
      const { message, ...extra } = log;
      // kafkajs logs retriable broker answers (coordinator loading/moving at start-up) as errors; it
      // retries them itself, so they are warnings for us.
      const retriable =
        level === logLevel.ERROR &&
        typeof extra.error === 'string' &&
        /coordinator|leader|not available|loading/i.test(extra.error);
      child[retriable ? 'warn' : (levels[level] ?? 'info')](extra, message);
    };
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator: creator,
    retry: { initialRetryTime: 200, retries: 8 },
  });
}

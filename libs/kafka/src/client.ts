// Process-wide correction of kafkajs' read_committed filtering (aborted records leaked otherwise).
import './transport/read-committed';
import { Kafka, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '@storepulse/observability';

/**
 * The longest wait between two attempts to reach the cluster. kafkajs doubles the wait after every
 * failed attempt up to `maxRetryTime`, 30 s by default: after a 20 s outage a client could be deep
 * in a 25.6 s wait when the broker came back, so consumption and produces resumed up to half a
 * minute late (fault suite case 2: 22–28 s measured). Capped at 2 s, a client tries again at most
 * 2 s after the broker's return.
 */
export const BROKER_RETRY_MAX_MS = 2_000;

/**
 * The client-wide retry of {@link createKafka}. kafkajs hands it to every cluster it builds (the
 * metadata refresh, broker connections and group coordinator lookups under every producer, consumer
 * and admin) and merges a producer's or consumer's own `retry` over it, so the cap holds for all of
 * them, the simulator's and the collector's producers included, without repeating it. 30 retries
 * (≈ 55 s: 0.2 + 0.4 + 0.8 + 1.6 s, then 2 s apart) keep the patience the uncapped 8 had (≈ 51 s).
 */
export const KAFKA_CLIENT_RETRY = {
  initialRetryTime: 200,
  maxRetryTime: BROKER_RETRY_MAX_MS,
  retries: 30,
} as const;

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
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator: creator,
    retry: { ...KAFKA_CLIENT_RETRY },
  });
  brokerLists.set(kafka, [...opts.brokers]);
  return kafka;
}

const brokerLists = new WeakMap<Kafka, readonly string[]>();

/**
 * The bootstrap brokers a client of {@link createKafka} was made with (kafkajs does not expose
 * them), for the native clients that sit beside it; undefined for a client made otherwise.
 */
export function brokersOf(kafka: Kafka): readonly string[] | undefined {
  return brokerLists.get(kafka);
}

import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { KAFKA, KafkaEventProducer, type EventProducer } from '@storepulse/kafka';
import { HealthRegistry, LOGGER, type Logger } from '@storepulse/observability';
import { readFile } from 'node:fs/promises';
import { WriteKeyGuard } from './auth/write-key.guard';
import { WriteKeyStore, type WriteKeys } from './auth/key-store';
import { KeysFileWatcher } from './auth/keys-file-watcher';
import { CollectorController } from './collector.controller';
import { TrackerController } from './tracker/tracker.controller';
import { CollectorMetrics } from './collector.metrics';
import { CollectorState } from './collector.state';
import { IngestEventsUseCase } from './ingest/ingest-events.use-case';
import { TokenBuckets } from './limits/token-bucket';
import { EVENT_PRODUCER, TOKEN_BUCKETS, WRITE_KEYS } from './tokens';

export class CollectorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CollectorConfigError';
  }
}

/** The configured keys; no keys is refused unless COLLECTOR_ALLOW_ANONYMOUS=true (then `null`). */
export function writeKeysOf(config: AppConfig): WriteKeys {
  const c = config.collector;
  if (c.writeKeys.length > 0) return c.writeKeys;
  if (c.allowAnonymous) return null;
  throw new CollectorConfigError(
    'the collector has no write keys: set COLLECTOR_WRITE_KEYS (npm run collector:key -- NAME prints an entry) ' +
      'or COLLECTOR_KEYS_FILE, or COLLECTOR_ALLOW_ANONYMOUS=true to accept unauthenticated writes',
  );
}

/**
 * Start-up: connects the producer (in the background: a broker down at start answers 503, not a
 * crash) and registers readiness. Shutdown: new requests get 503, requests in progress finish
 * (their produces are acknowledged or time out), then the producer flushes and disconnects.
 */
@Injectable()
export class CollectorLifecycle
  implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown
{
  constructor(
    @Inject(EVENT_PRODUCER) private readonly producer: EventProducer & { warmUp?: () => void },
    private readonly state: CollectorState,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    health: HealthRegistry,
  ) {
    health.register({
      name: 'collector',
      check: () =>
        Promise.resolve({
          ok: !this.state.draining && this.producer.connected(),
          details: {
            producerConnected: this.producer.connected(),
            draining: this.state.draining,
            inFlight: this.state.pending(),
          },
        }),
    });
  }

  onApplicationBootstrap(): void {
    this.producer.warmUp?.();
  }

  async onModuleDestroy(): Promise<void> {
    this.state.draining = true;
    const t0 = Date.now();
    const idle = await this.state.whenIdle(this.config.shutdownDrainTimeoutMs);
    this.logger.info(
      { ms: Date.now() - t0, idle, inFlight: this.state.pending() },
      'collector: stopped accepting, requests in progress finished',
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.producer.close(this.config.shutdownDrainTimeoutMs);
  }
}

/**
 * HTTP ingest: POST /v1/events and /v1/inventory (README "HTTP ingest"). Needs the global
 * ConfigModule, ObservabilityModule and KafkaModule, and `installCollectorHttp(app)` before listen.
 */
@Module({
  controllers: [CollectorController, TrackerController],
  providers: [
    CollectorState,
    CollectorMetrics,
    IngestEventsUseCase,
    WriteKeyGuard,
    CollectorLifecycle,
    KeysFileWatcher,
    {
      provide: WRITE_KEYS,
      useFactory: (c: AppConfig) => {
        const file = c.collector.keysFile;
        return new WriteKeyStore(
          writeKeysOf(c),
          file === undefined ? undefined : { path: file, read: (p) => readFile(p, 'utf8') },
        );
      },
      inject: [APP_CONFIG],
    },
    {
      provide: TOKEN_BUCKETS,
      useFactory: (c: AppConfig) => new TokenBuckets(c.collector.ratePerSec, c.collector.burst),
      inject: [APP_CONFIG],
    },
    {
      provide: EVENT_PRODUCER,
      useFactory: (
        kafka: Kafka,
        c: AppConfig,
        logger: Logger,
        metrics: CollectorMetrics,
      ): EventProducer =>
        new KafkaEventProducer(kafka, {
          maxPendingBytes: c.collector.maxPendingBytes,
          producers: c.collector.producers,
          onRequest: (r) => metrics.observeProduceRequest(r),
          logger: logger.child({ component: 'collector-producer' }),
        }),
      inject: [KAFKA, APP_CONFIG, LOGGER, CollectorMetrics],
    },
  ],
  exports: [CollectorState, CollectorMetrics, KeysFileWatcher],
})
export class CollectorModule {}

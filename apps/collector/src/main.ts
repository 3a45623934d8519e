import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { ConfigModule, processEnvironment } from '@storepulse/config';
import { KafkaModule } from '@storepulse/kafka';
import { ObservabilityModule, PinoNestLogger } from '@storepulse/observability';
import {
  AccessModule,
  connectInfra,
  handleSignals,
  httpBaseUrl,
  keepAlive,
  listenHttp,
  runMain,
  StartupError,
} from '@storepulse/runtime';
import { CollectorModule, writeKeysOf } from './collector.module';
import { setupCollectorDocs } from './docs';
import { installCollectorHttp } from './http/collector-http';

/**
 * Standalone collector: needs only KAFKA_BROKERS and write keys (COLLECTOR_WRITE_KEYS or
 * COLLECTOR_KEYS_FILE, or COLLECTOR_ALLOW_ANONYMOUS=true). Serves /v1/*, /health, /metrics, /api/docs.
 */
runMain('storepulse-collector', async ({ config, logger, metrics }) => {
  try {
    writeKeysOf(config);
  } catch (e) {
    throw new StartupError((e as Error).message);
  }
  const infra = await connectInfra(config, logger, {
    allowLocalBroker: false,
    clickhouse: 'none',
    env: processEnvironment(),
  });
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot(logger, metrics),
      AccessModule.forRoot(config),
      KafkaModule.forRoot(infra.kafka, infra.kafkaInfo),
      CollectorModule,
    ],
  })
  class CollectorAppModule {}
  const app = await NestFactory.create(CollectorAppModule, {
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
  });
  installCollectorHttp(app);
  setupCollectorDocs(app);
  handleSignals(app, () => infra.close(), logger, config.shutdownDrainTimeoutMs * 2 + 5_000);
  await listenHttp(app, config, logger);
  keepAlive(app);
  logger.info(
    {
      port: config.httpPort,
      storefronts: config.collector.writeKeys.map((k) => k.storefront),
      anonymous: config.collector.writeKeys.length === 0,
    },
    'collector running',
  );
  const base = httpBaseUrl(config);
  console.log(
    [
      '',
      'StorePulse collector is running.',
      `  ingest   POST ${base}/v1/events, /v1/inventory`,
      `  api docs ${base}/api/docs`,
      `  metrics  ${base}/metrics`,
      `  health   ${base}/health`,
      '',
    ].join('\n'),
  );
});

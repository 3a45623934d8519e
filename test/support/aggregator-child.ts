import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule, configFromProcessEnv } from '@storepulse/config';
import { ClickHouseModule, createClickHouse, runMigrations } from '@storepulse/clickhouse';
import { KafkaModule, createKafka } from '@storepulse/kafka';
import {
  HealthRegistry,
  ObservabilityModule,
  PipelineMetrics,
  createLogger,
} from '@storepulse/observability';
import { AggregatorModule, AggregatorService } from '@storepulse/aggregator';

/**
 * Test entry: the aggregator alone (AggregatorModule) over the embedded ClickHouse engine in
 * CLICKHOUSE_DATA_DIR against KAFKA_BROKERS, as a child process the crash tests can SIGKILL.
 * Prints `READY` and then its counters as JSON lines every 250 ms, with its readiness (`ready`, the
 * health checks' verdict), the disk-full state and the storepulse_clickhouse_disk_full gauge.
 * With AGGREGATOR_CHILD_HTTP_PORT it also serves /health/ready and /metrics on 127.0.0.1 (as the
 * separate aggregator app does), for the monitor's HTTP readiness source.
 */
async function main(): Promise<void> {
  const config = configFromProcessEnv();
  const logger = createLogger(config.logLevel, 'aggregator-child');
  const ch = await createClickHouse(config.clickhouse);
  await runMigrations(ch.client);
  const brokers = config.kafka.brokers ?? [];
  const kafka = createKafka({ brokers, clientId: 'aggregator-child', logger });
  const metrics = new PipelineMetrics(false);
  const health = new HealthRegistry();
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot(logger, metrics, health),
      KafkaModule.forRoot(kafka, { brokers, localBroker: false }),
      ClickHouseModule.forRoot(ch),
      AggregatorModule,
    ],
  })
  class ChildModule {}
  const httpPort = Number(process.env.AGGREGATOR_CHILD_HTTP_PORT ?? 0);
  let app: INestApplicationContext;
  if (httpPort > 0) {
    const web = await NestFactory.create(ChildModule, { logger: false });
    await web.listen(httpPort, '127.0.0.1');
    app = web;
  } else app = await NestFactory.createApplicationContext(ChildModule, { logger: false });
  const svc = app.get(AggregatorService);
  process.stdout.write('READY\n');
  let ready = false;
  let gauge = 0;
  const timer = setInterval(() => {
    void health.run().then((h) => (ready = h.ok));
    void metrics.diskFull.get().then((g) => (gauge = g.values[0]?.value ?? NaN));
    const line = {
      ...svc.counters(),
      ready,
      diskFull: svc.diskFullState(),
      diskFullGauge: gauge,
    };
    process.stdout.write(`COUNTERS ${JSON.stringify(line)}\n`);
  }, 250);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    app
      .close()
      .then(() => ch.close())
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

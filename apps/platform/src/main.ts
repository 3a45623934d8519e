import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, configFromProcessEnv, processEnvironment } from '@storepulse/config';
import { PinoNestLogger, PipelineMetrics, createLogger } from '@storepulse/observability';
import { setupApiDocs } from '@storepulse/monitor';
import { connectInfra, handleSignals, StartupError } from '@storepulse/runtime';
import { PlatformModule } from './platform.module';
import { StatusService } from './status/status.service';

async function main(): Promise<void> {
  let config;
  try {
    config = configFromProcessEnv();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel, 'storepulse-platform');
  const metrics = new PipelineMetrics();
  const t0 = Date.now();
  const infra = await connectInfra(config, logger, {
    allowLocalBroker: true,
    clickhouse: 'server-or-embedded',
    env: processEnvironment(),
  });
  const clickhouse = infra.clickhouse;
  if (!clickhouse) throw new StartupError('ClickHouse was not connected');
  const app = await NestFactory.create(
    PlatformModule.forRoot({ config, logger, metrics, infra: { ...infra, clickhouse } }),
    {
      logger: new PinoNestLogger(logger.child({ component: 'nest' })),
      abortOnError: false,
    },
  );
  setupApiDocs(app, 'StorePulse');
  handleSignals(app, () => infra.close(), logger, 15_000);
  await app.listen(config.httpPort);
  const url = `http://localhost:${config.httpPort}`;
  logger.info({ ms: Date.now() - t0 }, 'StorePulse is up');
  console.log(
    [
      '',
      'StorePulse all-in-one is running.',
      `  dashboard ${url}/`,
      `  status   ${url}/api/status`,
      `  api docs ${url}/api/docs`,
      `  metrics  ${url}/metrics`,
      `  health   ${url}/health`,
      `  kafka    ${infra.kafkaInfo.brokers.join(',')}${infra.kafkaInfo.localBroker ? ' (local broker started by this process)' : ''}`,
      `  clickhouse ${clickhouse.mode}${clickhouse.dataDir ? ` (${clickhouse.dataDir})` : ''}, version ${await clickhouse.version()}`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  if (config.statusLine && config.statusIntervalMs > 0) {
    const status = app.get(StatusService);
    const tick = () => {
      status
        .statusLine()
        .then((line) => console.log(line))
        .catch((e: unknown) => logger.warn({ err: e }, 'status line failed'))
        .finally(() => {
          timer = setTimeout(tick, config.statusIntervalMs);
          timer.unref();
        });
    };
    let timer = setTimeout(tick, config.statusIntervalMs);
    timer.unref();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof StartupError ? `startup failed: ${e.message}` : e);
  process.exit(1);
});

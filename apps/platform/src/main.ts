import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { processEnvironment } from '@storepulse/config';
import { PinoNestLogger } from '@storepulse/observability';
import { setupApiDocs } from '@storepulse/monitor';
import {
  connectInfra,
  handleSignals,
  httpBaseUrl,
  keepAlive,
  listenHttp,
  runMain,
  StartupError,
} from '@storepulse/runtime';
import { ReplenishmentService, ScorerService } from '@storepulse/scorer';
import { installCollectorHttp, newWriteKey } from '@storepulse/collector';
import { parseWriteKeys } from '@storepulse/config';
import { PlatformModule } from './platform.module';
import type { AppConfig } from '@storepulse/config';
import type { Logger } from '@storepulse/observability';

/**
 * The first run writes SIMULATOR_ORDER_HISTORY_DAYS of order-only history, then SIMULATOR_HISTORY_DAYS: the aggregator must accept events that old,
 * so the allowed lateness is raised to cover it (logged). Without a history nothing changes.
 */
function withHistoryLateness(config: AppConfig, logger: Logger): AppConfig {
  const s = config.simulator;
  const days = s.historyDays > 0 ? s.historyDays + s.orderHistoryDays : 0;
  if (s.eventsPerSec <= 0 || days <= 0) return config;
  const need = Math.ceil((days + 1) * 86_400_000);
  if (config.features.allowedLatenessMs >= need) return config;
  logger.info(
    { from: config.features.allowedLatenessMs, to: need },
    'allowed lateness raised to cover the simulated history (SIMULATOR_HISTORY_DAYS)',
  );
  return { ...config, features: { ...config.features, allowedLatenessMs: need } };
}
import { StatusService } from './status/status.service';

/**
 * The all-in-one process mounts the collector. Without configured write keys (and without
 * COLLECTOR_ALLOW_ANONYMOUS=true) it makes a random development key for this run, printed on the
 * terminal only (never logged); configure COLLECTOR_WRITE_KEYS for a stable one.
 */
function withDevWriteKey(config: AppConfig): { config: AppConfig; devKey: string | undefined } {
  const c = config.collector;
  if (!c.enabled || c.writeKeys.length > 0 || c.allowAnonymous)
    return { config, devKey: undefined };
  const { key, configEntry } = newWriteKey('dev');
  return {
    config: { ...config, collector: { ...c, writeKeys: parseWriteKeys(configEntry) } },
    devKey: key,
  };
}

runMain('storepulse-platform', async ({ config: env, logger, metrics }) => {
  const { config, devKey } = withDevWriteKey(withHistoryLateness(env, logger));
  const t0 = Date.now();
  const infra = await connectInfra(config, logger, {
    allowLocalBroker: true,
    clickhouse: 'server-or-embedded',
    env: processEnvironment(),
  });
  const clickhouse = infra.clickhouse;
  if (!clickhouse) throw new StartupError('ClickHouse was not connected');
  let app: INestApplication;
  try {
    app = await NestFactory.create(
      PlatformModule.forRoot({ config, logger, metrics, infra: { ...infra, clickhouse } }),
      { logger: new PinoNestLogger(logger.child({ component: 'nest' })), abortOnError: false },
    );
    if (config.collector.enabled) installCollectorHttp(app);
    setupApiDocs(app, 'StorePulse');
    // The scorer's @EventPattern handlers run over the exactly-once batch transport (docs/transport.md).
    if (config.scorer.enabled)
      app.connectMicroservice(
        { strategy: app.get(ScorerService).transport() },
        { inheritAppConfig: true },
      );
    // forecasts + stock positions → inventory.replenishment.v1, over the same transport
    if (config.replenishment.enabled)
      app.connectMicroservice(
        { strategy: app.get(ReplenishmentService).transport() },
        { inheritAppConfig: true },
      );
    handleSignals(app, () => infra.close(), logger, 15_000);
    await listenHttp(app, config, logger);
    keepAlive(app);
    await app.startAllMicroservices();
  } catch (e) {
    // Do not leave a broker we started running behind a failed start-up (e.g. port in use).
    await infra.close().catch(() => undefined);
    throw e;
  }
  const url = httpBaseUrl(config);
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
      ...(config.collector.enabled
        ? [
            `  ingest   POST ${url}/v1/events${devKey ? `  (development write key for this run: ${devKey})` : ''}`,
          ]
        : []),
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
});

import { startClickHouseGateway } from '@storepulse/clickhouse';
import { runMain } from '@storepulse/runtime';

/**
 * The ClickHouse HTTP gateway: owns the embedded engine of CLICKHOUSE_DATA_DIR and serves it on
 * CLICKHOUSE_GATEWAY_HOST:CLICKHOUSE_GATEWAY_PORT, so apps run as separate processes share it
 * (CLICKHOUSE_URL=http://127.0.0.1:8123). Credentials: CLICKHOUSE_USER / CLICKHOUSE_PASSWORD.
 * SIGTERM/SIGINT: finishes in-flight requests, closes the engine, exits 0.
 */
runMain('storepulse-clickhouse-gateway', async ({ config, logger }) => {
  const ch = config.clickhouse;
  const gateway = await startClickHouseGateway(
    {
      dataDir: ch.dataDir,
      host: ch.gateway.host,
      port: ch.gateway.port,
      user: ch.user,
      password: ch.password,
      maxBodyBytes: ch.gateway.maxBodyBytes,
      maxConcurrency: ch.gateway.maxConcurrency,
    },
    logger,
  );
  logger.info(
    { url: gateway.url, version: gateway.version },
    `ClickHouse gateway ready: CLICKHOUSE_URL=${gateway.url}`,
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      logger.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    hard.unref();
    gateway.close().then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (e: unknown) => {
        logger.error({ err: e }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
});

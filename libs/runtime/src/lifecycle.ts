import type { INestApplication } from '@nestjs/common';
import type { Logger } from '@storepulse/observability';

/**
 * Ctrl-C / SIGTERM: stop the app (consumers drain and commit), then close infra, then exit 0.
 * A second signal, or exceeding `hardTimeoutMs`, exits 1 at once.
 */
export function handleSignals(
  app: INestApplication,
  closeInfra: () => Promise<void>,
  logger: Logger,
  hardTimeoutMs: number,
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    const t0 = Date.now();
    logger.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      logger.error({ hardTimeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, hardTimeoutMs);
    hard.unref();
    app
      .close()
      .then(() => closeInfra())
      .then(() => {
        logger.info({ ms: Date.now() - t0 }, 'stopped cleanly');
        logger.flush();
        process.exit(0);
      })
      .catch((e: unknown) => {
        logger.error({ err: e }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/**
 * Idle keep-alive sockets stay open longer than clients' (and load balancers') reuse windows, so a
 * client never sends a request on a socket the server is closing (ECONNRESET), also while training
 * keeps the event loop busy.
 */
export function keepAlive(app: INestApplication, ms = 65_000): void {
  const server = app.getHttpServer() as { keepAliveTimeout?: number; headersTimeout?: number };
  server.keepAliveTimeout = ms;
  server.headersTimeout = ms + 1_000;
}

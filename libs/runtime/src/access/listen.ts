import type { INestApplication } from '@nestjs/common';
import { accessEnforced, isLoopbackHost, type AppConfig } from '@storepulse/config';
import type { Logger } from '@storepulse/observability';

/**
 * Every app's `listen`: HTTP_PORT on HTTP_HOST (127.0.0.1 unless configured). Bound beyond
 * loopback without API keys, it warns that the API is open to whoever reaches the port.
 */
export async function listenHttp(
  app: INestApplication,
  config: Pick<AppConfig, 'httpPort' | 'httpHost' | 'access'>,
  logger: Logger,
): Promise<void> {
  await app.listen(config.httpPort, config.httpHost);
  const warning = openApiWarning(config);
  if (warning !== undefined) logger.warn({ host: config.httpHost, port: config.httpPort }, warning);
  else
    logger.info(
      {
        host: config.httpHost,
        port: config.httpPort,
        apiKeys: accessEnforced(config.access)
          ? { read: config.access.readKeys.length, admin: config.access.adminKeys.length }
          : 'none (loopback only)',
      },
      'HTTP listening',
    );
}

/** The start-up warning of an API bound beyond loopback without keys; undefined when there is none. */
export function openApiWarning(config: Pick<AppConfig, 'httpHost' | 'access'>): string | undefined {
  if (accessEnforced(config.access) || isLoopbackHost(config.httpHost)) return undefined;
  return `the HTTP API is open: bound to ${config.httpHost} without API keys, anyone who reaches this port can read /api/* (raw orders, features) and trigger training or rollbacks; set API_READ_KEYS and API_ADMIN_KEYS (docs/reliability.md "Access")`;
}

/** The address to print for people: `http://127.0.0.1:3000`; any-interface binds print localhost. */
export function httpBaseUrl(config: Pick<AppConfig, 'httpPort' | 'httpHost'>): string {
  const h = config.httpHost;
  const host = h === '0.0.0.0' || h === '::' ? 'localhost' : h.includes(':') ? `[${h}]` : h;
  return `http://${host}:${config.httpPort}`;
}

import { ConfigError, configFromProcessEnv, type AppConfig } from '@storepulse/config';
import { createLogger, PipelineMetrics, type Logger } from '@storepulse/observability';
import { StartupError } from './infra';

export interface MainContext {
  config: AppConfig;
  logger: Logger;
  metrics: PipelineMetrics;
}

/**
 * Entry point of every app: validates the environment once (exit 2 naming each bad variable),
 * creates the JSON logger and the metrics registry, runs `start`; a failed start-up exits 1 with
 * a one-line reason.
 */
export function runMain(name: string, start: (ctx: MainContext) => Promise<void>): void {
  let config: AppConfig;
  try {
    config = configFromProcessEnv();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel, name);
  start({ config, logger, metrics: new PipelineMetrics() }).catch((e: unknown) => {
    console.error(e instanceof StartupError ? `startup failed: ${e.message}` : e);
    process.exit(1);
  });
}

import { Global, Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { HealthRegistry, LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import type { ClickHouseHandle } from './client';
import { createEngineMemoryGauges, readEngineMemory } from './engine-memory';

export const CLICKHOUSE = Symbol('CLICKHOUSE');

/** Registers the `clickhouse` readiness check (ping) with the app's HealthRegistry. */
@Injectable()
export class ClickHouseHealth {
  constructor(@Inject(CLICKHOUSE) ch: ClickHouseHandle, health: HealthRegistry) {
    health.register({
      name: 'clickhouse',
      check: async () => ({
        ok: (await ch.client.ping()).success,
        details: { mode: ch.mode, database: ch.database },
      }),
    });
  }
}

/**
 * The engine's own memory figures on /metrics (`storepulse_clickhouse_memory_bytes{kind}`,
 * `storepulse_clickhouse_active_parts`), read at scrape time. A failing read is logged once per
 * streak of failures.
 */
@Injectable()
export class ClickHouseMetrics {
  constructor(
    @Inject(CLICKHOUSE) ch: ClickHouseHandle,
    metrics: PipelineMetrics,
    @Inject(LOGGER) logger: Logger,
  ) {
    let failing = false;
    createEngineMemoryGauges(
      metrics.registry,
      async () => {
        const m = await readEngineMemory(ch.client, ch.database);
        failing = false;
        return m;
      },
      (err) => {
        if (!failing) logger.warn({ err }, 'reading the ClickHouse engine memory figures failed');
        failing = true;
      },
      ch.database,
    );
  }
}

@Global()
@Module({})
export class ClickHouseModule {
  static forRoot(handle: ClickHouseHandle): DynamicModule {
    return {
      module: ClickHouseModule,
      providers: [{ provide: CLICKHOUSE, useValue: handle }, ClickHouseHealth, ClickHouseMetrics],
      exports: [CLICKHOUSE],
    };
  }
}

import { Global, Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { HealthRegistry } from '@storepulse/observability';
import type { ClickHouseHandle } from './client';

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

@Global()
@Module({})
export class ClickHouseModule {
  static forRoot(handle: ClickHouseHandle): DynamicModule {
    return {
      module: ClickHouseModule,
      providers: [{ provide: CLICKHOUSE, useValue: handle }, ClickHouseHealth],
      exports: [CLICKHOUSE],
    };
  }
}

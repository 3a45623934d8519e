// Provides the ModelRegistry over the process's ClickHouse (global CLICKHOUSE provider).
import { Module } from '@nestjs/common';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { ModelRegistry } from './registry/registry';

@Module({
  providers: [
    {
      provide: ModelRegistry,
      useFactory: (ch: ClickHouseHandle) => new ModelRegistry(ch.client),
      inject: [CLICKHOUSE],
    },
  ],
  exports: [ModelRegistry],
})
export class RegistryModule {}

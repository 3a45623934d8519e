import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { ClickHouseHandle } from './client';

export const CLICKHOUSE = Symbol('CLICKHOUSE');

@Global()
@Module({})
export class ClickHouseModule {
  static forRoot(handle: ClickHouseHandle): DynamicModule {
    return {
      module: ClickHouseModule,
      providers: [{ provide: CLICKHOUSE, useValue: handle }],
      exports: [CLICKHOUSE],
    };
  }
}

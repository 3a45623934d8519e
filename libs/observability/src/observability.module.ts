import {
  Controller,
  Get,
  Global,
  Header,
  HttpCode,
  Inject,
  Module,
  Res,
  type DynamicModule,
} from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { HealthRegistry } from './health';
import { PipelineMetrics } from './metrics';

export const LOGGER = Symbol('LOGGER');

@Controller()
export class ObservabilityController {
  constructor(
    private readonly metrics: PipelineMetrics,
    private readonly health: HealthRegistry,
  ) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  /** Liveness: the process answers. */
  @Get('health/live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: Kafka, ClickHouse and the consumer loop (not stalled). 503 when any check fails. */
  @Get(['health', 'health/ready'])
  async ready(@Res({ passthrough: true }) res: Response): Promise<unknown> {
    const r = await this.health.run();
    res.status(r.ok ? 200 : 503);
    return { status: r.ok ? 'ok' : 'error', ...r };
  }
}

@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(
    logger: Logger,
    metrics: PipelineMetrics,
    health = new HealthRegistry(),
  ): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [ObservabilityController],
      providers: [
        { provide: LOGGER, useValue: logger },
        { provide: PipelineMetrics, useValue: metrics },
        { provide: HealthRegistry, useValue: health },
      ],
      exports: [LOGGER, PipelineMetrics, HealthRegistry],
    };
  }
}

export function injectLogger(): ParameterDecorator {
  return Inject(LOGGER);
}

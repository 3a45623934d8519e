import {
  Controller,
  Get,
  Global,
  Header,
  HttpCode,
  Inject,
  Module,
  type DynamicModule,
} from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TerminusModule,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import type { Logger } from 'pino';
import { HealthRegistry } from './health';
import { PipelineMetrics } from './metrics';
import { Public } from '@storepulse/config';

export const LOGGER = Symbol('LOGGER');

/** Probes: open also when API keys are configured (Prometheus, load balancers, Kubernetes). */
@Public()
@Controller()
export class ObservabilityController {
  constructor(
    private readonly metrics: PipelineMetrics,
    private readonly health: HealthRegistry,
    private readonly terminus: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
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

  /**
   * Readiness (@nestjs/terminus): every check modules registered with the HealthRegistry —
   * ClickHouse, the consumer loop (down when stalled), the monitor's poll, TensorFlow. 503 when any
   * is down; the body says which and why.
   */
  @Get(['health', 'health/ready'])
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.terminus.check(
      this.health.list().map((c) => async (): Promise<HealthIndicatorResult> => {
        const r = await this.health.runOne(c);
        // `status` is terminus' own key: a check's own status field is reported as `state`.
        const { status, ...rest } = r.details ?? {};
        const data: Record<string, unknown> = {
          ...rest,
          ...(status === undefined ? {} : { state: status }),
          ...(r.error ? { message: r.error } : {}),
        };
        const session = this.indicators.check(c.name);
        return r.ok ? session.up(data) : session.down(data);
      }),
    );
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
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
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

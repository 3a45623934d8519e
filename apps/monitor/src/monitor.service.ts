import {
  Inject,
  Injectable,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Kafka, Producer } from 'kafkajs';
import { Observable } from 'rxjs';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { KAFKA } from '@storepulse/kafka';
import { HealthRegistry, LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { KafkaAlertPublisher } from './alerts';
import { Monitor } from './monitor';
import { HttpReadiness } from './readiness/http-readiness';
import { InProcessReadiness } from './readiness/in-process-readiness';
import type { MonitorView } from './view';

/** Nest wrapper of the {@link Monitor} loop: started on bootstrap, stopped before shutdown. */
@Injectable()
export class MonitorService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly monitor: Monitor;
  private readonly producer: Producer;
  private readonly streams = new Set<() => void>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(KAFKA) kafka: Kafka,
    @Inject(LOGGER) logger: Logger,
    metrics: PipelineMetrics,
    health: HealthRegistry,
    @Optional() @Inject(CLICKHOUSE) clickhouse?: ClickHouseHandle,
  ) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false });
    this.monitor = new Monitor({
      kafka,
      config: config.monitor,
      logger,
      metrics,
      publisher: new KafkaAlertPublisher(this.producer),
      ...(clickhouse ? { clickhouse } : {}),
      readiness: [
        new InProcessReadiness(health),
        ...(config.monitor.readiness.targets.length > 0
          ? [
              new HttpReadiness(
                config.monitor.readiness.targets,
                config.monitor.readiness.timeoutMs,
              ),
            ]
          : []),
      ],
    });
    const interval = config.monitor.pollIntervalMs;
    const started = Date.now();
    health.register({
      name: 'monitor',
      check: () => {
        const last = this.monitor.lastSuccessMs;
        const ref = last ?? started;
        const ok = Date.now() - ref < 3 * interval + 30_000;
        return Promise.resolve({
          ok,
          details: {
            lastPoll: last === null ? null : new Date(last).toISOString(),
            lastError: this.monitor.lastError,
          },
        });
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
    await this.monitor.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const end of this.streams) end();
    await this.monitor.stop();
    await this.producer.disconnect();
  }

  /** Live views: the latest one at once, then one per poll; completes on shutdown. */
  stream(): Observable<MonitorView> {
    return new Observable<MonitorView>((sub) => {
      const v = this.monitor.view();
      if (v) sub.next(v);
      const off = this.monitor.subscribe((x) => sub.next(x));
      const end = () => sub.complete();
      this.streams.add(end);
      return () => {
        off();
        this.streams.delete(end);
      };
    });
  }
}

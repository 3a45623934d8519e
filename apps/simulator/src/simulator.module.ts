import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { TOPICS } from '@storepulse/contracts';
import { KAFKA } from '@storepulse/kafka';
import { LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { KafkaMessageSink } from './kafka-message-sink';
import { MESSAGE_SINK } from './message-sink';
import { SimulatorService } from './simulator.service';
import {
  InventoryController,
  InventoryLoopService,
  KpiSnapshotService,
  kpiSnapshotSinkProvider,
} from './inventory-loop';

export const SIMULATOR_PRODUCER = Symbol('SIMULATOR_PRODUCER');

/**
 * Connects the producer, starts the simulator after bootstrap, stops it before the consumers drain.
 * First run: when the storefront topics are empty and SIMULATOR_HISTORY_DAYS > 0, the history is
 * written first, at full speed, in the background (preceded by SIMULATOR_ORDER_HISTORY_DAYS of
 * order-only history); the live rate follows.
 */
@Injectable()
export class SimulatorRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private history: Promise<void> | undefined;
  private stopped = false;
  historyState: 'none' | 'writing' | 'done' | 'failed' = 'none';

  constructor(
    @Inject(SIMULATOR_PRODUCER) private readonly producer: Producer,
    private readonly simulator: SimulatorService,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
    const s = this.config.simulator;
    if (s.eventsPerSec > 0 && s.historyDays > 0 && (await this.topicsEmpty())) {
      this.historyState = 'writing';
      this.logger.info(
        {
          days: s.historyDays,
          orderOnlyDaysBefore: s.orderHistoryDays,
          eventsPerDay: s.historyEventsPerDay,
        },
        'empty store: writing the simulated history first (SIMULATOR_ORDER_HISTORY_DAYS of orders only, then SIMULATOR_HISTORY_DAYS)',
      );
      const t0 = Date.now();
      this.history = this.simulator
        .writeHistory(
          s.historyDays,
          s.historyEventsPerDay,
          (p) =>
            this.logger.info({ ...p, fraction: Number(p.fraction.toFixed(3)) }, 'history progress'),
          () => this.stopped,
        )
        .then(
          (sent) => {
            this.historyState = 'done';
            this.logger.info({ sent, ms: Date.now() - t0 }, 'history written; live traffic starts');
            if (!this.stopped) this.simulator.start();
          },
          (e: unknown) => {
            this.historyState = 'failed';
            this.logger.error({ err: e }, 'writing the history failed; live traffic starts');
            if (!this.stopped) this.simulator.start();
          },
        );
      return;
    }
    this.simulator.start();
  }

  private async topicsEmpty(): Promise<boolean> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const topic of [TOPICS.clickstream, TOPICS.orders]) {
        const offsets = await admin.fetchTopicOffsets(topic);
        if (offsets.some((o) => o.high !== '0')) return false;
      }
      return true;
    } finally {
      await admin.disconnect();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.history;
    await this.simulator.stop();
    await this.producer.disconnect();
  }
}

@Module({
  controllers: [InventoryController],
  providers: [
    {
      provide: SIMULATOR_PRODUCER,
      inject: [KAFKA],
      useFactory: (kafka: Kafka) =>
        kafka.producer({
          createPartitioner: Partitioners.DefaultPartitioner,
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          // retried without end, at most BROKER_RETRY_MAX_MS apart (the client's cap, createKafka):
          // after a broker outage the buffered messages go out within seconds of its return
          retry: { retries: Number.MAX_SAFE_INTEGER },
        }),
    },
    {
      provide: MESSAGE_SINK,
      inject: [SIMULATOR_PRODUCER, PipelineMetrics],
      useFactory: (p: Producer, m: PipelineMetrics) => new KafkaMessageSink(p, m),
    },
    SimulatorService,
    SimulatorRunner,
    InventoryLoopService,
    kpiSnapshotSinkProvider,
    KpiSnapshotService,
  ],
  exports: [SimulatorService],
})
export class SimulatorModule {}

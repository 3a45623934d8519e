import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import { KAFKA } from '@storepulse/kafka';
import { PipelineMetrics } from '@storepulse/observability';
import { KafkaMessageSink } from './kafka-message-sink';
import { MESSAGE_SINK } from './message-sink';
import { SimulatorService } from './simulator.service';

export const SIMULATOR_PRODUCER = Symbol('SIMULATOR_PRODUCER');

/** Connects the producer, starts the simulator after bootstrap, stops it before the consumers drain. */
@Injectable()
export class SimulatorRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(SIMULATOR_PRODUCER) private readonly producer: Producer,
    private readonly simulator: SimulatorService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
    this.simulator.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.simulator.stop();
    await this.producer.disconnect();
  }
}

@Module({
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
          retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 30_000 },
        }),
    },
    {
      provide: MESSAGE_SINK,
      inject: [SIMULATOR_PRODUCER, PipelineMetrics],
      useFactory: (p: Producer, m: PipelineMetrics) => new KafkaMessageSink(p, m),
    },
    SimulatorService,
    SimulatorRunner,
  ],
  exports: [SimulatorService],
})
export class SimulatorModule {}

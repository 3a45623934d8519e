import {
  Global,
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
} from '@nestjs/common';
import { HealthRegistry } from '@storepulse/observability';
import { kafkaHealthCheck } from './health';
import type { Kafka } from 'kafkajs';

export const KAFKA = Symbol('KAFKA');
export const KAFKA_INFO = Symbol('KAFKA_INFO');

export interface KafkaInfo {
  brokers: string[];
  /** true when this process started the local broker (infra/kafka). */
  localBroker: boolean;
}

/** Registers the `kafka` readiness check (the cluster answers metadata) and closes its admin on shutdown. */
@Injectable()
export class KafkaHealth implements BeforeApplicationShutdown {
  private readonly check: ReturnType<typeof kafkaHealthCheck>;
  constructor(@Inject(KAFKA) kafka: Kafka, health: HealthRegistry) {
    this.check = kafkaHealthCheck(kafka);
    health.register(this.check);
  }
  async beforeApplicationShutdown(): Promise<void> {
    await this.check.close();
  }
}

@Global()
@Module({})
export class KafkaModule {
  static forRoot(kafka: Kafka, info: KafkaInfo): DynamicModule {
    return {
      module: KafkaModule,
      providers: [
        { provide: KAFKA, useValue: kafka },
        { provide: KAFKA_INFO, useValue: info },
        KafkaHealth,
      ],
      exports: [KAFKA, KAFKA_INFO],
    };
  }
}

import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Kafka } from 'kafkajs';

export const KAFKA = Symbol('KAFKA');
export const KAFKA_INFO = Symbol('KAFKA_INFO');

export interface KafkaInfo {
  brokers: string[];
  /** true when this process started the local broker (infra/kafka). */
  localBroker: boolean;
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
      ],
      exports: [KAFKA, KAFKA_INFO],
    };
  }
}

import type { Producer } from 'kafkajs';
import type { PipelineMetrics } from '@storepulse/observability';
import type { MessageSink } from './message-sink';
import type { SimulatedMessage } from './storefront';

/** Produces simulated messages to Kafka (acks=all, idempotent producer), keyed per the topic contract. */
export class KafkaMessageSink implements MessageSink {
  constructor(
    private readonly producer: Producer,
    private readonly metrics: PipelineMetrics,
  ) {}

  async send(messages: SimulatedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, SimulatedMessage[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic);
      if (list) list.push(m);
      else byTopic.set(m.topic, [m]);
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic.entries()].map(([topic, list]) => ({
        topic,
        messages: list.map((m) => ({
          key: m.key,
          value: m.value,
          timestamp: String(Math.floor(m.timestampMs)),
        })),
      })),
    });
    for (const [topic, list] of byTopic) this.metrics.produced.inc({ topic }, list.length);
  }
}

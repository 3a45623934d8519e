import type { Producer } from 'kafkajs';
import type { PipelineMetrics } from '@storepulse/observability';
import type { MessageSink } from './message-sink';
import type { SimulatedMessage } from './storefront';

const MAX_REQUEST_BYTES = 512 * 1024;

/** Produces simulated messages to Kafka (acks=all, idempotent producer), keyed per the topic contract. */
export class KafkaMessageSink implements MessageSink {
  constructor(
    private readonly producer: Producer,
    private readonly metrics: PipelineMetrics,
  ) {}

  async send(messages: SimulatedMessage[]): Promise<void> {
    // Requests stay well under the broker's message.max.bytes (1 MiB by default) even when a
    // backlog of retried messages is sent at once.
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i];
      const size = m.value.length + m.key.length + 70;
      if (i > start && bytes + size > MAX_REQUEST_BYTES) {
        await this.sendSlice(messages.slice(start, i));
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    if (start < messages.length) await this.sendSlice(messages.slice(start));
  }

  private async sendSlice(messages: SimulatedMessage[]): Promise<void> {
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

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Producer, ProducerBatch } from 'kafkajs';
import { TOPICS } from '@storepulse/contracts';
import { PipelineMetrics } from '@storepulse/observability';
import { KafkaMessageSink } from './kafka-message-sink';
import type { SimulatedMessage } from './storefront';

describe('KafkaMessageSink', () => {
  it('splits a large backlog into requests under 512 KiB, keeping order and timestamps integral', async () => {
    const batches: ProducerBatch[] = [];
    const producer = {
      sendBatch: (b: ProducerBatch) => (batches.push(b), Promise.resolve([])),
    } as unknown as Producer;
    const sink = new KafkaMessageSink(producer, new PipelineMetrics(false));
    const msgs: SimulatedMessage[] = Array.from({ length: 10_000 }, (_, i) => ({
      topic: i % 2 ? TOPICS.clickstream : TOPICS.orders,
      key: `k${i}`,
      value: Buffer.alloc(300, 'x'),
      timestampMs: 1_700_000_000_000 + i + 0.5,
      valid: true,
    }));
    await sink.send(msgs);
    assert.ok(batches.length >= 6, `${batches.length} requests`);
    let total = 0;
    const keys: string[] = [];
    for (const b of batches) {
      let bytes = 0;
      for (const tm of b.topicMessages ?? [])
        for (const m of tm.messages) {
          bytes += (m.value as Buffer).length;
          assert.match(String(m.timestamp), /^\d+$/);
          keys.push(String(m.key));
          total++;
        }
      assert.ok(bytes < 512 * 1024);
    }
    assert.equal(total, 10_000);
    assert.equal(new Set(keys).size, 10_000);
  });
});

// Test entry: a Nest microservice served by a transactional BatchTransport that maps every message of
// an input topic to one output record (key kept, value prefixed), as a child process the crash tests
// can SIGKILL. Settings come as one JSON argument; prints READY, then COUNTERS lines every 200 ms.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  BatchTransport,
  createKafka,
  type BatchOutput,
  type InboundBatch,
} from '@storepulse/kafka';
import { PipelineMetrics, createLogger } from '@storepulse/observability';

export interface TransportChildSettings {
  brokers: string[];
  groupId: string;
  input: string;
  output: string;
  /** Pause per batch inside the handler, to stretch processing so kills land mid-stream. */
  handlerDelayMs: number;
  maxBytesPerPartition: number;
  sessionTimeoutMs: number;
}

export interface TransportChildCounters {
  handled: number;
  committed: number;
  aborted: number;
  skippedCommitted: number;
}

async function main(): Promise<void> {
  const s = JSON.parse(process.argv[2] ?? '') as TransportChildSettings;
  const logger = createLogger('error', 'transport-child');
  let handled = 0;
  @Controller()
  class MapController {
    @EventPattern(s.input)
    async map(@Payload() batch: InboundBatch): Promise<BatchOutput> {
      await new Promise((r) => setTimeout(r, s.handlerDelayMs));
      handled += batch.messages.length;
      return {
        records: batch.messages.map((m) => ({
          topic: s.output,
          key: m.key,
          value: `out:${m.value?.toString('utf8') ?? ''}`,
          headers: { 'src-offset': `${m.partition}:${m.offset}` },
        })),
      };
    }
  }
  @Module({ controllers: [MapController] })
  class ChildModule {}
  const transport = new BatchTransport({
    kafka: createKafka({ brokers: s.brokers, clientId: 'transport-child', logger }),
    groupId: s.groupId,
    topics: [s.input],
    mode: 'transactional',
    partitionsConcurrency: 3,
    maxBytesPerPartition: s.maxBytesPerPartition,
    retryMaxMs: 1000,
    stallTimeoutMs: 60_000,
    drainTimeoutMs: 10_000,
    sessionTimeoutMs: s.sessionTimeoutMs,
    logger,
    metrics: new PipelineMetrics(false),
  });
  const app = await NestFactory.createMicroservice(ChildModule, {
    strategy: transport,
    logger: false,
  });
  await app.listen();
  process.stdout.write('READY\n');
  const timer = setInterval(() => {
    const t = transport.health().transactions;
    const c: TransportChildCounters = { handled, ...t };
    process.stdout.write(`COUNTERS ${JSON.stringify(c)}\n`);
  }, 200);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    app
      .close()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

import type { INestApplication } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Consumer, Kafka } from 'kafkajs';
import { ConfigModule, type AppConfig } from '@storepulse/config';
import { KafkaModule } from '@storepulse/kafka';
import { ObservabilityModule, PipelineMetrics, PinoNestLogger } from '@storepulse/observability';
import { CollectorModule, installCollectorHttp, setupCollectorDocs } from '@storepulse/collector';
import { testLogger } from './env';

export interface RunningCollector {
  app: INestApplication;
  url: string;
  metrics: PipelineMetrics;
  close(): Promise<void>;
}

/** The collector app as `npm run start:collector` composes it, on an ephemeral port. */
export async function startCollector(config: AppConfig, kafka: Kafka): Promise<RunningCollector> {
  const logger = testLogger();
  const metrics = new PipelineMetrics(false);
  @Module({
    imports: [
      ConfigModule.forRoot(config),
      ObservabilityModule.forRoot(logger, metrics),
      KafkaModule.forRoot(kafka, { brokers: [], localBroker: false }),
      CollectorModule,
    ],
  })
  class TestCollectorModule {}
  const app = await NestFactory.create(TestCollectorModule, {
    logger: new PinoNestLogger(logger),
  });
  installCollectorHttp(app);
  setupCollectorDocs(app);
  await app.listen(0, '127.0.0.1');
  const addr = (app.getHttpServer() as { address(): { port: number } }).address();
  let closed = false;
  return {
    app,
    url: `http://127.0.0.1:${addr.port}`,
    metrics,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}

export interface SeenRecord {
  topic: string;
  partition: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** A consumer from the beginning of `topics` that keeps every record (tests filter by run id). */
export async function recordTopics(
  kafka: Kafka,
  topics: string[],
): Promise<{ records: SeenRecord[]; stop(): Promise<void> }> {
  const records: SeenRecord[] = [];
  const consumer: Consumer = kafka.consumer({
    groupId: `collector-test-${Date.now()}-${Math.random()}`,
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {}))
        headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
      records.push({
        topic,
        partition,
        key: message.key?.toString('utf8') ?? null,
        value: message.value?.toString('utf8') ?? '',
        headers,
      });
      return Promise.resolve();
    },
  });
  return { records, stop: () => consumer.disconnect() };
}

export interface PostResult {
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
}

export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<PostResult> {
  const r = await fetch(url, { method: 'POST', body, headers });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, json, text };
}

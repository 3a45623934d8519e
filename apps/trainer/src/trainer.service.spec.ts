// Unit test of the propensity scheduler tick against a broker that does not answer (a real kafkajs
// client on a closed port): an unreadable ingest lag fails the tick with a precise error and starts
// no run (it used to read as "no lag" and train on a half-ingested history). The ClickHouse client,
// feature store and registry are never reached before the lag check, so they are empty stand-ins.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { loadConfig } from '@storepulse/config';
import type { ClickHouseHandle } from '@storepulse/clickhouse';
import type { FeatureStore } from '@storepulse/features';
import type { ModelRegistry } from '@storepulse/ml';
import { PipelineMetrics } from '@storepulse/observability';
import { IngestLagUnavailableError, TrainerService } from './trainer.service';

describe('TrainerService.tick', () => {
  it('fails the tick when the ingest lag cannot be read, and trains nothing', async () => {
    const lines: { msg: string }[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          for (const l of chunk.toString().split('\n'))
            if (l.trim() !== '') lines.push(JSON.parse(l) as { msg: string });
          cb();
        },
      }),
    );
    const config = loadConfig({ NODE_ENV: 'test', KAFKA_BROKERS: '127.0.0.1:1' });
    const kafka = new Kafka({
      clientId: 'trainer-tick-spec',
      brokers: ['127.0.0.1:1'],
      connectionTimeout: 300,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    let registryCalls = 0;
    const registry = {
      champion: () => {
        registryCalls++;
        return Promise.resolve(null);
      },
    } as unknown as ModelRegistry;
    const svc = new TrainerService(
      config,
      { client: {} } as unknown as ClickHouseHandle,
      logger,
      registry,
      {} as unknown as FeatureStore,
      kafka,
      new PipelineMetrics(),
    );
    await assert.rejects(svc.tick(), (e: unknown) => {
      assert.ok(e instanceof IngestLagUnavailableError, String(e));
      assert.match(e.message, /cannot read the aggregator's consumer lag/);
      assert.match(e.message, /ECONNREFUSED|Connection error|connect/i);
      return true;
    });
    assert.equal(svc.runs.list().length, 0, 'no run started');
    assert.equal(registryCalls, 0, 'nothing past the lag check ran');
    assert.ok(!lines.some((l) => /waiting for ingest/.test(l.msg)));
  });
});

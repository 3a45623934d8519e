import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { TOPICS, TOPIC_SPECS } from '@storepulse/contracts';
import { ensureTopics } from '@storepulse/kafka';
import { PipelineMetrics } from '@storepulse/observability';
import { createTopicsReady, readAll, testKafka, waitFor } from '../../../test/support/kafka';
import { testConfig, testLogger } from '../../../test/support/env';
import { KafkaAlertPublisher, type Alert } from './alerts';
import { Monitor } from './monitor';
import type { GroupView } from './view';

describe('Monitor: a consumer stopped on purpose (real broker)', () => {
  const run = randomUUID().slice(0, 8);
  const topic = `mon-stall-${run}`;
  const groupId = `mon-stall-group-${run}`;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let alertProducer: Producer;
  let monitor: Monitor;
  let metrics: PipelineMetrics;
  let feeding: NodeJS.Timeout | undefined;
  let consumer: Consumer | undefined;

  const startConsumer = async (): Promise<Consumer> => {
    const c = kafka.consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 6000 });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: () => Promise.resolve() }); // commits after each batch
    return c;
  };
  const group = (): GroupView | undefined =>
    monitor.view()?.groups.find((g) => g.groupId === groupId);

  before(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, TOPIC_SPECS, 1, 1);
    await createTopicsReady(admin, [{ topic, numPartitions: 2 }]);
    producer = kafka.producer();
    await producer.connect();
    alertProducer = kafka.producer();
    await alertProducer.connect();
    const config = testConfig({
      MONITOR_POLL_INTERVAL_MS: '300',
      MONITOR_WINDOW_SAMPLES: '5',
      MONITOR_STALL_AFTER_MS: '2500',
      MONITOR_STOP_AFTER_MS: '5000',
      MONITOR_ALERT_TIME_LAG_SECONDS: '2',
      MONITOR_ALERT_TIME_LAG_FOR_MS: '1000',
      MONITOR_CLUSTER_NAME: 'it',
    });
    metrics = new PipelineMetrics(false);
    monitor = new Monitor({
      kafka,
      config: config.monitor,
      logger: testLogger(),
      metrics,
      publisher: new KafkaAlertPublisher(alertProducer),
    });
    // Steady traffic on both partitions.
    let i = 0;
    feeding = setInterval(() => {
      i++;
      producer
        .send({
          topic,
          messages: [
            { partition: 0, value: `a-${i}` },
            { partition: 1, value: `b-${i}` },
          ],
        })
        .catch(() => undefined);
    }, 100);
  });

  after(async () => {
    clearInterval(feeding);
    await consumer?.disconnect();
    await monitor.stop();
    await producer.disconnect();
    await alertProducer.disconnect();
    await admin.disconnect();
  });

  it('goes OK → STALLED → STOPPED with alerts firing, and back to OK with alerts resolved', async () => {
    consumer = await startConsumer();
    await monitor.start();
    await waitFor(
      () => Promise.resolve(group()?.consumerStatus === 'OK' && group()?.status === 'active'),
      30_000,
      'group OK while consuming',
    );
    assert.ok(
      (group()?.partitions ?? []).every((p) => BigInt(p.lag) < 100n),
      'keeps up while running',
    );

    // Stop the consumer on purpose: traffic continues, commits stop.
    await consumer.disconnect();
    consumer = undefined;
    await waitFor(() => Promise.resolve(group()?.consumerStatus === 'STALLED'), 20_000, 'STALLED');
    const firing = (rule: string) =>
      monitor.alerts.active().find((a) => a.id === `${rule}/${groupId}`);
    await waitFor(
      () => Promise.resolve(firing('ConsumerGroupStalled') !== undefined),
      5_000,
      'stalled alert',
    );
    await waitFor(() => Promise.resolve(group()?.consumerStatus === 'STOPPED'), 20_000, 'STOPPED');
    assert.equal(firing('ConsumerGroupStalled')?.severity, 'critical');
    await waitFor(
      () => Promise.resolve(firing('ConsumerTimeLagHigh') !== undefined),
      10_000,
      'time lag alert',
    );
    const g = group();
    assert.ok(g && g.maxTimeLagSeconds !== null && g.maxTimeLagSeconds > 2);
    assert.equal(g.status, 'empty');

    // /metrics carries the kafka-lag-exporter series for the group.
    const text = await metrics.registry.metrics();
    assert.match(
      text,
      new RegExp(
        `kafka_consumergroup_group_lag\\{cluster_name="it",group="${groupId}",topic="${topic}",partition="0"\\} \\d+`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        `kafka_consumergroup_group_max_lag_seconds\\{cluster_name="it",group="${groupId}"\\} [\\d.]+`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        `storepulse_consumergroup_status\\{cluster_name="it",group="${groupId}",status="STOPPED"\\} 1`,
      ),
    );

    // Resume: it catches up, statuses go back to OK, alerts resolve.
    consumer = await startConsumer();
    await waitFor(
      () => Promise.resolve(group()?.consumerStatus === 'OK'),
      30_000,
      'OK after resume',
    );
    await waitFor(
      () =>
        Promise.resolve(
          firing('ConsumerGroupStalled') === undefined &&
            firing('ConsumerTimeLagHigh') === undefined,
        ),
      15_000,
      'alerts resolved',
    );
    const events = monitor.alerts
      .history()
      .filter((a) => a.group === groupId)
      .reverse()
      .map((a) => `${a.rule}:${a.state}`);
    assert.ok(events.includes('ConsumerGroupStalled:firing'));
    assert.ok(events.includes('ConsumerGroupStalled:resolved'));
    assert.ok(
      events.indexOf('ConsumerGroupStalled:firing') <
        events.indexOf('ConsumerGroupStalled:resolved'),
    );

    // The same events went to ops.alerts.v1 as JSON keyed by alert id.
    const msgs = await readAll(kafka, TOPICS.opsAlerts);
    const ours = msgs
      .map((m) => JSON.parse(m.value?.toString() ?? '{}') as Alert)
      .filter((a) => a.group === groupId && a.rule === 'ConsumerGroupStalled');
    assert.deepEqual(
      ours.map((a) => a.state),
      ['firing', 'resolved'],
    );
    const resolved = ours[1];
    assert.ok(resolved?.endsAt && resolved.startsAt <= resolved.endsAt);
    assert.equal(
      msgs.find((m) => m.value?.toString() === JSON.stringify(ours[0]))?.key?.toString(),
      `ConsumerGroupStalled/${groupId}`,
    );
  });
});

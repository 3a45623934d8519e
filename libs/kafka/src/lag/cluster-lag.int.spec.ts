import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { createTopicsReady, produce, testKafka, waitFor } from '../../../../test/support/kafka';
import { testBrokers } from '../../../../test/support/env';
import { OffsetTimestampReader } from './offset-timestamps';
import { readClusterLag, type ConsumerGroupLag } from './cluster-lag';

const ROOT = resolve(__dirname, '..', '..', '..', '..', '..');

/** Kafka's own `kafka-consumer-groups --describe`, via the broker's jars. */
function kafkaConsumerGroupsDescribe(
  groupId: string,
): Map<string, { current: string; end: string; lag: string }> {
  const cpOut = execFileSync(
    process.execPath,
    [join(ROOT, 'infra', 'kafka', 'kafka.mjs'), 'classpath'],
    {
      encoding: 'utf8',
    },
  );
  const cp = cpOut.trim().split('\n').filter(Boolean).pop() ?? '';
  const out = execFileSync(
    'java',
    [
      '-cp',
      cp,
      'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
      '--bootstrap-server',
      testBrokers().join(','),
      '--describe',
      '--group',
      groupId,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
  );
  // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
  const rows = new Map<string, { current: string; end: string; lag: string }>();
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== groupId || f.length < 6) continue;
    rows.set(`${f[1]}:${f[2]}`, { current: f[3] ?? '', end: f[4] ?? '', lag: f[5] ?? '' });
  }
  return rows;
}

async function createTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  await createTopicsReady(admin, [{ topic, numPartitions: partitions }]);
  await waitFor(
    async () => (await admin.fetchTopicOffsets(topic).catch(() => [])).length === partitions,
    30_000,
    `topic ${topic} ready`,
  );
}

describe('readClusterLag (real broker)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let reader: OffsetTimestampReader;
  const run = randomUUID().slice(0, 8);

  before(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    reader = new OffsetTimestampReader(kafka);
    await reader.connect();
  });
  after(async () => {
    await reader.disconnect();
    await admin.disconnect();
  });

  const byGroup = async (groupId: string): Promise<ConsumerGroupLag> => {
    const snap = await readClusterLag(admin, reader);
    const g = snap.groups.find((x) => x.groupId === groupId);
    assert.ok(g, `group ${groupId} listed among ${snap.groups.length} groups`);
    return g;
  };

  it('matches kafka-consumer-groups --describe for a stopped group, partition by partition', async () => {
    const topic = `lag-cmp-${run}`;
    const groupId = `lag-cmp-group-${run}`;
    await createTopic(admin, topic, 3);
    for (const [partition, n] of [
      [0, 40],
      [1, 25],
      [2, 10],
    ] as const)
      await produce(
        kafka,
        topic,
        Array.from({ length: n }, (_, i) => ({ partition, value: `m-${partition}-${i}` })),
      );
    // A real consumer reads part of the topic and commits, then stops.
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Map<number, number>();
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const n = (seen.get(partition) ?? 0) + 1;
        seen.set(partition, n);
        const stopAt = partition === 0 ? 13 : partition === 1 ? 25 : 4;
        if (n <= stopAt)
          await consumer.commitOffsets([
            { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
          ]);
      },
    });
    await waitFor(
      () =>
        Promise.resolve(
          (seen.get(0) ?? 0) >= 40 && (seen.get(1) ?? 0) >= 25 && (seen.get(2) ?? 0) >= 10,
        ),
      30_000,
      'consumer read everything',
    );
    await consumer.disconnect();

    const ours = await byGroup(groupId);
    const theirs = kafkaConsumerGroupsDescribe(groupId);
    assert.equal(ours.partitions.length, 3);
    assert.equal(theirs.size, 3, 'kafka-consumer-groups printed 3 partitions');
    for (const p of ours.partitions) {
      const t = theirs.get(`${p.topic}:${p.partition}`);
      assert.ok(t, `kafka-consumer-groups has ${p.topic}:${p.partition}`);
      assert.equal(p.committed, t.current, `committed ${p.partition}`);
      assert.equal(p.logEnd, t.end, `log end ${p.partition}`);
      assert.equal(p.lag, t.lag, `lag ${p.partition}`);
    }
    assert.deepEqual(
      ours.partitions.map((p) => [p.committed, p.logEnd, p.lag]),
      [
        ['13', '40', '27'],
        ['25', '25', '0'],
        ['4', '10', '6'],
      ],
    );
    assert.equal(ours.status, 'empty');
    assert.equal(ours.totalLag, '33');
    assert.equal(ours.maxLag, '27');
  });

  it('time lag is the age of the message AT the committed offset (not interpolated); idle partition has zero', async () => {
    const topic = `lag-time-${run}`;
    const groupId = `lag-time-group-${run}`;
    await createTopic(admin, topic, 2);
    const now = Date.now();
    const ages = [600, 300, 120, 30, 5]; // seconds before now
    await produce(
      kafka,
      topic,
      ages.map((a, i) => ({ partition: 0, value: `t-${i}`, timestamp: String(now - a * 1000) })),
    );
    await produce(kafka, topic, [
      { partition: 1, value: 'idle', timestamp: String(now - 900_000) },
    ]);
    // Consumed the first two on p0 (next = offset 2, produced 120 s ago); everything on p1.
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '2' },
        { partition: 1, offset: '1' },
      ],
    });
    const before = reader.fetches;
    const g = await byGroup(groupId);
    const [p0, p1] = g.partitions;
    assert.ok(p0 && p1);
    assert.equal(p0.lag, '3');
    assert.equal(p0.status, 'lagging');
    assert.ok(p0.timeLagSeconds !== null);
    const measured = p0.timeLagSeconds;
    const expected = (Date.now() - (now - 120_000)) / 1000;
    assert.ok(Math.abs(measured - expected) < 5, `time lag ${measured} ≈ ${expected}`);
    assert.equal(p0.oldestUnconsumedAt, new Date(now - 120_000).toISOString());
    // Idle: committed == log end → zero, never a phantom lag from an old last message.
    assert.equal(p1.status, 'idle');
    assert.equal(p1.lag, '0');
    assert.equal(p1.timeLagSeconds, 0);
    assert.ok(g.maxTimeLagSeconds !== null && g.maxTimeLagSeconds >= 119);
    assert.equal(reader.fetches - before, 1, 'one fetch for the one lagging partition');
    // Same committed offset on the next poll: served from the cache, and the age keeps growing.
    await new Promise((r) => setTimeout(r, 1100));
    const g2 = await byGroup(groupId);
    assert.equal(reader.fetches - before, 1, 'cached: no new fetch');
    assert.ok((g2.partitions[0]?.timeLagSeconds ?? 0) > measured);
    // The consumer catches up: both idle, time lag 0.
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '5' }] });
    const g3 = await byGroup(groupId);
    assert.deepEqual(
      g3.partitions.map((p) => [p.status, p.timeLagSeconds]),
      [
        ['idle', 0],
        ['idle', 0],
      ],
    );
    assert.equal(g3.maxTimeLagSeconds, 0);
  });

  it('reports a group without commits, a rebalancing/active group and a deleted topic as statuses, not errors', async () => {
    const topic = `lag-states-${run}`;
    const groupId = `lag-states-group-${run}`;
    await createTopic(admin, topic, 1);
    await produce(kafka, topic, [{ value: 'a' }, { value: 'b' }]);
    // A live member that never commits.
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let got = 0;
    await consumer.run({
      autoCommit: false,
      eachMessage: () => {
        got++;
        return Promise.resolve();
      },
    });
    await waitFor(() => Promise.resolve(got >= 2), 30_000, 'consumed');
    const g = await byGroup(groupId);
    assert.equal(g.status, 'no-committed-offsets');
    assert.equal(g.members, 1);
    assert.equal(g.partitions[0]?.status, 'no-offset');
    assert.equal(g.partitions[0]?.committed, null);
    assert.equal(g.partitions[0]?.lag, '2');
    assert.equal(g.partitions[0]?.assigned, true);
    await consumer.disconnect();

    // Offsets on a topic that is then deleted.
    const gone = `lag-gone-${run}`;
    const goneGroup = `lag-gone-group-${run}`;
    await createTopic(admin, gone, 1);
    await produce(kafka, gone, [{ value: 'x' }]);
    await admin.setOffsets({
      groupId: goneGroup,
      topic: gone,
      partitions: [{ partition: 0, offset: '1' }],
    });
    await admin.deleteTopics({ topics: [gone] });
    await waitFor(async () => !(await admin.listTopics()).includes(gone), 30_000, 'topic deleted');
    const snap = await readClusterLag(admin, reader);
    const gg = snap.groups.find((x) => x.groupId === goneGroup);
    // Kafka drops the offsets of deleted topics; until then they are reported as topic-deleted.
    if (gg) {
      assert.notEqual(gg.status, 'error');
      for (const p of gg.partitions) assert.equal(p.status, 'topic-deleted');
    }
    assert.ok(
      snap.groups.every((x) => x.status !== 'error'),
      'no group read failed',
    );
  });
});

import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { topicConfigEntries, type TopicSpec } from '@storepulse/contracts';

/**
 * Creates missing topics (idempotent). Returns the names created. A broker that has just started can
 * answer UNKNOWN_TOPIC_OR_PARTITION / LEADER_NOT_AVAILABLE while the new partitions propagate: such
 * retriable errors are retried for up to `retryMs` (default 30 s); others are thrown at once. Existing
 * compacted topics without compaction are switched to it (compactExisting).
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  partitions: number,
  replication: number,
  retryMs = 30_000,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  await compactExisting(
    admin,
    specs.filter((s) => s.compacted === true && existing.has(s.name)),
  );
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length === 0) return [];
  const deadline = Date.now() + retryMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: partitions,
          replicationFactor: replication,
          configEntries: topicConfigEntries(s),
        })),
      });
      return missing.map((s) => s.name);
    } catch (e) {
      const retriable = (e as { retriable?: unknown }).retriable === true;
      if (!retriable || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
    }
  }
}

/**
 * A compacted output topic that already exists without `cleanup.policy=compact` (created by hand,
 * auto-created by a subscriber before StorePulse started, or by an older version) is switched to
 * compaction: a new subscriber of forecasts.demand.v1 / inventory.replenishment.v1 relies on reading
 * the latest message per key. alterConfigs replaces the topic's dynamic configs, so the spec's
 * retention is set with it.
 */
async function compactExisting(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name })),
  });
  const wrong = specs.filter((s) => {
    const r = described.resources.find((x) => x.resourceName === s.name);
    const policy = r?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
    return !(policy ?? '').split(',').includes('compact');
  });
  if (wrong.length === 0) return;
  await admin.alterConfigs({
    validateOnly: false,
    resources: wrong.map((s) => ({
      type: ConfigResourceTypes.TOPIC,
      name: s.name,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'retention.ms', value: String(s.retentionMs) },
      ],
    })),
  });
}

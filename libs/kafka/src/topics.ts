import type { Admin } from 'kafkajs';
import type { TopicSpec } from '@storepulse/contracts';

/** Creates missing topics (idempotent). Returns the names created. */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  partitions: number,
  replication: number,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((s) => ({
      topic: s.name,
      numPartitions: partitions,
      replicationFactor: replication,
      configEntries: [{ name: 'retention.ms', value: String(s.retentionMs) }],
    })),
  });
  return missing.map((s) => s.name);
}

import type { Admin } from 'kafkajs';
import type { TopicSpec } from '@storepulse/contracts';

/**
 * Creates missing topics (idempotent). Returns the names created. A broker that has just started can
 * answer UNKNOWN_TOPIC_OR_PARTITION / LEADER_NOT_AVAILABLE while the new partitions propagate: such
 * retriable errors are retried for up to `retryMs` (default 30 s); others are thrown at once.
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  partitions: number,
  replication: number,
  retryMs = 30_000,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
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
          configEntries: [
            { name: 'retention.ms', value: String(s.retentionMs) },
            ...(s.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
          ],
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

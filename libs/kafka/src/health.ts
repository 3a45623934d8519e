import type { Admin, Kafka } from 'kafkajs';

/**
 * A readiness check for Kafka: the cluster answers metadata (describeCluster) through one lazily
 * connected admin client. Returns the controller and broker count as details.
 */
export function kafkaHealthCheck(kafka: Kafka): {
  name: string;
  check(): Promise<{ ok: boolean; details?: Record<string, unknown> }>;
  close(): Promise<void>;
} {
  let admin: Admin | undefined;
  return {
    name: 'kafka',
    async check() {
      if (!admin) {
        admin = kafka.admin();
        await admin.connect();
      }
      const c = await admin.describeCluster();
      return {
        ok: c.brokers.length > 0,
        details: { brokers: c.brokers.length, controller: c.controller, clusterId: c.clusterId },
      };
    },
    async close() {
      await admin?.disconnect();
      admin = undefined;
    },
  };
}

// Starts Kafka and ClickHouse with testcontainers when a Docker engine is reachable.
// Used by scripts/test.mjs only when KAFKA_BROKERS / CLICKHOUSE_URL are unset and STOREPULSE_TESTCONTAINERS != 0.
import { spawnSync } from 'node:child_process';

export function dockerReachable() {
  if (process.env.STOREPULSE_TESTCONTAINERS === '0') return false;
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  return r.status === 0 && r.stdout.trim().length > 0;
}

/** Returns { env, stop } with KAFKA_BROKERS and CLICKHOUSE_URL pointing at fresh containers. */
export async function startContainers() {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { ClickHouseContainer } = await import('@testcontainers/clickhouse');
  console.log(
    '[test] Docker engine found: starting Kafka (apache/kafka:4.4.0) and ClickHouse with testcontainers',
  );
  const [kafka, clickhouse] = await Promise.all([
    new KafkaContainer('apache/kafka:4.4.0').withKraft().start(),
    new ClickHouseContainer('clickhouse/clickhouse-server:26.7').start(),
  ]);
  return {
    env: {
      KAFKA_BROKERS: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
      CLICKHOUSE_URL: clickhouse.getConnectionUrl(),
      CLICKHOUSE_USER: clickhouse.getUsername(),
      CLICKHOUSE_PASSWORD: clickhouse.getPassword(),
    },
    async stop() {
      await Promise.all([kafka.stop(), clickhouse.stop()]);
    },
  };
}

import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { CLICKHOUSE, queryRows, type ClickHouseHandle } from '@storepulse/clickhouse';
import { TOPICS } from '@storepulse/contracts';
import { KAFKA, KAFKA_INFO, readGroupLag, type GroupLag, type KafkaInfo } from '@storepulse/kafka';
import { AggregatorService } from '@storepulse/aggregator';
import { SimulatorService, type SimulatorStats } from '@storepulse/simulator';

export interface PlatformStatus {
  time: string;
  uptimeSeconds: number;
  kafka: { brokers: string[]; localBroker: boolean; dlqTopicMessages: string };
  clickhouse: { mode: string; version: string; database: string; dataDir: string | null };
  tables: Record<string, number>;
  dlq: { count: number; latest: { topic: string; offset: string; reason: string }[] };
  lag: GroupLag[];
  aggregator: ReturnType<AggregatorService['counters']> & {
    consumer: ReturnType<AggregatorService['consumerHealth']>;
  };
  simulator: SimulatorStats | null;
}

const STATUS_TABLES = ['clickstream_events', 'order_lines', 'inventory_snapshots', 'dead_letters'];

@Injectable()
export class StatusService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly admin: Admin;
  private readonly started = Date.now();

  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(KAFKA_INFO) private readonly kafkaInfo: KafkaInfo,
    @Inject(CLICKHOUSE) private readonly ch: ClickHouseHandle,
    private readonly aggregator: AggregatorService,
    @Optional() private readonly simulator?: SimulatorService,
  ) {
    this.admin = kafka.admin();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.admin.connect();
  }
  async beforeApplicationShutdown(): Promise<void> {
    await this.admin.disconnect();
  }

  async tableCounts(): Promise<Record<string, number>> {
    const rows = await queryRows<{ table: string; rows: string }>(
      this.ch.client,
      `SELECT table, toString(sum(rows)) AS rows FROM system.parts
       WHERE active AND database = {db:String} AND table IN {tables:Array(String)} GROUP BY table`,
      { db: this.ch.database, tables: STATUS_TABLES },
    );
    const out: Record<string, number> = Object.fromEntries(STATUS_TABLES.map((t) => [t, 0]));
    for (const r of rows) out[r.table] = Number(r.rows);
    return out;
  }

  async lag(): Promise<GroupLag[]> {
    const { groups } = await this.admin.listGroups();
    const ids = groups.map((g) => g.groupId).sort();
    return Promise.all(ids.map((id) => readGroupLag(this.admin, id)));
  }

  async status(): Promise<PlatformStatus> {
    const [tables, lag, latest, dlqEnds] = await Promise.all([
      this.tableCounts(),
      this.lag(),
      queryRows<{ topic: string; offset: string; reason: string }>(
        this.ch.client,
        // -1 (an HTTP reject never was on a topic) is stored as its two's complement (migration 0013)
        'SELECT source_topic AS topic, toString(toInt64(source_offset)) AS offset, reason FROM dead_letters ORDER BY failed_at DESC LIMIT 5',
      ),
      this.admin.fetchTopicOffsets(TOPICS.storefrontDlq),
    ]);
    const dlqTopicMessages = dlqEnds
      .reduce((s, p) => s + BigInt(p.high) - BigInt(p.low), 0n)
      .toString();
    return {
      time: new Date().toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
      kafka: {
        brokers: this.kafkaInfo.brokers,
        localBroker: this.kafkaInfo.localBroker,
        dlqTopicMessages,
      },
      clickhouse: {
        mode: this.ch.mode,
        version: await this.ch.version(),
        database: this.ch.database,
        dataDir: this.ch.dataDir ?? null,
      },
      tables,
      dlq: { count: tables['dead_letters'] ?? 0, latest },
      lag,
      aggregator: { ...this.aggregator.counters(), consumer: this.aggregator.consumerHealth() },
      simulator: this.simulator ? this.simulator.stats() : null,
    };
  }

  /** Champion version per model name (the registry's `models` table; FINAL: latest row per version). */
  async champions(): Promise<Record<string, number>> {
    const rows = await queryRows<{ name: string; version: string }>(
      this.ch.client,
      `SELECT name, toString(max(version)) AS version FROM models FINAL
       WHERE status = 'champion' GROUP BY name ORDER BY name`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, Number(r.version)]));
  }

  /** One human line for the terminal; its end says where the first champions show up. */
  async statusLine(): Promise<string> {
    const [s, champions] = await Promise.all([this.status(), this.champions()]);
    const names = Object.keys(champions);
    const models =
      names.length === 0
        ? 'champions: none yet (first run: history, then training; GET /api/models/runs)'
        : `champions: ${names.map((n) => `${n}=v${champions[n]}`).join(' ')} (GET /api/models)`;
    const sim = s.simulator ? `produced=${s.simulator.produced.total} ` : '';
    const totalLag = s.lag.reduce((acc, g) => acc + BigInt(g.totalLag), 0n);
    const t = s.tables;
    return (
      `[status] ${sim}consumed=${s.aggregator.consumed} stored: clicks=${t['clickstream_events']} order_lines=${t['order_lines']} ` +
      `inventory=${t['inventory_snapshots']} dlq=${s.dlq.count} lag=${totalLag} ${models}`
    );
  }
}

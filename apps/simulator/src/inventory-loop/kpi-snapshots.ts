// The simulated inventory's KPIs per policy (with / without StorePulse) as snapshots in ClickHouse
// simulator_inventory_kpis (migration 0010), for the dashboard: the port, its ClickHouse adapter,
// the pure row mapping and the timer that writes them (LOOP.md, "With and without StorePulse").
import {
  Inject,
  Injectable,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { CLICKHOUSE, type ClickHouseHandle } from '@storepulse/clickhouse';
import { LOGGER, type Logger } from '@storepulse/observability';
import { SimulatorService, type InventoryView } from '../simulator.service';
import type { InventoryKpis } from '../storefront';

export const KPI_SNAPSHOT_TABLE = 'simulator_inventory_kpis';

/** One row of simulator_inventory_kpis (ClickHouse DateTime64 as 'YYYY-MM-DD hh:mm:ss.sss'). */
export interface KpiSnapshotRow {
  run_started_at: string;
  ts: string;
  policy: 'following' | 'fixed';
  source: 'live' | 'shadow';
  follows_recommendations: boolean;
  skus: number;
  skus_on_fixed_policy: number;
  simulated_days: number;
  units_demanded: number;
  units_sold: number;
  units_lost: number;
  fill_rate: number | null;
  stockout_sku_days: number;
  mean_on_hand_units: number;
  purchase_orders_placed: number;
  units_ordered: number;
  units_received: number;
  open_purchase_orders: number;
}

/** Where the snapshots go (port). */
export interface KpiSnapshotSink {
  write(rows: readonly KpiSnapshotRow[]): Promise<void>;
}

const chTs = (iso: string): string => iso.replace('T', ' ').replace('Z', '');

/** The rows of one inventory view: one per policy with figures (none before the live start). */
export function snapshotRows(v: InventoryView): KpiSnapshotRow[] {
  if (v.since === null) return [];
  const since = v.since;
  const row = (
    policy: KpiSnapshotRow['policy'],
    source: KpiSnapshotRow['source'],
    k: InventoryKpis,
  ): KpiSnapshotRow => ({
    run_started_at: chTs(since),
    ts: chTs(k.to),
    policy,
    source,
    follows_recommendations: v.followsRecommendations,
    skus: v.skus,
    skus_on_fixed_policy: v.skusOnFixedPolicy,
    simulated_days: k.simulatedDays,
    units_demanded: k.unitsDemanded,
    units_sold: k.unitsSold,
    units_lost: k.unitsLost,
    fill_rate: k.fillRate,
    stockout_sku_days: k.stockoutSkuDays,
    mean_on_hand_units: k.meanOnHandUnits,
    purchase_orders_placed: k.purchaseOrdersPlaced,
    units_ordered: k.unitsOrdered,
    units_received: k.unitsReceived,
    open_purchase_orders: k.openPurchaseOrders,
  });
  const rows: KpiSnapshotRow[] = [];
  if (v.following) rows.push(row('following', 'live', v.following));
  if (v.fixedPolicy && v.fixedPolicySource)
    rows.push(row('fixed', v.fixedPolicySource, v.fixedPolicy));
  return rows;
}

/** The ClickHouse adapter: plain inserts (a snapshot is a point in time; a replay only repeats it). */
export class ClickHouseKpiSnapshots implements KpiSnapshotSink {
  constructor(private readonly client: ClickHouseClient) {}

  async write(rows: readonly KpiSnapshotRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({ table: KPI_SNAPSHOT_TABLE, format: 'JSONEachRow', values: rows });
  }
}

/** DI token of the snapshot sink; absent (null) when the process has no ClickHouse. */
export const KPI_SNAPSHOT_SINK = Symbol('KPI_SNAPSHOT_SINK');

/**
 * Writes the live inventory's KPIs per policy every `simulator.kpiSnapshotMs` (0 = off), and a last
 * snapshot at shutdown. A failed write is logged and counted; the next tick writes the then current
 * figures (they are cumulative, so nothing is lost but the point in time).
 */
@Injectable()
export class KpiSnapshotService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private stopped = false;
  readonly counters = { written: 0, failed: 0 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) logger: Logger,
    private readonly simulator: SimulatorService,
    @Optional() @Inject(KPI_SNAPSHOT_SINK) private readonly sink: KpiSnapshotSink | null = null,
  ) {
    this.log = logger.child({ component: 'simulator-kpi-snapshots' });
  }

  onApplicationBootstrap(): void {
    const { kpiSnapshotMs, eventsPerSec } = this.config.simulator;
    if (kpiSnapshotMs <= 0 || eventsPerSec <= 0) return;
    if (!this.sink) {
      this.log.info(
        'no ClickHouse in this process: inventory KPI snapshots off (GET /api/simulator/inventory still has them)',
      );
      return;
    }
    this.log.info(
      { everyMs: kpiSnapshotMs, table: KPI_SNAPSHOT_TABLE },
      'writing inventory KPI snapshots',
    );
    this.schedule(kpiSnapshotMs);
  }

  /** Writes the current snapshot now (no-op before the live start). Never rejects. */
  async snapshot(): Promise<void> {
    const sink = this.sink;
    if (!sink) return;
    const rows = snapshotRows(this.simulator.inventory());
    if (rows.length === 0) return;
    try {
      await sink.write(rows);
      this.counters.written += rows.length;
    } catch (e) {
      this.counters.failed++;
      this.log.warn({ err: e, table: KPI_SNAPSHOT_TABLE }, 'inventory KPI snapshot write failed');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inflight;
    if (this.sink && this.config.simulator.kpiSnapshotMs > 0) await this.snapshot();
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inflight = this.snapshot().then(() => {
        if (!this.stopped) this.schedule(ms);
      });
    }, ms);
  }
}

/** The sink provider: the ClickHouse adapter when the process has ClickHouse, else null. */
export const kpiSnapshotSinkProvider = {
  provide: KPI_SNAPSHOT_SINK,
  inject: [{ token: CLICKHOUSE, optional: true }],
  useFactory: (ch: ClickHouseHandle | undefined): KpiSnapshotSink | null =>
    ch ? new ClickHouseKpiSnapshots(ch.client) : null,
};

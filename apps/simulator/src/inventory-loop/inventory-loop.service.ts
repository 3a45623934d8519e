import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { Counter, Gauge } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { TOPICS } from '@storepulse/contracts';
import { BatchConsumer, KAFKA } from '@storepulse/kafka';
import { HealthRegistry, LOGGER, PipelineMetrics, type Logger } from '@storepulse/observability';
import { SimulatorService } from '../simulator.service';
import type { InventoryKpis } from '../storefront';
import { RecommendationHandler } from './recommendation-handler';

export const INVENTORY_GROUP_ID = 'storepulse-simulator-inventory';

/**
 * The closed loop: when SIMULATOR_FOLLOW_REPLENISHMENT is on (and the simulator runs), the simulated
 * inventory system consumes inventory.replenishment.v1 (read_committed, from the beginning of the
 * compacted topic: stale positions are ignored) and places the recommended purchase orders on the
 * live storefront. Publishes the inventory KPIs as storepulse_simulator_* metrics either way.
 */
@Injectable()
export class InventoryLoopService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: Logger;
  private readonly handler: RecommendationHandler;
  private consumer: BatchConsumer | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(LOGGER) logger: Logger,
    private readonly metrics: PipelineMetrics,
    private readonly health: HealthRegistry,
    simulator: SimulatorService,
  ) {
    this.log = logger.child({ component: 'simulator-inventory' });
    this.handler = new RecommendationHandler(simulator, this.log);
    registerInventoryMetrics(metrics, simulator, this.handler);
  }

  async onApplicationBootstrap(): Promise<void> {
    const s = this.config.simulator;
    if (!s.followReplenishment || s.eventsPerSec <= 0) {
      this.log.info(
        { followReplenishment: s.followReplenishment },
        'inventory keeps its fixed reorder-point policy',
      );
      return;
    }
    const a = this.config.aggregator;
    this.consumer = new BatchConsumer(
      this.kafka,
      {
        groupId: INVENTORY_GROUP_ID,
        topics: [TOPICS.replenishment],
        partitionsConcurrency: 1,
        maxBytesPerPartition: a.maxBytesPerPartition,
        retryMaxMs: a.retryMaxMs,
        stallTimeoutMs: a.stallTimeoutMs,
        sessionTimeoutMs: a.sessionTimeoutMs,
        drainTimeoutMs: this.config.shutdownDrainTimeoutMs,
        fromBeginning: true,
        readUncommitted: false,
        logger: this.log,
        metrics: this.metrics,
      },
      this.handler,
    );
    const consumer = this.consumer;
    this.health.register({
      name: 'simulator-inventory-consumer',
      check: () => {
        const h = consumer.health();
        return Promise.resolve({ ok: h.running && !h.stalled, details: { ...h } });
      },
    });
    await consumer.start();
    this.log.info(
      { topic: TOPICS.replenishment, groupId: INVENTORY_GROUP_ID },
      'inventory follows replenishment recommendations',
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.consumer) return;
    const { drained } = await this.consumer.stop();
    this.log.info({ drained, ...this.handler.counters }, 'inventory consumer stopped');
  }
}

/** storepulse_simulator_* gauges and counters, read from the live storefront at scrape time. */
export function registerInventoryMetrics(
  metrics: PipelineMetrics,
  simulator: Pick<SimulatorService, 'inventory'>,
  handler: Pick<RecommendationHandler, 'counters'>,
): void {
  const registers = [metrics.registry];
  const kpi = (
    name: string,
    help: string,
    read: (k: NonNullable<ReturnType<SimulatorService['inventory']>['kpis']>) => number | null,
  ): void => {
    new Gauge({
      name: `storepulse_simulator_${name}`,
      help,
      registers,
      collect() {
        this.reset();
        const k = simulator.inventory().kpis;
        const v = k ? read(k) : null;
        if (v !== null && Number.isFinite(v)) this.set(v);
      },
    });
  };
  kpi(
    'units_demanded',
    'Units demanded since the live start (sold + lost)',
    (k) => k.unitsDemanded,
  );
  kpi('units_sold', 'Units sold (order_placed) since the live start', (k) => k.unitsSold);
  kpi('units_lost', 'Units of demand lost to stock-outs since the live start', (k) => k.unitsLost);
  kpi('fill_rate', 'Units sold / units demanded since the live start', (k) => k.fillRate);
  kpi(
    'stockout_sku_days',
    'SKU-days with on_hand <= 0 since the live start',
    (k) => k.stockoutSkuDays,
  );
  kpi(
    'mean_on_hand_units',
    'Time-weighted mean of the total units on hand since the live start',
    (k) => k.meanOnHandUnits,
  );
  kpi(
    'purchase_orders_placed',
    'Purchase orders placed since the live start',
    (k) => k.purchaseOrdersPlaced,
  );
  kpi(
    'units_received',
    'Units received from purchase orders since the live start',
    (k) => k.unitsReceived,
  );
  kpi(
    'open_purchase_orders',
    'Purchase orders placed and not received',
    (k) => k.openPurchaseOrders,
  );
  // Side by side: with StorePulse (following) and without (the fixed policy: the shadow inventory
  // while following, the live one when not). A policy without figures has no sample.
  const perPolicy = (
    name: string,
    help: string,
    read: (k: InventoryKpis) => number | null,
  ): void => {
    new Gauge({
      name: `storepulse_simulator_policy_${name}`,
      help: `${help}, per policy (following = with StorePulse, fixed = the fixed reorder-point policy on the same demand)`,
      labelNames: ['policy'],
      registers,
      collect() {
        this.reset();
        const v = simulator.inventory();
        for (const [policy, k] of [
          ['following', v.following],
          ['fixed', v.fixedPolicy],
        ] as const) {
          const x = k ? read(k) : null;
          if (x !== null && Number.isFinite(x)) this.set({ policy }, x);
        }
      },
    });
  };
  perPolicy('fill_rate', 'Units sold / units demanded since the live start', (k) => k.fillRate);
  perPolicy('units_demanded', 'Units demanded since the live start', (k) => k.unitsDemanded);
  perPolicy(
    'units_lost',
    'Units of demand lost to stock-outs since the live start',
    (k) => k.unitsLost,
  );
  perPolicy(
    'stockout_sku_days',
    'SKU-days with on_hand <= 0 since the live start',
    (k) => k.stockoutSkuDays,
  );
  perPolicy(
    'mean_on_hand_units',
    'Time-weighted mean of the total units on hand since the live start',
    (k) => k.meanOnHandUnits,
  );
  perPolicy(
    'purchase_orders_placed',
    'Purchase orders placed since the live start',
    (k) => k.purchaseOrdersPlaced,
  );
  new Gauge({
    name: 'storepulse_simulator_follows_recommendations',
    help: '1 when the inventory follows inventory.replenishment.v1, 0 on its fixed policy',
    registers,
    collect() {
      this.set(simulator.inventory().followsRecommendations ? 1 : 0);
    },
  });
  new Counter({
    name: 'storepulse_simulator_recommendations_total',
    help: 'Replenishment recommendations received by the simulated inventory, by outcome',
    labelNames: ['outcome'],
    registers,
    collect() {
      this.reset();
      const v = simulator.inventory();
      for (const [outcome, n] of Object.entries(v.recommendations)) this.inc({ outcome }, n);
      this.inc({ outcome: 'invalid' }, handler.counters.invalid);
    },
  });
}

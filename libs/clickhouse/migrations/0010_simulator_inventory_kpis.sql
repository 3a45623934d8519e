-- The simulated inventory's KPIs per policy, side by side (apps/simulator/src/LOOP.md, "With and
-- without StorePulse"): snapshots the simulator writes every SIMULATOR_KPI_SNAPSHOT_MS, read by the
-- dashboard's Demand page. policy 'following' = the live inventory following
-- inventory.replenishment.v1 (with StorePulse); 'fixed' = the fixed reorder-point policy on the same
-- demand (source 'shadow': the counterfactual ledger while following; 'live': the live inventory
-- when it does not follow). Every figure is cumulative from run_started_at (the live start).
CREATE TABLE IF NOT EXISTS simulator_inventory_kpis
(
    run_started_at          DateTime64(3, 'UTC'),
    ts                      DateTime64(3, 'UTC'),
    policy                  LowCardinality(String),
    source                  LowCardinality(String),
    follows_recommendations Bool,
    skus                    UInt32,
    skus_on_fixed_policy    UInt32,
    simulated_days          Float64,
    units_demanded          Float64,
    units_sold              Float64,
    units_lost              Float64,
    fill_rate               Nullable(Float64),
    stockout_sku_days       Float64,
    mean_on_hand_units      Float64,
    purchase_orders_placed  UInt64,
    units_ordered           Float64,
    units_received          Float64,
    open_purchase_orders    UInt64
)
ENGINE = ReplacingMergeTree
ORDER BY (run_started_at, policy, ts)
TTL toDateTime(ts) + INTERVAL 90 DAY;

-- Demand forecasts and replenishment recommendations (docs/models.md "Demand"): the read models
-- behind /api/forecasts, /api/inventory and the dashboard's Demand page. The topics
-- forecasts.demand.v1 and inventory.replenishment.v1 are the contract; these tables keep what was
-- published so it can be queried by SKU, category or action and compared with actuals later.
-- Rows are written after the Kafka transaction that published them committed; a replayed write
-- carries the same id and version, and ReplacingMergeTree keeps one (read with FINAL).
CREATE TABLE IF NOT EXISTS demand_forecasts
(
    forecast_id    UUID,
    sku            String,
    category       LowCardinality(String),
    origin         Date,
    generated_at   DateTime64(3, 'UTC'),
    model_name     LowCardinality(String),
    model_version  UInt32,
    method         LowCardinality(String),
    cold_start     Bool,
    time_zone      LowCardinality(String),
    dates          Array(Date),
    p10            Array(Float64),
    p50            Array(Float64),
    p90            Array(Float64)
)
ENGINE = ReplacingMergeTree(generated_at)
PARTITION BY toYYYYMM(origin)
ORDER BY (sku, origin, model_name, model_version);
-- Latest recommendation per SKU (ReplacingMergeTree on generated_at); `message` is the published
-- JSON (inventory.replenishment.v1), the other columns are for filtering.
CREATE TABLE IF NOT EXISTS replenishment_recommendations
(
    sku                    String,
    category               LowCardinality(String),
    generated_at           DateTime64(3, 'UTC'),
    recommendation_id      UUID,
    action                 Enum8('reorder' = 1, 'ok' = 2, 'overstock' = 3),
    recommended_order_qty  UInt32,
    on_hand                Int64,
    on_order               Int64,
    reorder_point          Float64,
    projected_stockout     Nullable(Date),
    model_version          UInt32,
    message                String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree(generated_at)
ORDER BY sku;

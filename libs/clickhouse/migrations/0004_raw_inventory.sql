-- Stock positions as reported on inventory.stock.v1, one row per message.
CREATE TABLE IF NOT EXISTS inventory_snapshots
(
    sku             String,
    on_hand         Int64,
    on_order        Int64,
    lead_time_days  Float32,
    ts              DateTime64(3, 'UTC'),
    ingested_at     DateTime64(3, 'UTC') DEFAULT now64(3),
    _topic          LowCardinality(String),
    _partition      UInt32,
    _offset         UInt64
)
ENGINE = MergeTree
PARTITION BY toDate(ts)
ORDER BY (sku, ts)
SETTINGS non_replicated_deduplication_window = 10000;

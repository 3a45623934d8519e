-- Raw orders, one row per line item. Sorted for per-SKU reads, bloom index for per-user reads.
CREATE TABLE IF NOT EXISTS order_lines
(
    event_id     UUID,
    type         LowCardinality(String),
    order_id     String,
    user_id      String,
    ts           DateTime64(3, 'UTC'),
    currency     LowCardinality(String),
    line_no      UInt16,
    sku          String,
    category     LowCardinality(String),
    qty          UInt32,
    unit_price   Decimal(18, 4),
    amount       Decimal(18, 4) MATERIALIZED qty * unit_price,
    ingested_at  DateTime64(3, 'UTC') DEFAULT now64(3),
    _topic       LowCardinality(String),
    _partition   UInt32,
    _offset      UInt64,
    INDEX idx_user user_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toDate(ts)
ORDER BY (sku, ts, order_id, line_no)
SETTINGS non_replicated_deduplication_window = 10000;

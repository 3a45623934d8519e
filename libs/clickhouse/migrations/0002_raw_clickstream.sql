-- Raw clickstream, one row per valid event. Partitioned by event day; sorted for per-user reads,
-- with a bloom-filter index for per-SKU reads. TTL is set from RAW_TTL_DAYS at start-up.
-- non_replicated_deduplication_window enables insert_deduplication_token on this table.
CREATE TABLE IF NOT EXISTS clickstream_events
(
    event_id     UUID,
    type         LowCardinality(String),
    user_id      String,
    session_id   String,
    ts           DateTime64(3, 'UTC'),
    sku          String,
    price        Nullable(Decimal(18, 4)),
    category     LowCardinality(String),
    query        String,
    ingested_at  DateTime64(3, 'UTC') DEFAULT now64(3),
    _topic       LowCardinality(String),
    _partition   UInt32,
    _offset      UInt64,
    INDEX idx_sku sku TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toDate(ts)
ORDER BY (user_id, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000;

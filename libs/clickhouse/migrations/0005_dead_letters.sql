-- Every dead-lettered message, with the original bytes and the reason; mirrors dlq.storefront.v1
-- exactly once (written in the same chunk as the valid rows, under the same deduplication token).
CREATE TABLE IF NOT EXISTS dead_letters
(
    source_topic      LowCardinality(String),
    source_partition  UInt32,
    source_offset     UInt64,
    message_key       String,
    payload           String,
    reason            String,
    fields            Array(String),
    failed_at         DateTime64(3, 'UTC'),
    consumer_group    LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(failed_at)
ORDER BY (source_topic, source_partition, source_offset)
SETTINGS non_replicated_deduplication_window = 10000;

-- Exactly-once bookkeeping for the aggregator (see docs/exactly-once.md).
-- One row per chunk of one topic-partition: written as 'pending' before the chunk's data is inserted
-- and as 'done' after; ReplacingMergeTree(version) keeps 'done' over 'pending' for a chunk.
CREATE TABLE IF NOT EXISTS ingest_ledger
(
    pipeline      LowCardinality(String),
    topic         LowCardinality(String),
    partition     UInt32,
    first_offset  UInt64,
    last_offset   UInt64,
    token         String,
    state         Enum8('pending' = 1, 'done' = 2),
    version       UInt8 MATERIALIZED toUInt8(state),
    rows          UInt32,
    dead_letters  UInt32,
    updated_at    DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (pipeline, topic, partition, first_offset);

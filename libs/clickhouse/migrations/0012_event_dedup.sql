-- event_id deduplication (docs/exactly-once.md, "Duplicate events"). A storefront that resends after
-- a timeout produces the same event_id at another offset; the aggregator looks the ids of a chunk up
-- here before writing it and drops those already stored from another (topic, partition, offset)
-- within DEDUP_WINDOW_MS. Fed by materialized views from the raw tables, so an id is indexed by the
-- same insert (and the same deduplication tokens) as its rows. Sorted by event time then id: a resent
-- event keeps its ts, so a lookup reads only the granules of the chunk's event times.
-- The TTL is set from DEDUP_WINDOW_MS at start-up (applyRetention); lookups filter on ingested_at.
CREATE TABLE IF NOT EXISTS recent_event_ids
(
    event_id     UUID,
    ts           DateTime64(3, 'UTC'),
    ingested_at  DateTime64(3, 'UTC'),
    _topic       LowCardinality(String),
    _partition   UInt32,
    _offset      UInt64
)
ENGINE = MergeTree
PARTITION BY toDate(ingested_at)
ORDER BY (ts, event_id)
TTL toDateTime(ingested_at) + INTERVAL 2 DAY
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024, ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_recent_event_ids_clicks TO recent_event_ids AS
SELECT event_id, ts, ingested_at, _topic, _partition, _offset
FROM clickstream_events;

-- every line of an order (a torn insert may have landed some lines of an event and not others)
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_recent_event_ids_orders TO recent_event_ids AS
SELECT event_id, ts, ingested_at, _topic, _partition, _offset
FROM order_lines;

-- duplicates dropped per chunk (they are not dead letters: not bad input)
ALTER TABLE ingest_ledger ADD COLUMN IF NOT EXISTS duplicates UInt32 DEFAULT 0;

-- Model registry (libs/ml/src/registry): one row per model version plus an append-only audit of
-- status transitions (MLflow vocabulary: versions, the champion alias, who served when).
-- models: a status change re-inserts the version's row (INSERT ... SELECT, server side) with a later
-- updated_at; ReplacingMergeTree(updated_at) keeps the newest, so always read it with FINAL.
-- artifact holds the model-io buffer (saveModelToBuffer) as base64 text, binary-safe through every
-- format; artifact_sha256 is over the raw bytes and artifact_bytes their count, so list queries
-- never need to touch the artifact column.
CREATE TABLE IF NOT EXISTS models
(
    name             LowCardinality(String),
    version          UInt32,
    kind             Enum8('propensity' = 1, 'demand' = 2),
    horizon          LowCardinality(String),
    created_at       DateTime64(3, 'UTC'),
    parent_version   Nullable(UInt32),
    training_from    DateTime64(3, 'UTC'),
    training_to      DateTime64(3, 'UTC'),
    feature_names    Array(String),
    catalog_hash     String,
    metrics          String,
    artifact         String CODEC(ZSTD(3)),
    artifact_sha256  String,
    artifact_bytes   UInt32,
    status           Enum8('candidate' = 1, 'champion' = 2, 'retired' = 3, 'rejected' = 4),
    updated_at       DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (name, version);
-- One row per transition; from_version is the champion before the transition (promoted,
-- rolled_back). Per model name, `at` is strictly increasing (the registry serialises a name's
-- transitions), so the champion at an instant is the version of the last promoted/rolled_back
-- event at or before it.
CREATE TABLE IF NOT EXISTS model_events
(
    name          LowCardinality(String),
    version       UInt32,
    event         Enum8('registered' = 1, 'promoted' = 2, 'rejected' = 3, 'rolled_back' = 4, 'retired' = 5),
    reason        String,
    actor         LowCardinality(String),
    at            DateTime64(3, 'UTC'),
    from_version  Nullable(UInt32)
)
ENGINE = MergeTree
ORDER BY (name, at);

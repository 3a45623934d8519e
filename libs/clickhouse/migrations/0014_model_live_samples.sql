-- The labelled live samples behind each model_live_metrics row: one row per sampled live score that
-- the scorer labelled once its horizon passed the data watermark (MaturedLabelMonitor.resolveLabelled),
-- appended with the row of its resolution (same model, version, computed_at). The trainer's drift check
-- and the monitor pool them at read time over TRAINER_DRIFT_LIVE_AUC_WINDOW_MS of prediction time
-- (LiveSamplesStore.pooled, pooledLiveAuc), so the live AUC they compare covers the samples of many
-- resolutions, of every scorer instance and across scorer restarts. t is the prediction time, label 1
-- when the user ordered in [t, t + horizon), weight the sample's Horvitz-Thompson weight (>= 1).
-- Sorted by (model, version, t): a pooled read scans one version's newest granules. Rows expire 90 days
-- after their resolution (the window is at most 30 days).
CREATE TABLE IF NOT EXISTS model_live_samples
(
    model_name     LowCardinality(String),
    model_version  UInt32,
    horizon        LowCardinality(String),
    computed_at    DateTime64(3, 'UTC'),
    watermark      DateTime64(3, 'UTC'),
    t              DateTime64(3, 'UTC'),
    user_id        String,
    score          Float64,
    label          UInt8,
    weight         Float64
)
ENGINE = MergeTree
ORDER BY (model_name, model_version, t)
TTL toDateTime(computed_at) + INTERVAL 90 DAY;

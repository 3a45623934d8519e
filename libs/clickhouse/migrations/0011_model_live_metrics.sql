-- Live (matured-label) AUC of the propensity models the scorer serves: one row each time the scorer
-- labels a batch of its sampled live scores whose horizon has passed the data watermark
-- (ScorerService.resolveLiveAuc, MaturedLabelMonitor). Written by the scorer, read by the trainer's
-- drift check (the auc-drop rule) and the dashboard's Models page, so they need not share a process.
-- auc is NULL when the batch has a single class (no AUC); n = positives + negatives (unweighted
-- samples); weight_sum estimates the live predictions they stand for. label_from/label_to is the
-- window of order times read to label them, [min t, max t + horizon).
CREATE TABLE IF NOT EXISTS model_live_metrics
(
    model_name     LowCardinality(String),
    model_version  UInt32,
    horizon        LowCardinality(String),
    computed_at    DateTime64(3, 'UTC'),
    watermark      DateTime64(3, 'UTC'),
    label_from     DateTime64(3, 'UTC'),
    label_to       DateTime64(3, 'UTC'),
    auc            Nullable(Float64),
    n              UInt32,
    positives      UInt32,
    negatives      UInt32,
    weight_sum     Float64
)
ENGINE = MergeTree
ORDER BY (model_name, model_version, computed_at);

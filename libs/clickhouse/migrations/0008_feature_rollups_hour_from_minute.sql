-- GENERATED from libs/features/src/rollups.ts (node dist/libs/features/src/ddl.main.js); do not edit.
-- Hour rollups fed from the minute rollups: raw rows pass through the minute views only, and each
-- hour view aggregates its minute view's output block (the same values, see cascadeStateExpr).
-- Apply after a clean shutdown of every aggregator: it fails while a chunk is pending, because a
-- pending chunk re-run through the new chain of views would be counted twice in the hour rollups.
SELECT throwIf(count() > 0, 'migration 0008 needs a clean shutdown: ingest_ledger has a pending chunk (re-run it with the previous version first, see docs/exactly-once.md)') FROM ingest_ledger FINAL WHERE state = 'pending';
DROP VIEW IF EXISTS mv_fr_user_click_1h;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_user_click_1h TO fr_user_click_1h AS
SELECT user_id, toStartOfHour(bucket) AS bucket,
    sum(n_events) AS n_events,
    sum(n_page_view) AS n_page_view,
    sum(n_product_view) AS n_product_view,
    sum(n_search) AS n_search,
    sum(n_add_to_cart) AS n_add_to_cart,
    sum(n_remove_from_cart) AS n_remove_from_cart,
    sum(n_checkout_started) AS n_checkout_started,
    uniqExactMergeState(skus_viewed) AS skus_viewed,
    uniqExactMergeState(categories_viewed) AS categories_viewed,
    max(last_ts) AS last_ts,
    min(first_ts) AS first_ts
FROM fr_user_click_1m
GROUP BY user_id, bucket;
DROP VIEW IF EXISTS mv_fr_user_order_1h;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_user_order_1h TO fr_user_order_1h AS
SELECT user_id, toStartOfHour(bucket) AS bucket,
    sum(n_orders) AS n_orders,
    sum(n_cancellations) AS n_cancellations,
    sum(units) AS units,
    sum(spend) AS spend,
    max(last_order_ts) AS last_order_ts,
    min(first_order_ts) AS first_order_ts
FROM fr_user_order_1m
GROUP BY user_id, bucket;
DROP VIEW IF EXISTS mv_fr_sku_click_1h;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_sku_click_1h TO fr_sku_click_1h AS
SELECT sku, toStartOfHour(bucket) AS bucket,
    sum(n_views) AS n_views,
    sum(n_carts) AS n_carts,
    uniqExactMergeState(viewers) AS viewers,
    sum(n_priced) AS n_priced,
    argMaxMergeState(last_price) AS last_price
FROM fr_sku_click_1m
GROUP BY sku, bucket;
DROP VIEW IF EXISTS mv_fr_sku_order_1h;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_sku_order_1h TO fr_sku_order_1h AS
SELECT sku, toStartOfHour(bucket) AS bucket,
    sum(n_orders) AS n_orders,
    sum(units) AS units,
    sum(revenue) AS revenue,
    uniqExactMergeState(buyers) AS buyers
FROM fr_sku_order_1m
GROUP BY sku, bucket;
DROP VIEW IF EXISTS mv_fr_category_click_1h;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_category_click_1h TO fr_category_click_1h AS
SELECT category, toStartOfHour(bucket) AS bucket,
    sum(n_views) AS n_views,
    sum(n_carts) AS n_carts,
    uniqExactMergeState(viewers) AS viewers,
    uniqExactMergeState(skus_viewed) AS skus_viewed
FROM fr_category_click_1m
GROUP BY category, bucket;
DROP VIEW IF EXISTS mv_fr_category_order_1h;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_category_order_1h TO fr_category_order_1h AS
SELECT category, toStartOfHour(bucket) AS bucket,
    sum(n_orders) AS n_orders,
    sum(units) AS units,
    sum(revenue) AS revenue,
    uniqExactMergeState(buyers) AS buyers
FROM fr_category_order_1m
GROUP BY category, bucket;

-- GENERATED from libs/features/src/rollups.ts (node dist/libs/features/src/ddl.main.js); do not edit.
-- Rollup measures added in migration 0007: new columns, views re-created
-- with the new SELECT. Rows written before this migration read the DEFAULT (an approximation, see
-- docs/features.md); `npm run features:backfill` recomputes them exactly from the raw tables.
ALTER TABLE fr_user_click_1m ADD COLUMN IF NOT EXISTS first_ts SimpleAggregateFunction(min, DateTime64(3, 'UTC')) DEFAULT toDateTime64(bucket, 3, 'UTC');
DROP VIEW IF EXISTS mv_fr_user_click_1m;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_user_click_1m TO fr_user_click_1m AS
SELECT user_id, toStartOfMinute(ts) AS bucket,
    count() AS n_events,
    countIf(type = 'page_view') AS n_page_view,
    countIf(type = 'product_view') AS n_product_view,
    countIf(type = 'search') AS n_search,
    countIf(type = 'add_to_cart') AS n_add_to_cart,
    countIf(type = 'remove_from_cart') AS n_remove_from_cart,
    countIf(type = 'checkout_started') AS n_checkout_started,
    uniqExactStateIf(sku, type = 'product_view' AND sku != '') AS skus_viewed,
    uniqExactStateIf(category, type = 'product_view' AND category != '') AS categories_viewed,
    max(ts) AS last_ts,
    min(ts) AS first_ts
FROM clickstream_events
GROUP BY user_id, bucket;
ALTER TABLE fr_user_click_1h ADD COLUMN IF NOT EXISTS first_ts SimpleAggregateFunction(min, DateTime64(3, 'UTC')) DEFAULT toDateTime64(bucket, 3, 'UTC');
DROP VIEW IF EXISTS mv_fr_user_click_1h;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_user_click_1h TO fr_user_click_1h AS
SELECT user_id, toStartOfHour(ts) AS bucket,
    count() AS n_events,
    countIf(type = 'page_view') AS n_page_view,
    countIf(type = 'product_view') AS n_product_view,
    countIf(type = 'search') AS n_search,
    countIf(type = 'add_to_cart') AS n_add_to_cart,
    countIf(type = 'remove_from_cart') AS n_remove_from_cart,
    countIf(type = 'checkout_started') AS n_checkout_started,
    uniqExactStateIf(sku, type = 'product_view' AND sku != '') AS skus_viewed,
    uniqExactStateIf(category, type = 'product_view' AND category != '') AS categories_viewed,
    max(ts) AS last_ts,
    min(ts) AS first_ts
FROM clickstream_events
GROUP BY user_id, bucket;
ALTER TABLE fr_user_order_1m ADD COLUMN IF NOT EXISTS first_order_ts SimpleAggregateFunction(min, DateTime64(3, 'UTC')) DEFAULT if(n_orders = 0, toDateTime64('2299-12-31 00:00:00', 3, 'UTC'), toDateTime64(bucket, 3, 'UTC'));
DROP VIEW IF EXISTS mv_fr_user_order_1m;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_user_order_1m TO fr_user_order_1m AS
SELECT user_id, toStartOfMinute(ts) AS bucket,
    countIf(type = 'order_placed' AND line_no = 0) AS n_orders,
    countIf(type = 'order_cancelled' AND line_no = 0) AS n_cancellations,
    sumIf(toUInt64(qty), type = 'order_placed') AS units,
    sumIf(toDecimal128(qty * unit_price, 4), type = 'order_placed') AS spend,
    maxIf(ts, type = 'order_placed') AS last_order_ts,
    if(countIf(type = 'order_placed') = 0, toDateTime64('2299-12-31 00:00:00', 3, 'UTC'), minIf(ts, type = 'order_placed')) AS first_order_ts
FROM order_lines
GROUP BY user_id, bucket;
ALTER TABLE fr_user_order_1h ADD COLUMN IF NOT EXISTS first_order_ts SimpleAggregateFunction(min, DateTime64(3, 'UTC')) DEFAULT if(n_orders = 0, toDateTime64('2299-12-31 00:00:00', 3, 'UTC'), toDateTime64(bucket, 3, 'UTC'));
DROP VIEW IF EXISTS mv_fr_user_order_1h;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_user_order_1h TO fr_user_order_1h AS
SELECT user_id, toStartOfHour(ts) AS bucket,
    countIf(type = 'order_placed' AND line_no = 0) AS n_orders,
    countIf(type = 'order_cancelled' AND line_no = 0) AS n_cancellations,
    sumIf(toUInt64(qty), type = 'order_placed') AS units,
    sumIf(toDecimal128(qty * unit_price, 4), type = 'order_placed') AS spend,
    maxIf(ts, type = 'order_placed') AS last_order_ts,
    if(countIf(type = 'order_placed') = 0, toDateTime64('2299-12-31 00:00:00', 3, 'UTC'), minIf(ts, type = 'order_placed')) AS first_order_ts
FROM order_lines
GROUP BY user_id, bucket;

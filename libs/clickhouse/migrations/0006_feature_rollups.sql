-- GENERATED from libs/features/src/rollups.ts (node dist/libs/features/src/ddl.main.js); do not edit.
-- Feature rollups: AggregatingMergeTree per (entity, source, granularity), fed by materialized views
-- from the raw tables, keyed by event-time bucket. non_replicated_deduplication_window makes inserts
-- through the views idempotent under the raw insert_deduplication_token (docs/exactly-once.md).
-- TTL is set from FEATURES_ROLLUP_TTL_DAYS at start-up.
CREATE TABLE IF NOT EXISTS fr_user_click_1m
(
    user_id String,
    bucket DateTime('UTC'),
    n_events SimpleAggregateFunction(sum, UInt64),
    n_page_view SimpleAggregateFunction(sum, UInt64),
    n_product_view SimpleAggregateFunction(sum, UInt64),
    n_search SimpleAggregateFunction(sum, UInt64),
    n_add_to_cart SimpleAggregateFunction(sum, UInt64),
    n_remove_from_cart SimpleAggregateFunction(sum, UInt64),
    n_checkout_started SimpleAggregateFunction(sum, UInt64),
    skus_viewed AggregateFunction(uniqExact, String),
    categories_viewed AggregateFunction(uniqExact, String),
    last_ts SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (user_id, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
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
    max(ts) AS last_ts
FROM clickstream_events
GROUP BY user_id, bucket;
CREATE TABLE IF NOT EXISTS fr_user_click_1h
(
    user_id String,
    bucket DateTime('UTC'),
    n_events SimpleAggregateFunction(sum, UInt64),
    n_page_view SimpleAggregateFunction(sum, UInt64),
    n_product_view SimpleAggregateFunction(sum, UInt64),
    n_search SimpleAggregateFunction(sum, UInt64),
    n_add_to_cart SimpleAggregateFunction(sum, UInt64),
    n_remove_from_cart SimpleAggregateFunction(sum, UInt64),
    n_checkout_started SimpleAggregateFunction(sum, UInt64),
    skus_viewed AggregateFunction(uniqExact, String),
    categories_viewed AggregateFunction(uniqExact, String),
    last_ts SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (user_id, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
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
    max(ts) AS last_ts
FROM clickstream_events
GROUP BY user_id, bucket;
CREATE TABLE IF NOT EXISTS fr_user_order_1m
(
    user_id String,
    bucket DateTime('UTC'),
    n_orders SimpleAggregateFunction(sum, UInt64),
    n_cancellations SimpleAggregateFunction(sum, UInt64),
    units SimpleAggregateFunction(sum, UInt64),
    spend SimpleAggregateFunction(sum, Decimal(38, 4)),
    last_order_ts SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (user_id, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_user_order_1m TO fr_user_order_1m AS
SELECT user_id, toStartOfMinute(ts) AS bucket,
    countIf(type = 'order_placed' AND line_no = 0) AS n_orders,
    countIf(type = 'order_cancelled' AND line_no = 0) AS n_cancellations,
    sumIf(toUInt64(qty), type = 'order_placed') AS units,
    sumIf(toDecimal128(qty * unit_price, 4), type = 'order_placed') AS spend,
    maxIf(ts, type = 'order_placed') AS last_order_ts
FROM order_lines
GROUP BY user_id, bucket;
CREATE TABLE IF NOT EXISTS fr_user_order_1h
(
    user_id String,
    bucket DateTime('UTC'),
    n_orders SimpleAggregateFunction(sum, UInt64),
    n_cancellations SimpleAggregateFunction(sum, UInt64),
    units SimpleAggregateFunction(sum, UInt64),
    spend SimpleAggregateFunction(sum, Decimal(38, 4)),
    last_order_ts SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (user_id, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_user_order_1h TO fr_user_order_1h AS
SELECT user_id, toStartOfHour(ts) AS bucket,
    countIf(type = 'order_placed' AND line_no = 0) AS n_orders,
    countIf(type = 'order_cancelled' AND line_no = 0) AS n_cancellations,
    sumIf(toUInt64(qty), type = 'order_placed') AS units,
    sumIf(toDecimal128(qty * unit_price, 4), type = 'order_placed') AS spend,
    maxIf(ts, type = 'order_placed') AS last_order_ts
FROM order_lines
GROUP BY user_id, bucket;
CREATE TABLE IF NOT EXISTS fr_sku_click_1m
(
    sku String,
    bucket DateTime('UTC'),
    n_views SimpleAggregateFunction(sum, UInt64),
    n_carts SimpleAggregateFunction(sum, UInt64),
    viewers AggregateFunction(uniqExact, String),
    n_priced SimpleAggregateFunction(sum, UInt64),
    last_price AggregateFunction(argMax, Decimal(18, 4), DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (sku, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_sku_click_1m TO fr_sku_click_1m AS
SELECT sku, toStartOfMinute(ts) AS bucket,
    countIf(type = 'product_view') AS n_views,
    countIf(type = 'add_to_cart') AS n_carts,
    uniqExactStateIf(user_id, type = 'product_view') AS viewers,
    countIf(price IS NOT NULL) AS n_priced,
    argMaxStateIf(assumeNotNull(price), ts, price IS NOT NULL) AS last_price
FROM clickstream_events
WHERE sku != ''
GROUP BY sku, bucket;
CREATE TABLE IF NOT EXISTS fr_sku_click_1h
(
    sku String,
    bucket DateTime('UTC'),
    n_views SimpleAggregateFunction(sum, UInt64),
    n_carts SimpleAggregateFunction(sum, UInt64),
    viewers AggregateFunction(uniqExact, String),
    n_priced SimpleAggregateFunction(sum, UInt64),
    last_price AggregateFunction(argMax, Decimal(18, 4), DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (sku, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_sku_click_1h TO fr_sku_click_1h AS
SELECT sku, toStartOfHour(ts) AS bucket,
    countIf(type = 'product_view') AS n_views,
    countIf(type = 'add_to_cart') AS n_carts,
    uniqExactStateIf(user_id, type = 'product_view') AS viewers,
    countIf(price IS NOT NULL) AS n_priced,
    argMaxStateIf(assumeNotNull(price), ts, price IS NOT NULL) AS last_price
FROM clickstream_events
WHERE sku != ''
GROUP BY sku, bucket;
CREATE TABLE IF NOT EXISTS fr_sku_order_1m
(
    sku String,
    bucket DateTime('UTC'),
    n_orders SimpleAggregateFunction(sum, UInt64),
    units SimpleAggregateFunction(sum, UInt64),
    revenue SimpleAggregateFunction(sum, Decimal(38, 4)),
    buyers AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (sku, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_sku_order_1m TO fr_sku_order_1m AS
SELECT sku, toStartOfMinute(ts) AS bucket,
    uniqExactIf(order_id, type = 'order_placed') AS n_orders,
    sumIf(toUInt64(qty), type = 'order_placed') AS units,
    sumIf(toDecimal128(qty * unit_price, 4), type = 'order_placed') AS revenue,
    uniqExactStateIf(user_id, type = 'order_placed') AS buyers
FROM order_lines
GROUP BY sku, bucket;
CREATE TABLE IF NOT EXISTS fr_sku_order_1h
(
    sku String,
    bucket DateTime('UTC'),
    n_orders SimpleAggregateFunction(sum, UInt64),
    units SimpleAggregateFunction(sum, UInt64),
    revenue SimpleAggregateFunction(sum, Decimal(38, 4)),
    buyers AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (sku, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_sku_order_1h TO fr_sku_order_1h AS
SELECT sku, toStartOfHour(ts) AS bucket,
    uniqExactIf(order_id, type = 'order_placed') AS n_orders,
    sumIf(toUInt64(qty), type = 'order_placed') AS units,
    sumIf(toDecimal128(qty * unit_price, 4), type = 'order_placed') AS revenue,
    uniqExactStateIf(user_id, type = 'order_placed') AS buyers
FROM order_lines
GROUP BY sku, bucket;
CREATE TABLE IF NOT EXISTS fr_sku_inventory_1h
(
    sku String,
    bucket DateTime('UTC'),
    n_snapshots SimpleAggregateFunction(sum, UInt64),
    on_hand AggregateFunction(argMax, Int64, DateTime64(3, 'UTC')),
    on_order AggregateFunction(argMax, Int64, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (sku, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_sku_inventory_1h TO fr_sku_inventory_1h AS
SELECT sku, toStartOfHour(ts) AS bucket,
    count() AS n_snapshots,
    argMaxState(on_hand, ts) AS on_hand,
    argMaxState(on_order, ts) AS on_order
FROM inventory_snapshots
GROUP BY sku, bucket;
CREATE TABLE IF NOT EXISTS fr_category_click_1m
(
    category String,
    bucket DateTime('UTC'),
    n_views SimpleAggregateFunction(sum, UInt64),
    n_carts SimpleAggregateFunction(sum, UInt64),
    viewers AggregateFunction(uniqExact, String),
    skus_viewed AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (category, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_category_click_1m TO fr_category_click_1m AS
SELECT category, toStartOfMinute(ts) AS bucket,
    countIf(type = 'product_view') AS n_views,
    countIf(type = 'add_to_cart') AS n_carts,
    uniqExactStateIf(user_id, type = 'product_view') AS viewers,
    uniqExactStateIf(sku, type = 'product_view' AND sku != '') AS skus_viewed
FROM clickstream_events
WHERE category != ''
GROUP BY category, bucket;
CREATE TABLE IF NOT EXISTS fr_category_click_1h
(
    category String,
    bucket DateTime('UTC'),
    n_views SimpleAggregateFunction(sum, UInt64),
    n_carts SimpleAggregateFunction(sum, UInt64),
    viewers AggregateFunction(uniqExact, String),
    skus_viewed AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (category, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_category_click_1h TO fr_category_click_1h AS
SELECT category, toStartOfHour(ts) AS bucket,
    countIf(type = 'product_view') AS n_views,
    countIf(type = 'add_to_cart') AS n_carts,
    uniqExactStateIf(user_id, type = 'product_view') AS viewers,
    uniqExactStateIf(sku, type = 'product_view' AND sku != '') AS skus_viewed
FROM clickstream_events
WHERE category != ''
GROUP BY category, bucket;
CREATE TABLE IF NOT EXISTS fr_category_order_1m
(
    category String,
    bucket DateTime('UTC'),
    n_orders SimpleAggregateFunction(sum, UInt64),
    units SimpleAggregateFunction(sum, UInt64),
    revenue SimpleAggregateFunction(sum, Decimal(38, 4)),
    buyers AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (category, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_category_order_1m TO fr_category_order_1m AS
SELECT category, toStartOfMinute(ts) AS bucket,
    uniqExactIf(order_id, type = 'order_placed') AS n_orders,
    sumIf(toUInt64(qty), type = 'order_placed') AS units,
    sumIf(toDecimal128(qty * unit_price, 4), type = 'order_placed') AS revenue,
    uniqExactStateIf(user_id, type = 'order_placed') AS buyers
FROM order_lines
WHERE category != ''
GROUP BY category, bucket;
CREATE TABLE IF NOT EXISTS fr_category_order_1h
(
    category String,
    bucket DateTime('UTC'),
    n_orders SimpleAggregateFunction(sum, UInt64),
    units SimpleAggregateFunction(sum, UInt64),
    revenue SimpleAggregateFunction(sum, Decimal(38, 4)),
    buyers AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (category, bucket)
SETTINGS non_replicated_deduplication_window = 10000;
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_fr_category_order_1h TO fr_category_order_1h AS
SELECT category, toStartOfHour(ts) AS bucket,
    uniqExactIf(order_id, type = 'order_placed') AS n_orders,
    sumIf(toUInt64(qty), type = 'order_placed') AS units,
    sumIf(toDecimal128(qty * unit_price, 4), type = 'order_placed') AS revenue,
    uniqExactStateIf(user_id, type = 'order_placed') AS buyers
FROM order_lines
WHERE category != ''
GROUP BY category, bucket;

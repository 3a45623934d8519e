import type { AccessClass } from '@storepulse/config';

/**
 * The decided access class of every HTTP route of every app (docs/reliability.md "Access"). A route
 * that is not listed here, or listed with another class than its decorators give it, fails
 * test/access/routes.spec.ts: a new route cannot ship without a decision.
 */
export const ROUTE_POLICY: Record<string, AccessClass> = {
  // probes (libs/observability)
  'GET /metrics': 'public',
  'GET /health': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  // static dashboard pages and Chart.js: no data (the data is /api/*, with a key)
  'GET /': 'public',
  'GET /models': 'public',
  'GET /demand': 'public',
  'GET /dashboard/chart.umd.min.js': 'public',
  // collector: the tracker script, and ingest behind the collector's own write keys
  'GET /v1/storepulse.js': 'public',
  'POST /v1/events': 'public',
  'POST /v1/inventory': 'public',
  // monitor
  'GET /api/alerts': 'read',
  'GET /api/lag': 'read',
  'GET /api/lag/:group': 'read',
  'GET /api/monitor/overview': 'read',
  'GET /api/stream': 'read',
  'GET /api/dashboard/demand/loop': 'read',
  'GET /api/dashboard/demand/model': 'read',
  'GET /api/dashboard/demand/reorder': 'read',
  'GET /api/dashboard/demand/sku/:sku': 'read',
  'GET /api/dashboard/demand/skus': 'read',
  'GET /api/dashboard/models/live-auc': 'read',
  // features (POST batch is a lookup of many entities, not a change)
  'GET /api/features/catalog': 'read',
  'GET /api/features/categories/:category': 'read',
  'GET /api/features/online': 'read',
  'GET /api/features/skus/:sku': 'read',
  'GET /api/features/users/:id': 'read',
  'POST /api/features/batch': 'read',
  // scorer: scores and forecasts (POST propensity scores a list of users; it changes nothing)
  'GET /api/predictions/live': 'read',
  'GET /api/predictions/propensity/:userId': 'read',
  'POST /api/predictions/propensity': 'read',
  'GET /api/forecasts/demand': 'read',
  'GET /api/forecasts/demand/:sku': 'read',
  'GET /api/forecasts/demand-runs/latest': 'read',
  'POST /api/forecasts/demand-runs': 'admin',
  'GET /api/inventory/replenishment': 'read',
  'GET /api/inventory/replenishment/:sku': 'read',
  // trainer: the registry is read; training, promotion and rollback are admin actions
  'GET /api/models': 'read',
  'GET /api/models/:name/:version': 'read',
  'GET /api/models/events': 'read',
  'GET /api/models/runs': 'read',
  'GET /api/models/runs/:id': 'read',
  'POST /api/models/propensity/train': 'admin',
  'POST /api/models/demand/train': 'admin',
  'POST /api/models/:name/:version/promote': 'admin',
  'POST /api/models/:name/rollback': 'admin',
  // simulator and the all-in-one status
  'GET /api/simulator/inventory': 'read',
  'GET /api/status': 'read',
  'GET /api/raw/orders/:orderId': 'read',
};

export * from './recommendation-handler';
export * from './inventory-loop.service';
export * from './inventory.controller';
export * from './kpi-snapshots';

export * from './aggregator.module';
export * from './aggregator.service';
export * from './ingest/ingest.service';
export * from './ingest/ledger.repository';
export * from './ingest/rows';
export * from './online-feed';
export * from './disk-full/disk-full-guard';

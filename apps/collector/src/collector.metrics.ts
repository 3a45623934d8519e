import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { ProduceRequestStats } from '@storepulse/kafka';
import { PipelineMetrics } from '@storepulse/observability';

/** The collector's Prometheus metrics, in the process-wide registry. */
@Injectable()
export class CollectorMetrics {
  readonly requests: Counter<'route' | 'status'>;
  readonly events: Counter<'topic' | 'outcome'>;
  readonly produceSeconds: Histogram<'outcome'>;
  readonly keyReloads: Counter<'trigger' | 'outcome'>;
  readonly produceQueueSeconds: Histogram;
  readonly produceRequestSeconds: Histogram<'outcome'>;
  readonly produceRequestRecords: Histogram;
  readonly writeKeys: Gauge<'state'>;

  constructor(readonly pipeline: PipelineMetrics) {
    const registers = [pipeline.registry];
    this.requests = new Counter({
      name: 'storepulse_collector_requests_total',
      help: 'HTTP ingest requests by route and status (413 oversize, 429 rate-limited, 503 Kafka unavailable, ...)',
      labelNames: ['route', 'status'] as const,
      registers,
    });
    this.events = new Counter({
      name: 'storepulse_collector_events_total',
      help: 'Events received over HTTP, per topic and outcome (accepted: produced; rejected: dead-lettered)',
      labelNames: ['topic', 'outcome'] as const,
      registers,
    });
    this.produceSeconds = new Histogram({
      name: 'storepulse_collector_produce_seconds',
      help: 'Time from handing a request’s records to the producer to the acks=all acknowledgement',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const latency = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
    this.produceQueueSeconds = new Histogram({
      name: 'storepulse_collector_produce_queue_seconds',
      help: 'Per produce request: how long its oldest record waited for a free producer (all COLLECTOR_PRODUCERS busy)',
      buckets: latency,
      registers,
    });
    this.produceRequestSeconds = new Histogram({
      name: 'storepulse_collector_produce_request_seconds',
      help: 'Per produce request: kafkajs send to acks=all acknowledgement (encoding, the broker round trip)',
      labelNames: ['outcome'] as const,
      buckets: latency,
      registers,
    });
    this.produceRequestRecords = new Histogram({
      name: 'storepulse_collector_produce_request_records',
      help: 'Records per produce request (the requests coalesced into it)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000],
      registers,
    });
    this.keyReloads = new Counter({
      name: 'storepulse_collector_key_reloads_total',
      help: 'Re-reads of COLLECTOR_KEYS_FILE by trigger (timer, sighup) and outcome (applied: the keys changed; unchanged; failed: unreadable or invalid, the keys in use kept)',
      labelNames: ['trigger', 'outcome'] as const,
      registers,
    });
    this.writeKeys = new Gauge({
      name: 'storepulse_collector_write_keys',
      help: 'Write keys in use, by state (active, revoked)',
      labelNames: ['state'] as const,
      registers,
    });
  }

  observeProduceRequest(r: ProduceRequestStats): void {
    this.produceQueueSeconds.observe(r.queuedMs / 1000);
    this.produceRequestSeconds.observe({ outcome: r.ok ? 'acked' : 'failed' }, r.sendMs / 1000);
    this.produceRequestRecords.observe(r.records);
  }
}

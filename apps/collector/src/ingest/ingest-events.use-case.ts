import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import {
  ProduceTimeoutError,
  ProducerBusyError,
  ProducerClosedError,
  type EventProducer,
} from '@storepulse/kafka';
import { LOGGER, type Logger } from '@storepulse/observability';
import { CollectorMetrics } from '../collector.metrics';
import { CollectorState } from '../collector.state';
import { EVENT_PRODUCER } from '../tokens';
import { parseBody } from './parse-body';
import { routeEvents, type Endpoint, type IngestResult, type RequestContext } from './route-events';

export type IngestOutcome =
  | { status: 200; result: IngestResult }
  | { status: 400 | 413 | 415; message: string }
  | { status: 503; message: string; retryAfterSeconds: number };

/**
 * POST /v1/events and /v1/inventory: parse, validate per event, produce valid events and dead
 * letters in one acks=all send, answer only after Kafka acknowledged (else 503, nothing accepted).
 */
@Injectable()
export class IngestEventsUseCase {
  constructor(
    @Inject(EVENT_PRODUCER) private readonly producer: EventProducer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: CollectorMetrics,
    private readonly state: CollectorState,
  ) {}

  async ingest(
    endpoint: Endpoint,
    body: Buffer,
    contentType: string | undefined,
    ctx: RequestContext,
  ): Promise<IngestOutcome> {
    const c = this.config.collector;
    if (this.state.draining)
      return {
        status: 503,
        message: 'the collector is shutting down',
        retryAfterSeconds: c.retryAfterSeconds,
      };
    this.state.enter();
    try {
      const parsed = parseBody(body, contentType, { maxEvents: c.maxEvents, maxDepth: c.maxDepth });
      if (!parsed.ok) return { status: parsed.status, message: parsed.message };
      const routed = routeEvents(endpoint, parsed.events, ctx);
      const t0 = performance.now();
      try {
        await this.producer.send(routed.records, c.produceTimeoutMs);
      } catch (e) {
        this.metrics.produceSeconds.observe({ outcome: 'failed' }, (performance.now() - t0) / 1000);
        const known =
          e instanceof ProduceTimeoutError ||
          e instanceof ProducerBusyError ||
          e instanceof ProducerClosedError;
        this.logger.warn(
          {
            requestId: ctx.requestId,
            storefront: ctx.storefront,
            events: parsed.events.length,
            ...(known ? { reason: e.message } : { err: e }),
          },
          'collector: produce failed, answered 503',
        );
        return {
          status: 503,
          message: `events not accepted: ${e instanceof Error ? e.message : String(e)}; retry later (duplicates are dropped by event_id downstream)`,
          retryAfterSeconds: c.retryAfterSeconds,
        };
      }
      this.metrics.produceSeconds.observe({ outcome: 'acked' }, (performance.now() - t0) / 1000);
      for (const [topic, n] of routed.acceptedByTopic)
        this.metrics.events.inc({ topic, outcome: 'accepted' }, n);
      for (const [topic, n] of routed.rejectedByTopic)
        this.metrics.events.inc({ topic, outcome: 'rejected' }, n);
      if (routed.result.rejected.length > 0)
        this.logger.info(
          {
            requestId: ctx.requestId,
            storefront: ctx.storefront,
            rejected: routed.result.rejected.length,
            accepted: routed.result.accepted,
            firstReason: routed.result.rejected[0].errors
              .map((e) => `${e.field}: ${e.message}`)
              .join('; '),
          },
          'collector: events rejected (dead-lettered)',
        );
      return { status: 200, result: routed.result };
    } finally {
      this.state.leave();
    }
  }
}

// The scorer's Kafka handlers: storefront clickstream and order batches in, predictions out, over the
// exactly-once BatchTransport (docs/transport.md).
import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '@storepulse/contracts';
import { PassThroughRpcErrors, type BatchOutput, type InboundBatch } from '@storepulse/kafka';
import { ScorerService } from './scorer.service';

/** PassThroughRpcErrors: the transport logs and retries with the handler's own error. */
@Controller()
@UseFilters(PassThroughRpcErrors)
export class ScorerEventsController {
  constructor(private readonly scorer: ScorerService) {}

  @EventPattern(TOPICS.clickstream)
  async clickstream(@Payload() batch: InboundBatch): Promise<BatchOutput> {
    return { records: await this.scorer.events().handle(batch) };
  }

  @EventPattern(TOPICS.orders)
  async orders(@Payload() batch: InboundBatch): Promise<BatchOutput> {
    return { records: await this.scorer.events().handle(batch) };
  }
}

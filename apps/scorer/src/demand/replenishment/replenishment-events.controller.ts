// The replenishment consumer's Kafka handlers: forecasts and stock positions in, recommendations
// (and dead letters) out, over the exactly-once BatchTransport (docs/transport.md).
import { Controller, UseFilters } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '@storepulse/contracts';
import { PassThroughRpcErrors, type BatchOutput, type InboundBatch } from '@storepulse/kafka';
import { ReplenishmentService } from './replenishment.service';

@Controller()
@UseFilters(PassThroughRpcErrors)
export class ReplenishmentEventsController {
  constructor(private readonly replenishment: ReplenishmentService) {}

  @EventPattern(TOPICS.demandForecasts)
  forecasts(@Payload() batch: InboundBatch): BatchOutput {
    return { records: this.replenishment.handle(batch) };
  }

  @EventPattern(TOPICS.inventory)
  stock(@Payload() batch: InboundBatch): BatchOutput {
    return { records: this.replenishment.handle(batch) };
  }
}

import { z } from 'zod';
import { TOPICS } from './topics';
import { propensityPredictionSchema } from './predictions';
import { demandForecastSchema, replenishmentSchema } from './demand';
import { clickstreamEventSchema, inventoryEventSchema, orderEventSchema } from './schemas';

/** JSON Schema (draft 2020-12) of each topic's message value, for producers in any language. */
export function jsonSchemas(): Record<string, unknown> {
  return {
    [TOPICS.clickstream]: z.toJSONSchema(clickstreamEventSchema, { io: 'input' }),
    [TOPICS.orders]: z.toJSONSchema(orderEventSchema, { io: 'input' }),
    [TOPICS.inventory]: z.toJSONSchema(inventoryEventSchema, { io: 'input' }),
    [TOPICS.propensityPredictions]: z.toJSONSchema(propensityPredictionSchema, { io: 'input' }),
    [TOPICS.demandForecasts]: z.toJSONSchema(demandForecastSchema, { io: 'input' }),
    [TOPICS.replenishment]: z.toJSONSchema(replenishmentSchema, { io: 'input' }),
  };
}

export function schemaFileName(topic: string): string {
  return `${topic}.schema.json`;
}

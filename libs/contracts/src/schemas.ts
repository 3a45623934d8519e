import { z } from 'zod';

export const CLICKSTREAM_TYPES = [
  'page_view',
  'product_view',
  'search',
  'add_to_cart',
  'remove_from_cart',
  'checkout_started',
] as const;
export const SKU_REQUIRED_TYPES: ReadonlySet<string> = new Set([
  'product_view',
  'add_to_cart',
  'remove_from_cart',
]);
export const ORDER_TYPES = ['order_placed', 'order_cancelled'] as const;

const id = (what: string) =>
  z
    .string({ error: `must be a string (${what})` })
    .min(1, { error: 'must not be empty' })
    .max(128, { error: 'must be at most 128 characters' });
const isoTs = z.iso.datetime({
  offset: true,
  error: 'must be an ISO-8601 timestamp with a zone, e.g. 2026-11-28T10:15:00.000Z',
});
const money = z
  .number({ error: 'must be a number' })
  .finite({ error: 'must be finite' })
  .min(0, { error: 'must be >= 0' });

export const clickstreamEventSchema = z
  .object({
    event_id: z.uuid({ error: 'must be a UUID' }),
    type: z.enum(CLICKSTREAM_TYPES, { error: `must be one of ${CLICKSTREAM_TYPES.join(', ')}` }),
    user_id: id('user id'),
    session_id: id('session id'),
    ts: isoTs,
    sku: id('SKU').optional(),
    price: money.optional(),
    category: z
      .string({ error: 'must be a string' })
      .max(128, { error: 'must be at most 128 characters' })
      .optional(),
    query: z
      .string({ error: 'must be a string' })
      .max(1024, { error: 'must be at most 1024 characters' })
      .optional(),
  })
  .superRefine((e, ctx) => {
    if (SKU_REQUIRED_TYPES.has(e.type) && e.sku === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sku'], message: `is required for type ${e.type}` });
    }
  });

export const orderItemSchema = z.object({
  sku: id('SKU'),
  qty: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .positive({ error: 'must be a positive integer' }),
  unit_price: money,
  category: z.string({ error: 'must be a string' }).max(128).optional(),
});

export const orderEventSchema = z.object({
  event_id: z.uuid({ error: 'must be a UUID' }),
  type: z.enum(ORDER_TYPES, { error: `must be one of ${ORDER_TYPES.join(', ')}` }),
  order_id: id('order id'),
  user_id: id('user id'),
  ts: isoTs,
  currency: z
    .string({ error: 'must be a string' })
    .regex(/^[A-Z]{3}$/, { error: 'must be an ISO-4217 code such as EUR' }),
  items: z
    .array(orderItemSchema, { error: 'must be an array' })
    .min(1, { error: 'must contain at least one item' })
    .max(1000, { error: 'must contain at most 1000 items' }),
});

export const inventoryEventSchema = z.object({
  sku: id('SKU'),
  on_hand: z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }),
  on_order: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(0, { error: 'must be >= 0' }),
  lead_time_days: z
    .number({ error: 'must be a number' })
    .min(0, { error: 'must be >= 0' })
    .max(365, { error: 'must be <= 365' }),
  ts: isoTs,
});

export type ClickstreamEvent = z.infer<typeof clickstreamEventSchema>;
export type OrderEvent = z.infer<typeof orderEventSchema>;
export type OrderItem = z.infer<typeof orderItemSchema>;
export type InventoryEvent = z.infer<typeof inventoryEventSchema>;
export type ClickstreamType = (typeof CLICKSTREAM_TYPES)[number];

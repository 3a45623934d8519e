// Wire format of the prediction topics StorePulse publishes (predictions.propensity.v1).
import { createHash } from 'node:crypto';
import { z } from 'zod';

const isoTs = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 timestamp with a zone' });

export const propensityPredictionSchema = z.object({
  prediction_id: z
    .uuid({ error: 'must be a UUID' })
    .describe('Deterministic from (event_id, model name, model version, horizon)'),
  user_id: z.string().min(1),
  horizon: z
    .string()
    .regex(/^\d+[hd]$/)
    .describe('The model horizon H, e.g. 24h or 7d'),
  score: z.number().min(0).max(1).describe('P(at least one order_placed in [features_as_of, +H))'),
  model: z.object({ name: z.string().min(1), version: z.number().int().positive() }),
  known: z.boolean().describe('false: the user had no event before features_as_of'),
  features_as_of: isoTs.describe('Features use events with event time before this instant'),
  event_id: z.string().min(1).describe('The event that triggered the score'),
  event_ts: isoTs,
  scored_at: isoTs,
});
export type PropensityPrediction = z.infer<typeof propensityPredictionSchema>;

/** A name-based UUID (SHA-1, version 5 layout) of the parts: the same inputs give the same id. */
export function deterministicUuid(...parts: (string | number)[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export function predictionId(
  eventId: string,
  model: { name: string; version: number },
  horizon: string,
): string {
  return deterministicUuid('propensity', eventId, model.name, model.version, horizon);
}

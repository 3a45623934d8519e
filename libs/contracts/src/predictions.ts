// Wire format of the prediction topics StorePulse publishes (predictions.propensity.v1).
import { hash } from 'node:crypto';
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

/** The variant nibble of a name-based UUID (RFC 4122: 10xx) from the hash's nibble there. */
const VARIANT = '89ab89ab89ab89ab';

/**
 * A name-based UUID (SHA-1, version 5 layout) of the parts: the same inputs give the same id. The
 * SHA-1 of the parts joined by NUL, its first 16 bytes with the version nibble set to 5 and the
 * variant bits to 10. One-shot `crypto.hash` with a hex answer and string surgery: about a quarter of
 * the cost of `createHash(...).update(...).digest()` and a Buffer per id (the scorer makes one per
 * prediction).
 */
export function deterministicUuid(...parts: (string | number)[]): string {
  const x = hash('sha1', parts.join('\u0000'), 'hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-5${x.slice(13, 16)}-${VARIANT[parseInt(x.charAt(16), 16)] ?? ''}${x.slice(17, 20)}-${x.slice(20, 32)}`;
}

export function predictionId(
  eventId: string,
  model: { name: string; version: number },
  horizon: string,
): string {
  return deterministicUuid('propensity', eventId, model.name, model.version, horizon);
}

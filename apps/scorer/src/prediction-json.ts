// The JSON of a propensity prediction, built from pre-encoded parts: byte for byte what
// JSON.stringify gives for the PropensityPrediction object literal of score-events.ts (same keys,
// same order), without building that object per prediction. The parts fixed per model and horizon
// are encoded once per batch, those fixed per event once per event (shared by the horizons).
import type { PropensityPrediction } from '@storepulse/contracts';

/** JSON.stringify of a number as the score field holds it (NaN and ±Infinity → null). */
const numberJson = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');

/** The parts of one model and horizon (one per batch). */
export interface HorizonJson {
  /** `,"horizon":…,"score":` */
  readonly beforeScore: string;
  /** `,"model":{…},"known":` */
  readonly beforeKnown: string;
}

export function horizonJson(horizon: string, model: PropensityPrediction['model']): HorizonJson {
  return {
    beforeScore: `,"horizon":${JSON.stringify(horizon)},"score":`,
    beforeKnown: `,"model":${JSON.stringify({ name: model.name, version: model.version })},"known":`,
  };
}

/** The parts of one event (shared by its horizons). */
export interface EventJson {
  /** `,"user_id":…` */
  readonly user: string;
  /** `,"features_as_of":…,"event_id":…,"event_ts":…,"scored_at":…}` */
  readonly tail: string;
}

/**
 * `featuresAsOfJson` and `scoredAtJson` are already JSON strings (JSON.stringify of the ISO time),
 * encoded once per as-of group and once per batch.
 */
export function eventJson(
  userId: string,
  eventId: string,
  eventTsIso: string,
  featuresAsOfJson: string,
  scoredAtJson: string,
): EventJson {
  return {
    user: `,"user_id":${JSON.stringify(userId)}`,
    tail:
      `,"features_as_of":${featuresAsOfJson},"event_id":${JSON.stringify(eventId)}` +
      `,"event_ts":${JSON.stringify(eventTsIso)},"scored_at":${scoredAtJson}}`,
  };
}

/** The prediction's JSON; `predictionId` is a UUID (hex and dashes: nothing to escape). */
export function predictionJson(
  predictionId: string,
  e: EventJson,
  h: HorizonJson,
  score: number,
  known: boolean,
): string {
  return `{"prediction_id":"${predictionId}"${e.user}${h.beforeScore}${numberJson(score)}${h.beforeKnown}${known ? 'true' : 'false'}${e.tail}`;
}

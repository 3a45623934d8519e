// Use case: a batch of storefront events (one topic-partition) → one prediction per event and horizon.
// Waits until the aggregator has stored the batch (so the score reflects the triggering event), scores
// the batch's users in one matrix per as-of minute, and returns the records for the transport to
// publish in the same Kafka transaction as the input offsets.
import { TOPICS, decodeClickstream, decodeOrder, predictionId } from '@storepulse/contracts';
import type { GroupProgress, InboundBatch, OutboundRecord } from '@storepulse/kafka';
import { eventJson, horizonJson, predictionJson } from './prediction-json';
import { NoChampionError, type PropensityScorer } from './propensity-scorer';

const MINUTE_MS = 60_000;

export interface ScoreEventsOptions {
  /** The aggregator's consumer group: its committed offsets say which events are stored. */
  aggregatorGroupId: string;
  featuresWaitMs: number;
  debounceMs: number;
  /** Older events (event time vs now) are skipped, not scored: a history read from the start. */
  maxEventAgeMs: number;
}

export interface ScoreCounters {
  events: number;
  predictions: number;
  /** Malformed input (the aggregator dead-letters it; the scorer skips it). */
  dropped: number;
  debounced: number;
  /** Older than maxEventAgeMs: not scored live. */
  tooOld: number;
  /** Events seen while a horizon had no champion. */
  noChampion: number;
}

interface Ev {
  eventId: string;
  userId: string;
  tsMs: number;
  ts: string;
}

/**
 * `ts` as Date#toISOString gives it, from its parsed time `tsMs`. The producers' usual form (UTC,
 * milliseconds, `Z`) is already that, so the common event skips a Date and a string per event; any
 * other form (an offset, no or more fraction digits) is formatted from `tsMs`.
 */
export function isoOf(ts: string, tsMs: number): string {
  return ts.length === 24 && ts.charCodeAt(23) === 90 /* Z */ && ts.charCodeAt(19) === 46 /* . */
    ? ts
    : new Date(tsMs).toISOString();
}

/** Features as of the end of the event's minute: the minute bucket holding the event is complete. */
export const featuresAsOf = (tsMs: number) => Math.floor(tsMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;

export class ScoreEvents {
  readonly counters: ScoreCounters = {
    events: 0,
    predictions: 0,
    dropped: 0,
    debounced: 0,
    tooOld: 0,
    noChampion: 0,
  };
  private readonly lastScored = new Map<string, number>();

  constructor(
    private readonly scorer: PropensityScorer,
    private readonly upstream: GroupProgress,
    private readonly opts: ScoreEventsOptions,
    private readonly now: () => number = Date.now,
  ) {}

  decode(batch: InboundBatch): Ev[] {
    const out: Ev[] = [];
    const oldest = this.now() - this.opts.maxEventAgeMs;
    for (const m of batch.messages) {
      const d = batch.topic === TOPICS.orders ? decodeOrder(m.value) : decodeClickstream(m.value);
      if (!d.ok) {
        this.counters.dropped++;
        continue;
      }
      const tsMs = Date.parse(d.value.ts);
      if (tsMs < oldest) {
        this.counters.tooOld++;
        continue;
      }
      out.push({
        eventId: d.value.event_id,
        userId: d.value.user_id,
        tsMs,
        ts: isoOf(d.value.ts, tsMs),
      });
    }
    return out;
  }

  async handle(batch: InboundBatch): Promise<OutboundRecord[]> {
    const last = batch.messages.at(-1);
    if (!last) return [];
    const events = this.decode(batch);
    this.counters.events += events.length;
    if (events.length === 0) return [];
    if (this.scorer.champions.all().length === 0)
      // Transient: nothing is committed, the batch is retried with backoff until a champion exists,
      // so every event is scored once the first model is promoted.
      throw new NoChampionError([...this.scorer.champions.models.values()]);
    await this.upstream.waitCommitted(
      batch.topic,
      batch.partition,
      (BigInt(last.offset) + 1n).toString(),
      this.opts.featuresWaitMs,
    );
    const horizons = [...this.scorer.champions.models.keys()];
    const missing = horizons.filter((h) => !this.scorer.champions.get(h)).length;
    if (missing > 0) this.counters.noChampion += events.length * missing;
    const byAsOf = new Map<number, Ev[]>();
    for (const e of events) {
      if (this.opts.debounceMs > 0) {
        const prev = this.lastScored.get(e.userId);
        if (prev !== undefined && e.tsMs - prev < this.opts.debounceMs) {
          this.counters.debounced++;
          continue;
        }
        this.lastScored.set(e.userId, e.tsMs);
      }
      const t = featuresAsOf(e.tsMs);
      const list = byAsOf.get(t);
      if (list) list.push(e);
      else byAsOf.set(t, [e]);
    }
    const records: OutboundRecord[] = [];
    const scoredAtJson = JSON.stringify(new Date(this.now()).toISOString());
    const groups = [...byAsOf].map(([t, evs]) => ({
      atMs: t,
      evs,
      ids: [...new Set(evs.map((e) => e.userId))],
    }));
    const scored = await this.scorer.scoreGroups(groups, undefined, { record: true });
    for (const [gi, { atMs: t, evs }] of groups.entries()) {
      const s = scored[gi];
      if (!s) throw new Error(`no scores for as-of group ${gi} of ${groups.length}`);
      const row = new Map(s.ids.map((id, i) => [id, i]));
      const asOfJson = JSON.stringify(new Date(t).toISOString());
      // the JSON parts fixed per model and horizon, once per group
      const horizons = s.horizons.map((h) => ({ h, json: horizonJson(h.horizon, h.model) }));
      for (const e of evs) {
        const i = row.get(e.userId);
        if (i === undefined)
          throw new Error(`user ${e.userId} missing from the scores of its group`);
        const known = s.known[i] === 1;
        const ej = eventJson(e.userId, e.eventId, e.ts, asOfJson, scoredAtJson);
        for (const { h, json } of horizons)
          records.push({
            topic: TOPICS.propensityPredictions,
            key: e.userId,
            value: predictionJson(
              predictionId(e.eventId, h.model, h.horizon),
              ej,
              json,
              Math.min(1, Math.max(0, h.scores[i])),
              known,
            ),
          });
      }
    }
    this.counters.predictions += records.length;
    if (this.lastScored.size > 1_000_000) this.lastScored.clear();
    return records;
  }
}

// Use case: a batch of storefront events (one topic-partition) → one prediction per event and horizon.
// The score reflects the triggering event: with the online tier, the batch's events (and every
// earlier one the tier does not hold yet) are folded into the features of the lookup; without it, the
// batch waits until the aggregator has stored it. Scores the batch's users in one matrix per as-of
// minute and returns the records for the transport to publish in the same Kafka transaction as the
// input offsets.
import { TOPICS, decodeClickstream, decodeOrder, predictionId } from '@storepulse/contracts';
import { onlineClickOf, onlineOrderLinesOf, type PendingRows } from '@storepulse/features';
import type { GroupProgress, InboundBatch, OutboundRecord } from '@storepulse/kafka';
import { PendingEvents, type AppliedCheck, type PendingEntry } from './pending-events';
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
  /**
   * The aggregator's event-time rule (FEATURES_ALLOWED_LATENESS_MS, FEATURES_MAX_FUTURE_MS): events
   * it will dead-letter are not folded into features. Omit: every valid event is.
   */
  eventTime?: { allowedLatenessMs: number; maxFutureMs: number };
  /**
   * Events held for the features while the aggregator has not stored them (over all partitions);
   * above it a batch waits for the aggregator instead (backpressure). 0: always wait.
   */
  maxPendingEvents: number;
}

/** The online tier as the scorer uses it for events not stored yet (OnlineFeatureStore). */
export interface PendingTier {
  covers(tMs: number): boolean;
  isApplied(topic: string, partition: number, offset: number): boolean;
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
  /** Batches scored with their not yet stored events folded into the features (no wait). */
  batchesFolded: number;
  /** Batches that waited for the aggregator to store them (no tier, tier warming, backpressure). */
  batchesWaited: number;
  /** Waits for the aggregator to have stored what precedes a new tail (start, reassignment). */
  tailWaits: number;
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
    batchesFolded: 0,
    batchesWaited: 0,
    tailWaits: 0,
  };
  private readonly lastScored = new Map<string, number>();
  private readonly pending: PendingEvents | undefined;
  /** The tier's isApplied, bound (an OnlineFeatureStore can be passed as the tier itself). */
  private readonly applied: AppliedCheck;

  constructor(
    private readonly scorer: PropensityScorer,
    private readonly upstream: GroupProgress,
    private readonly opts: ScoreEventsOptions,
    private readonly now: () => number = Date.now,
    /** The online tier: without it every batch waits for the aggregator. */
    private readonly tier?: PendingTier,
  ) {
    if (tier && opts.maxPendingEvents > 0) this.pending = new PendingEvents(opts.maxPendingEvents);
    this.applied = tier ? (t, p, o) => tier.isApplied(t, p, o) : () => false;
  }

  /** Events held for the features, not stored by the aggregator yet. */
  get pendingEvents(): number {
    return this.pending?.size ?? 0;
  }

  /** The events to score, and (with a tier) every valid event's feature rows. */
  decode(batch: InboundBatch): Ev[];
  decode(batch: InboundBatch, entries: PendingEntry[]): Ev[];
  decode(batch: InboundBatch, entries?: PendingEntry[]): Ev[] {
    const out: Ev[] = [];
    const now = this.now();
    const oldest = now - this.opts.maxEventAgeMs;
    const rule = this.opts.eventTime;
    const from = rule ? now - rule.allowedLatenessMs : -Infinity;
    const to = rule ? now + rule.maxFutureMs : Infinity;
    const orders = batch.topic === TOPICS.orders;
    for (const m of batch.messages) {
      const d = orders ? decodeOrder(m.value) : decodeClickstream(m.value);
      if (!d.ok) {
        this.counters.dropped++;
        continue;
      }
      const tsMs = Date.parse(d.value.ts);
      if (entries && tsMs >= from && tsMs <= to) {
        const base = {
          offset: Number(m.offset),
          eventId: d.value.event_id,
          userId: d.value.user_id,
        };
        const v = d.value;
        entries.push(
          'items' in v
            ? { ...base, orderLines: onlineOrderLinesOf(v, tsMs) }
            : { ...base, clicks: [onlineClickOf(v, tsMs)] },
        );
      }
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

  /**
   * Makes the features of the batch's events complete: the rows the tier lacks (this batch's and the
   * earlier ones of the tail), or undefined after waiting until the aggregator stored the batch.
   */
  private async complete(
    batch: InboundBatch,
    events: Ev[],
    entries: PendingEntry[],
  ): Promise<PendingRows | undefined> {
    const { topic, partition } = batch;
    const first = Number(batch.messages[0]?.offset ?? 0);
    const next = Number(batch.messages.at(-1)?.offset ?? first - 1) + 1;
    const pending = this.pending;
    const tier = this.tier;
    if (
      pending &&
      tier &&
      pending.size + entries.length <= pending.maxEntries &&
      events.every((e) => tier.covers(featuresAsOf(e.tsMs)))
    ) {
      pending.add(topic, partition, first, next, entries);
      if (!pending.verified(topic, partition)) {
        // a new tail: what precedes it must be stored (once per tail: start-up, reassignment)
        this.counters.tailWaits++;
        await this.upstream.waitCommitted(
          topic,
          partition,
          String(pending.from(topic, partition) ?? first),
          this.opts.featuresWaitMs,
        );
        pending.markVerified(topic, partition);
      }
      pending.trim(this.applied);
      this.counters.batchesFolded++;
      return pending.rowsFor(new Set(events.map((e) => e.userId)), this.applied);
    }
    this.counters.batchesWaited++;
    await this.upstream.waitCommitted(topic, partition, String(next), this.opts.featuresWaitMs);
    pending?.settle(topic, partition, next);
    return undefined;
  }

  async handle(batch: InboundBatch): Promise<OutboundRecord[]> {
    const last = batch.messages.at(-1);
    if (!last) return [];
    const entries: PendingEntry[] = [];
    const events = this.pending ? this.decode(batch, entries) : this.decode(batch);
    this.counters.events += events.length;
    if (events.length === 0) {
      // nothing to score, but the tail stays contiguous (its rows count for later events)
      const p = this.pending;
      if (p) p.trim(this.applied);
      if (p && p.size + entries.length <= p.maxEntries)
        p.add(
          batch.topic,
          batch.partition,
          Number(batch.messages[0]?.offset ?? last.offset),
          Number(last.offset) + 1,
          entries,
        );
      return [];
    }
    if (this.scorer.champions.all().length === 0)
      // Transient: nothing is committed, the batch is retried with backoff until a champion exists,
      // so every event is scored once the first model is promoted.
      throw new NoChampionError([...this.scorer.champions.models.values()]);
    const pendingRows = await this.complete(batch, events, entries);
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
      ...(pendingRows ? { pending: pendingRows } : {}),
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

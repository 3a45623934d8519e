import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@storepulse/clickhouse';
import { toChDateTime64 } from '@storepulse/contracts';
import { withoutEvents, type ChunkEvent, type PreparedChunk } from './rows';
import { Semaphore } from './semaphore';

/** Where an event id is stored (one row of the index; an order has one per line). */
export interface StoredEventId {
  id: string;
  topic: string;
  partition: number;
  offset: string;
}

/** Port: which of a chunk's event ids are stored, with their source, ingested at or after `sinceMs`. */
export interface EventIdIndex {
  lookup(events: readonly ChunkEvent[], sinceMs: number): Promise<StoredEventId[]>;
}

/** Ids per lookup statement (bounds the query's parameter size: ≈ 40 bytes per id and ts). */
const LOOKUP_SLICE = 5000;

/**
 * `recent_event_ids` (migration 0012), fed by materialized views from the raw tables. Sorted by
 * (ts, event_id): the ts range of a slice of the chunk's events (sorted by time) prunes to the
 * granules of those event times (a resent event keeps its ts), then the ids are matched there.
 * (A `ts IN (every event time)` set instead of the range cost ≈ 1.9× the CPU in a probe.)
 */
export class ClickHouseEventIdIndex implements EventIdIndex {
  constructor(private readonly client: ClickHouseClient) {}

  async lookup(all: readonly ChunkEvent[], sinceMs: number): Promise<StoredEventId[]> {
    let events = all;
    const out: StoredEventId[] = [];
    const positions = events.filter((e) => e.sku !== undefined);
    if (positions.length > 0) {
      await this.lookupPositions(positions, sinceMs, out);
      events = events.filter((e) => e.sku === undefined);
    }
    // by event time, so that each slice's [min ts, max ts] is narrow (late events form their own)
    const sorted = [...events].sort((a, b) => a.tsMs - b.tsMs);
    for (let i = 0; i < sorted.length; i += LOOKUP_SLICE) {
      const slice = sorted.slice(i, i + LOOKUP_SLICE);
      const rows = await queryRows<{ id: string; t: string; p: number; o: string }>(
        this.client,
        `SELECT toString(event_id) AS id, toString(_topic) AS t, _partition AS p, toString(_offset) AS o
         FROM recent_event_ids
         WHERE ts BETWEEN {lo:DateTime64(3, 'UTC')} AND {hi:DateTime64(3, 'UTC')}
           AND event_id IN {ids:Array(UUID)}
           AND ingested_at >= {since:DateTime64(3, 'UTC')}
         GROUP BY event_id, _topic, _partition, _offset`,
        {
          lo: toChDateTime64(slice[0].tsMs),
          hi: toChDateTime64(slice[slice.length - 1].tsMs),
          ids: slice.map((e) => e.id),
          since: toChDateTime64(sinceMs),
        },
      );
      for (const r of rows) out.push({ id: r.id, topic: r.t, partition: r.p, offset: r.o });
    }
    return out;
  }

  /**
   * Stock positions have no event_id: one is the same fact as a stored one with the same (sku, ts),
   * looked up in inventory_snapshots itself (sorted by sku, ts).
   */
  private async lookupPositions(
    events: readonly ChunkEvent[],
    sinceMs: number,
    out: StoredEventId[],
  ): Promise<void> {
    const sorted = [...events].sort((a, b) => a.tsMs - b.tsMs);
    for (let i = 0; i < sorted.length; i += LOOKUP_SLICE) {
      const slice = sorted.slice(i, i + LOOKUP_SLICE);
      const rows = await queryRows<{ s: string; ms: string; t: string; p: number; o: string }>(
        this.client,
        `SELECT sku AS s, toString(toUnixTimestamp64Milli(ts)) AS ms, toString(_topic) AS t,
                _partition AS p, toString(_offset) AS o
         FROM inventory_snapshots
         WHERE sku IN {skus:Array(String)}
           AND ts BETWEEN {lo:DateTime64(3, 'UTC')} AND {hi:DateTime64(3, 'UTC')}
           AND ingested_at >= {since:DateTime64(3, 'UTC')}`,
        {
          skus: [...new Set(slice.map((e) => e.sku ?? ''))],
          lo: toChDateTime64(slice[0].tsMs),
          hi: toChDateTime64(slice[slice.length - 1].tsMs),
          since: toChDateTime64(sinceMs),
        },
      );
      for (const r of rows)
        out.push({ id: `inv:${r.s}:${r.ms}`, topic: r.t, partition: r.p, offset: r.o });
    }
  }
}

export interface DedupResult {
  /** The chunk without its duplicate events (the same object when there are none). */
  chunk: PreparedChunk;
  duplicates: number;
  /** Ends this chunk's in-flight claim on its ids; call once its write is over (done or failed). */
  release(): Promise<void>;
}

/**
 * event_id deduplication across offsets within a window (DEDUP_WINDOW_MS). An event is dropped,
 * with all its rows, when its id
 * - occurs earlier in the same chunk, or
 * - is stored (index rows ingested within the window before the chunk's reference time) from
 *   another (topic, partition, offset) — rows stored from the event's own offset are a re-run
 *   chunk's own earlier partial write, and are kept (`ChunkStore.missing` completes them), or
 * - is claimed by a chunk of this process whose write is in flight (not visible in storage yet).
 *
 * Lookups run one at a time and claims are taken and given back under the same lock, so two chunks
 * (say of two partitions) holding the same id cannot both miss each other: the later lookup either
 * sees the other's claim or, once it is given back, its committed rows. One aggregator process per
 * consumer group is assumed for the claims (the embedded engine's case); across processes only the
 * stored rows are seen (see docs/exactly-once.md).
 */
export class EventDeduplicator {
  private readonly lock = new Semaphore(1);
  /** id → `topic/partition/offset` of the in-flight chunk's event that claims it. */
  private readonly claims = new Map<string, string>();

  constructor(
    private readonly index: EventIdIndex,
    private readonly windowMs: number,
  ) {}

  filter(
    topic: string,
    partition: number,
    prepared: PreparedChunk,
    referenceMs: number,
  ): Promise<DedupResult> {
    const events = prepared.events;
    if (!events || events.length === 0)
      return Promise.resolve({ chunk: prepared, duplicates: 0, release: () => Promise.resolve() });
    return this.lock.run(async () => {
      const stored = await this.index.lookup(events, referenceMs - this.windowMs);
      const byId = new Map<string, string[]>();
      for (const s of stored) {
        const src = `${s.topic}/${s.partition}/${s.offset}`;
        const l = byId.get(s.id);
        if (l) l.push(src);
        else byId.set(s.id, [src]);
      }
      const drop = new Set<number>();
      const seen = new Set<string>();
      const mine: string[] = [];
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        const src = `${topic}/${partition}/${e.offset}`;
        const at = byId.get(e.id);
        const claim = this.claims.get(e.id);
        if (
          seen.has(e.id) ||
          (at !== undefined && !at.includes(src)) ||
          (claim !== undefined && claim !== src)
        ) {
          drop.add(i);
          continue;
        }
        seen.add(e.id);
        if (claim === undefined) {
          this.claims.set(e.id, src);
          mine.push(e.id);
        }
      }
      const release = () =>
        this.lock.run(() => {
          for (const id of mine) this.claims.delete(id);
          return Promise.resolve();
        });
      return { chunk: withoutEvents(prepared, drop), duplicates: drop.size, release };
    });
  }
}

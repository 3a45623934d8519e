// The scorer's own record of the storefront events it has consumed whose chunk the aggregator has
// not made durable yet: folded into the features of a lookup (OnlineFeatureStore pending rows), so a
// score reflects its triggering event without waiting for the aggregator's insert and commit.
import type {
  OnlineClick,
  OnlineOrderLine,
  PendingRows,
  PendingUserRows,
} from '@storepulse/features';

/** The rows one consumed event adds to the user features (what the aggregator will store of it). */
export interface PendingEntry {
  offset: number;
  eventId: string;
  userId: string;
  clicks?: OnlineClick[];
  orderLines?: OnlineOrderLine[];
}

/** Which offsets the online tier holds (OnlineFeatureStore.isApplied). */
export type AppliedCheck = (topic: string, partition: number, offset: number) => boolean;

interface Tail {
  topic: string;
  partition: number;
  entries: PendingEntry[];
  /** Entries before this index are dropped (compacted now and then). */
  head: number;
  /** Every message of the partition from this offset on went through {@link PendingEvents.add}. */
  from: number;
  /** The offset after the last batch added. */
  next: number;
  /** Whether every message before `from` is known to be durable (in the tier). */
  verified: boolean;
  /** Event ids held, with their offset (the aggregator's event_id deduplication, within the tail). */
  ids: Map<string, number>;
}

/**
 * Per input topic-partition, the contiguous tail of consumed events since the tail began (`from`).
 * The features of a user are complete when the tier holds every chunk before `from` (`verified`,
 * checked once per tail against the aggregator's committed offset) and the lookup folds in the tail's
 * rows the tier does not hold yet.
 *
 *  - A batch that starts before `next` (a transaction aborted and the batch is delivered again)
 *    replaces the tail from its first offset: nothing is counted twice.
 *  - A batch that starts after `next` (the partition was revoked and assigned again, or the offsets
 *    skip) starts a new, unverified tail.
 *  - An event id already in the tail (a producer retry that landed twice) adds no rows.
 */
export class PendingEvents {
  private readonly tails = new Map<string, Tail>();
  /** Entries held, over every partition. */
  private held = 0;

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.held;
  }

  private tail(topic: string, partition: number, first: number): Tail {
    const key = `${topic}/${partition}`;
    let t = this.tails.get(key);
    if (!t) {
      t = {
        topic,
        partition,
        entries: [],
        head: 0,
        from: first,
        next: first,
        verified: false,
        ids: new Map(),
      };
      this.tails.set(key, t);
    }
    return t;
  }

  /**
   * A batch's entries (in offset order) from `first` (its first message's offset) to `next − 1` (its
   * last message's): the tail then holds every valid event of the partition from `from` to there.
   */
  add(
    topic: string,
    partition: number,
    first: number,
    next: number,
    entries: PendingEntry[],
  ): void {
    const t = this.tail(topic, partition, first);
    if (first < t.next) {
      // delivered again: drop what this batch replaces
      while (t.entries.length > t.head && t.entries[t.entries.length - 1].offset >= first) {
        const e = t.entries.pop();
        if (!e) break;
        if (t.ids.get(e.eventId) === e.offset) t.ids.delete(e.eventId);
        this.held--;
      }
      t.from = Math.min(t.from, first);
    } else if (first > t.next) this.reset(t, first, false);
    for (const e of entries) {
      if (t.ids.has(e.eventId)) continue;
      t.ids.set(e.eventId, e.offset);
      t.entries.push(e);
      this.held++;
    }
    t.next = next;
  }

  /** Whether every message of the partition before the tail's start is known to be durable. */
  verified(topic: string, partition: number): boolean {
    return this.tails.get(`${topic}/${partition}`)?.verified ?? false;
  }

  /** The tail's first offset (what must be durable before it for the tail to be complete). */
  from(topic: string, partition: number): number | undefined {
    return this.tails.get(`${topic}/${partition}`)?.from;
  }

  /** The aggregator has stored every message before the tail's start. */
  markVerified(topic: string, partition: number): void {
    const t = this.tails.get(`${topic}/${partition}`);
    if (t) t.verified = true;
  }

  /**
   * The aggregator has stored everything before `next` (the scorer waited for it): the tail is
   * empty and verified from there.
   */
  settle(topic: string, partition: number, next: number): void {
    this.reset(this.tail(topic, partition, next), next, true);
  }

  private reset(t: Tail, from: number, verified: boolean): void {
    this.held -= t.entries.length - t.head;
    t.entries = [];
    t.head = 0;
    t.ids.clear();
    t.from = from;
    t.next = from;
    t.verified = verified;
  }

  /** Drops the entries the tier holds, from the front of each tail. */
  trim(applied: AppliedCheck): void {
    for (const t of this.tails.values()) {
      let h = t.head;
      while (h < t.entries.length && applied(t.topic, t.partition, t.entries[h].offset)) {
        const e = t.entries[h];
        if (t.ids.get(e.eventId) === e.offset) t.ids.delete(e.eventId);
        h++;
      }
      this.held -= h - t.head;
      t.head = h;
      if (h > 1024 && h * 2 > t.entries.length) {
        t.entries = t.entries.slice(h);
        t.head = 0;
      }
    }
  }

  /** The rows of these users that the tier does not hold yet, over every partition's tail. */
  rowsFor(users: ReadonlySet<string>, applied: AppliedCheck): PendingRows {
    const out = new Map<string, PendingUserRows>();
    for (const t of this.tails.values())
      for (let i = t.head; i < t.entries.length; i++) {
        const e = t.entries[i];
        if (!users.has(e.userId) || applied(t.topic, t.partition, e.offset)) continue;
        let rows = out.get(e.userId);
        if (!rows) out.set(e.userId, (rows = { clicks: [], orderLines: [] }));
        if (e.clicks) for (const c of e.clicks) rows.clicks.push(c);
        if (e.orderLines) for (const l of e.orderLines) rows.orderLines.push(l);
      }
    return out;
  }
}

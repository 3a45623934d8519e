import { AssignerProtocol, type Admin, type GroupDescription } from 'kafkajs';
import type { OffsetTimestampReader } from './offset-timestamps';

/**
 * Per-partition outcome:
 * - `lagging`: committed < log end; time lag = age of the message at the committed offset.
 * - `idle`: committed == log end: nothing to consume, offset lag 0 and time lag 0.
 * - `no-offset`: the group has no committed offset here (offset lag counted from the log start, time lag null).
 * - `topic-deleted`: the group committed on a topic that no longer exists.
 * - `out-of-range`: the committed offset was deleted by retention; time lag from the oldest retained message.
 * - `time-unknown`: lagging, but the message timestamp could not be read (time lag null).
 */
export type PartitionLagStatus =
  'lagging' | 'idle' | 'no-offset' | 'topic-deleted' | 'out-of-range' | 'time-unknown';

export interface PartitionLagInfo {
  topic: string;
  partition: number;
  /** null when the group has no committed offset for this partition. */
  committed: string | null;
  logStart: string | null;
  logEnd: string | null;
  /** Offset lag: log end − committed (log end − log start without a commit), never negative. */
  lag: string;
  /** Age in seconds of the oldest unconsumed message (0 when idle, null when unknown). */
  timeLagSeconds: number | null;
  /** Timestamp of the message at the committed offset (ISO), when read. */
  oldestUnconsumedAt: string | null;
  status: PartitionLagStatus;
  /** Whether a live member of the group owns this partition now. */
  assigned: boolean;
}

/**
 * Group-level condition as seen on the broker:
 * - `active`: stable group with members; `empty`: no members (offsets kept);
 * - `rebalancing`: PreparingRebalance/CompletingRebalance (assignments in flux, offsets still reported);
 * - `no-committed-offsets`: the group exists but never committed;
 * - `dead`/`unknown`: the coordinator reports no such group (deleted) or an unknown state;
 * - `error`: reading it failed (see `error`).
 */
export type GroupCondition =
  'active' | 'empty' | 'rebalancing' | 'no-committed-offsets' | 'dead' | 'unknown' | 'error';

export interface ConsumerGroupLag {
  groupId: string;
  /** Kafka's group state (Stable, Empty, PreparingRebalance, CompletingRebalance, Dead, ...). */
  state: string;
  status: GroupCondition;
  protocolType: string;
  members: number;
  partitions: PartitionLagInfo[];
  totalLag: string;
  maxLag: string;
  /** Max time lag over the group's partitions (0 when all idle, null when none known). */
  maxTimeLagSeconds: number | null;
  error?: string;
}

export interface TopicOffsets {
  topic: string;
  partitions: { partition: number; logStart: string; logEnd: string }[];
}

export interface ClusterLagSnapshot {
  /** Poll time (ms since epoch) the time lags are measured against. */
  atMs: number;
  at: string;
  groups: ConsumerGroupLag[];
  /** Log start/end offsets of every topic read by some group. */
  topics: TopicOffsets[];
  /** Single-message fetches issued for this snapshot (cache misses). */
  fetches: number;
  durationMs: number;
}

export interface ReadClusterLagOptions {
  /** Limit to these groups (default: every group on the cluster). */
  groupIds?: string[];
  /** Clock (tests). */
  now?: () => number;
}

async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let i = 0;
  const workers = Array.from(
    { length: Math.max(1, Math.min(concurrency, items.length)) },
    async () => {
      while (i < items.length) {
        const item = items[i++];
        await fn(item);
      }
    },
  );
  await Promise.all(workers);
}

function condition(desc: GroupDescription | undefined, hasCommits: boolean): GroupCondition {
  // kafkajs types only the classic states; KIP-848 groups may also report Assigning/Reconciling.
  const state: string = desc?.state ?? 'Unknown';
  if (['PreparingRebalance', 'CompletingRebalance', 'Assigning', 'Reconciling'].includes(state))
    return 'rebalancing';
  if (state === 'Dead') return 'dead';
  if (!hasCommits) return 'no-committed-offsets';
  if (state === 'Stable') return 'active';
  if (state === 'Empty') return 'empty';
  return 'unknown';
}

function assignedTopics(desc: GroupDescription | undefined): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const m of desc?.members ?? []) {
    if (!m.memberAssignment || m.memberAssignment.length === 0) continue;
    try {
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      for (const [t, ps] of Object.entries(a?.assignment ?? {})) {
        const set = out.get(t) ?? new Set<number>();
        for (const p of ps) set.add(p);
        out.set(t, set);
      }
    } catch {
      // Not a consumer-protocol assignment (e.g. connect): no topics from it.
    }
  }
  return out;
}

/**
 * Offset lag and time lag for every consumer group on the cluster, per topic and partition.
 * Costs per poll: ListGroups + DescribeGroups, one OffsetFetch per group (two when it has partitions
 * without commits), one ListOffsets per topic, and one single-message Fetch per lagging partition whose
 * committed offset was not seen before (cached in the reader).
 */
export async function readClusterLag(
  admin: Admin,
  timestamps: OffsetTimestampReader,
  opts: ReadClusterLagOptions = {},
): Promise<ClusterLagSnapshot> {
  const now = opts.now ?? Date.now;
  const t0 = Date.now();
  const fetchesBefore = timestamps.fetches;
  const ids = opts.groupIds ?? (await admin.listGroups()).groups.map((g) => g.groupId);
  ids.sort();
  const existingTopics = new Set(await admin.listTopics());
  let descs: GroupDescription[] = [];
  if (ids.length > 0) {
    try {
      descs = (await admin.describeGroups(ids)).groups;
    } catch {
      descs = [];
      for (const id of ids) {
        const d = await admin.describeGroups([id]).catch(() => undefined);
        if (d?.groups[0]) descs.push(d.groups[0]);
      }
    }
  }
  const descBy = new Map(descs.map((d) => [d.groupId, d]));

  const topicOffsets = new Map<string, Promise<TopicOffsets | null>>();
  const offsetsOf = (topic: string): Promise<TopicOffsets | null> => {
    let p = topicOffsets.get(topic);
    if (!p) {
      p = admin
        .fetchTopicOffsets(topic)
        .then((o) => ({
          topic,
          partitions: o
            .map((x) => ({ partition: x.partition, logStart: x.low, logEnd: x.high }))
            .sort((a, b) => a.partition - b.partition),
        }))
        .catch(async () => {
          // Leadership moving (NOT_LEADER...) is transient: one retry after a metadata refresh.
          await new Promise((r) => setTimeout(r, 200));
          return admin
            .fetchTopicOffsets(topic)
            .then((o) => ({
              topic,
              partitions: o
                .map((x) => ({ partition: x.partition, logStart: x.low, logEnd: x.high }))
                .sort((a, b) => a.partition - b.partition),
            }))
            .catch(() => null);
        });
      topicOffsets.set(topic, p);
    }
    return p;
  };

  const groups: ConsumerGroupLag[] = [];
  const pending: { info: PartitionLagInfo; fetchAt: string }[] = [];

  for (const groupId of ids) {
    const desc = descBy.get(groupId);
    try {
      const assigned = assignedTopics(desc);
      const committedAll = await admin.fetchOffsets({ groupId });
      const hasCommits = committedAll.some((t) => t.partitions.some((p) => p.offset !== '-1'));
      const wanted = new Set([...committedAll.map((t) => t.topic), ...assigned.keys()]);
      const live = [...wanted].filter((t) => existingTopics.has(t));
      const full = live.length > 0 ? await admin.fetchOffsets({ groupId, topics: live }) : [];
      const partitions: PartitionLagInfo[] = [];
      for (const t of committedAll) {
        if (existingTopics.has(t.topic)) continue;
        for (const p of t.partitions)
          partitions.push({
            topic: t.topic,
            partition: p.partition,
            committed: p.offset === '-1' ? null : p.offset,
            logStart: null,
            logEnd: null,
            lag: '0',
            timeLagSeconds: null,
            oldestUnconsumedAt: null,
            status: 'topic-deleted',
            assigned: false,
          });
      }
      for (const t of full) {
        const offs = await offsetsOf(t.topic);
        for (const p of t.partitions) {
          const o = offs?.partitions.find((x) => x.partition === p.partition);
          const committed = p.offset === '-1' ? null : p.offset;
          const isAssigned = assigned.get(t.topic)?.has(p.partition) ?? false;
          if (!o && existingTopics.has(t.topic))
            throw new Error(`log offsets of ${t.topic} could not be read`);
          if (!o) {
            partitions.push({
              topic: t.topic,
              partition: p.partition,
              committed,
              logStart: null,
              logEnd: null,
              lag: '0',
              timeLagSeconds: null,
              oldestUnconsumedAt: null,
              status: 'topic-deleted',
              assigned: isAssigned,
            });
            continue;
          }
          const start = BigInt(o.logStart);
          const end = BigInt(o.logEnd);
          const info: PartitionLagInfo = {
            topic: t.topic,
            partition: p.partition,
            committed,
            logStart: o.logStart,
            logEnd: o.logEnd,
            lag: '0',
            timeLagSeconds: null,
            oldestUnconsumedAt: null,
            status: 'lagging',
            assigned: isAssigned,
          };
          if (committed === null) {
            info.status = 'no-offset';
            info.lag = (end > start ? end - start : 0n).toString();
          } else {
            const c = BigInt(committed);
            if (c >= end) {
              info.status = 'idle';
              info.timeLagSeconds = 0;
            } else {
              info.lag = (end - c).toString();
              const from = c < start ? start : c;
              if (c < start) info.status = 'out-of-range';
              pending.push({ info, fetchAt: from.toString() });
            }
          }
          partitions.push(info);
        }
      }
      partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      groups.push({
        groupId,
        state: desc?.state ?? 'Unknown',
        status: condition(desc, hasCommits),
        protocolType: desc?.protocolType ?? '',
        members: desc?.members.length ?? 0,
        partitions,
        totalLag: '0',
        maxLag: '0',
        maxTimeLagSeconds: null,
      });
    } catch (e) {
      groups.push({
        groupId,
        state: desc?.state ?? 'Unknown',
        status: 'error',
        protocolType: desc?.protocolType ?? '',
        members: desc?.members.length ?? 0,
        partitions: [],
        totalLag: '0',
        maxLag: '0',
        maxTimeLagSeconds: null,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  const atMs = now();
  // The reader sends one fetch at a time on its own connection; cache hits return at once.
  await pool(pending, 8, async ({ info, fetchAt }) => {
    const r = await timestamps.timestampAt(info.topic, info.partition, fetchAt);
    if (r.kind === 'ok') {
      info.timeLagSeconds = Math.max(0, atMs - r.timestampMs) / 1000;
      info.oldestUnconsumedAt = new Date(r.timestampMs).toISOString();
    } else if (info.status === 'lagging') {
      info.status = 'time-unknown';
    }
  });

  for (const g of groups) {
    let total = 0n;
    let max = 0n;
    let maxT: number | null = null;
    for (const p of g.partitions) {
      const l = BigInt(p.lag);
      total += l;
      if (l > max) max = l;
      if (p.timeLagSeconds !== null) maxT = Math.max(maxT ?? 0, p.timeLagSeconds);
    }
    g.totalLag = total.toString();
    g.maxLag = max.toString();
    g.maxTimeLagSeconds = maxT;
  }

  const topics = (await Promise.all([...topicOffsets.values()])).filter(
    (t): t is TopicOffsets => t !== null,
  );
  topics.sort((a, b) => a.topic.localeCompare(b.topic));
  return {
    atMs,
    at: new Date(atMs).toISOString(),
    groups,
    topics,
    fetches: timestamps.fetches - fetchesBefore,
    durationMs: Date.now() - t0,
  };
}

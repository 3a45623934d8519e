import { AssignerProtocol, type Admin } from 'kafkajs';

export interface PartitionLag {
  topic: string;
  partition: number;
  /** null when the group has no committed offset for this partition. */
  committed: string | null;
  logEnd: string;
  lag: string;
}

export interface GroupLag {
  groupId: string;
  state: string;
  partitions: PartitionLag[];
  totalLag: string;
}

/** Offset lag per partition for one consumer group (committed vs log-end offset). */
export async function readGroupLag(
  admin: Admin,
  groupId: string,
  topics?: string[],
): Promise<GroupLag> {
  const [desc] = (await admin.describeGroups([groupId])).groups;
  // Topics the group reads: those it committed on, plus those assigned to live members (no commit yet).
  const wanted = new Set(topics ?? []);
  if (!topics) {
    for (const t of await admin.fetchOffsets({ groupId })) wanted.add(t.topic);
    for (const m of desc?.members ?? []) {
      if (m.memberAssignment.length === 0) continue;
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      for (const t of Object.keys(a?.assignment ?? {})) wanted.add(t);
    }
  }
  const committed =
    wanted.size > 0 ? await admin.fetchOffsets({ groupId, topics: [...wanted] }) : [];
  const partitions: PartitionLag[] = [];
  let total = 0n;
  for (const t of committed) {
    const ends = await admin.fetchTopicOffsets(t.topic);
    const endBy = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
    for (const p of t.partitions) {
      const end = endBy.get(p.partition) ?? 0n;
      const c = p.offset === '-1' ? null : BigInt(p.offset);
      // With no commit yet, everything from the earliest retained offset counts as lag.
      const low = BigInt(ends.find((e) => e.partition === p.partition)?.low ?? '0');
      const lag = c === null ? end - low : end > c ? end - c : 0n;
      total += lag;
      partitions.push({
        topic: t.topic,
        partition: p.partition,
        committed: c === null ? null : c.toString(),
        logEnd: end.toString(),
        lag: lag.toString(),
      });
    }
  }
  partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return { groupId, state: desc?.state ?? 'Unknown', partitions, totalLag: total.toString() };
}

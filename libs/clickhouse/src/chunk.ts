/** The raw rows of one ingest chunk: one topic-partition, offsets first..last (inclusive). */
export interface ChunkRange {
  topic: string;
  partition: number;
  first: bigint;
  last: bigint;
}

/** WHERE clause selecting a chunk's rows in a raw table (parameters: {@link chunkRangeParams}). */
export const CHUNK_ROWS_WHERE =
  '_topic = {topic:String} AND _partition = {partition:UInt32} AND _offset BETWEEN {first:UInt64} AND {last:UInt64}';

export function chunkRangeParams(r: ChunkRange): Record<string, string | number> {
  return {
    topic: r.topic,
    partition: r.partition,
    first: r.first.toString(),
    last: r.last.toString(),
  };
}

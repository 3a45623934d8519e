import type { ClickHouseClient } from '@clickhouse/client';
import { countStoredInRanges } from '@storepulse/clickhouse';
import type { PartitionRange } from '@storepulse/kafka';
import type { ImportCounter, ImportOutcome } from './importer';

/**
 * Counts from the ClickHouse tables (raw rows and dead letters by source offset). Duplicates are
 * what remains of the sent messages: exact when nothing but the import wrote to those partitions
 * meanwhile (live traffic in the same ranges counts as stored).
 */
export class ClickHouseImportCounter implements ImportCounter {
  constructor(private readonly client: ClickHouseClient) {}

  async count(ranges: readonly PartitionRange[], sent: number): Promise<ImportOutcome> {
    const { stored, deadLettered } = await countStoredInRanges(this.client, ranges);
    return { stored, deadLettered, duplicates: Math.max(0, sent - stored - deadLettered) };
  }
}

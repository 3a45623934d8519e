-- Dead letters of every producer in dead_letters (issue #13). The aggregator writes its own rejects
-- with their chunk (dlq_partition/dlq_offset -1: written before they are sent to the topic). Every
-- other record of dlq.storefront.v1 (the collector's HTTP rejects, the replenishment consumer's) is
-- copied by the dead-letter archive (apps/aggregator/src/dead-letters) under its exactly-once
-- ledger; its place in the topic (dlq_partition, dlq_offset) is its identity. A source partition or
-- offset of -1 (an HTTP reject was never on a topic) is stored as its two's complement in the
-- unsigned columns: read it with toInt32(source_partition) / toInt64(source_offset).
-- headers: the record's other headers (x-storefront, x-dlq-request-id, x-dlq-index, ...).
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS dlq_partition Int32 DEFAULT -1;
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS dlq_offset Int64 DEFAULT -1;
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS headers Map(String, String) DEFAULT map();

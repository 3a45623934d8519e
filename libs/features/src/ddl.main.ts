import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from '@storepulse/clickhouse';
import { ROLLUP_MIGRATIONS } from './rollups';

/**
 * Regenerates the rollup migrations from the rollup spec. A migration that was applied anywhere must
 * not change: add measures with a new `since` (and a new entry in ROLLUP_MIGRATIONS) instead.
 */
for (const [file, sql] of Object.entries(ROLLUP_MIGRATIONS)) {
  writeFileSync(join(MIGRATIONS_DIR, file), sql());
  console.log(`wrote ${file}`);
}

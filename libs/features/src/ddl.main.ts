import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from '@storepulse/clickhouse';
import { ROLLUP_MIGRATION, rollupMigrationSql } from './rollups';

/** Regenerates migration 0006 from the rollup spec (only before it was ever applied). */

writeFileSync(join(MIGRATIONS_DIR, ROLLUP_MIGRATION), rollupMigrationSql());
console.log(`wrote ${ROLLUP_MIGRATION}`);

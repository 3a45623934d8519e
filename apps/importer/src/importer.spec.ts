import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TOPICS } from '@storepulse/contracts';
import { checkImport, ImportRefusedError } from './importer';
import type { ImportMessage } from './parse';

const NOW = Date.UTC(2026, 11, 1);
const at = (daysAgo: number, line: number): ImportMessage => ({
  topic: TOPICS.orders,
  key: 'o',
  value: Buffer.from('{}'),
  tsMs: NOW - daysAgo * 86_400_000,
  line,
});
const limits = { rawTtlDays: 90, importMaxAgeDays: 730 };

describe('import checks before anything is produced', () => {
  it('accepts history within RAW_TTL_DAYS', () => {
    checkImport([at(1, 1), at(89, 2)], [], limits, NOW);
  });
  it('refuses an import reaching past RAW_TTL_DAYS, naming the variable and the oldest line', () => {
    assert.throws(
      () => checkImport([at(1, 1), at(91, 2), at(95, 3)], [], limits, NOW),
      (e: unknown) =>
        e instanceof ImportRefusedError &&
        /RAW_TTL_DAYS \(90\)/.test(e.message) &&
        /line 3/.test(e.message),
    );
  });
  it('refuses past IMPORT_MAX_AGE_DAYS when that is the lower limit', () => {
    assert.throws(
      () => checkImport([at(40, 1)], [], { rawTtlDays: 400, importMaxAgeDays: 30 }, NOW),
      /IMPORT_MAX_AGE_DAYS \(30\)/,
    );
  });
  it('refuses a file with unreadable lines, listing them', () => {
    assert.throws(
      () => checkImport([at(1, 1)], [{ line: 7, message: 'invalid JSON' }], limits, NOW),
      /line 7: invalid JSON/,
    );
  });
});

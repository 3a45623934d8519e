import { TOPICS } from '@storepulse/contracts';
import type { ImportFormat } from './parse';

export const USAGE = `usage: npm run import -- FILE [--topic ${TOPICS.clickstream}|${TOPICS.orders}|${TOPICS.inventory}] [--format ndjson|csv] [--wait-timeout-ms 600000]`;

export interface ImportArgs {
  file: string;
  topic?: string;
  format?: ImportFormat;
  waitTimeoutMs: number;
}

/** Command-line arguments of the import; an error names the bad argument. */
export function parseArgs(argv: readonly string[]): ImportArgs | { error: string } {
  let file: string | undefined;
  let topic: string | undefined;
  let format: ImportFormat | undefined;
  let waitTimeoutMs = 600_000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i];
    if (a === '--topic') topic = value();
    else if (a === '--format') {
      const f = value();
      if (f !== 'ndjson' && f !== 'csv')
        return { error: `--format must be ndjson or csv (got ${f})` };
      format = f;
    } else if (a === '--wait-timeout-ms') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1000)
        return { error: '--wait-timeout-ms must be an integer >= 1000' };
      waitTimeoutMs = n;
    } else if (a.startsWith('--')) return { error: `unknown option ${a}` };
    else if (file === undefined) file = a;
    else return { error: `one file only (got ${file} and ${a})` };
  }
  if (file === undefined) return { error: 'FILE is missing' };
  if (topic === '') return { error: '--topic needs a value' };
  return {
    file,
    waitTimeoutMs,
    ...(topic !== undefined ? { topic } : {}),
    ...(format ? { format } : {}),
  };
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The compiled browser tracker (storepulse.mts → storepulse.mjs beside this file), as served. */
export interface TrackerAsset {
  body: Buffer;
  etag: string;
}

/**
 * Reads the tracker module once at start-up. The build emits it next to this file; a missing file
 * is a broken build and fails start-up with the path rather than serving a 404 later.
 */
export function loadTrackerAsset(dir: string = __dirname): TrackerAsset {
  const path = join(dir, 'storepulse.mjs');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(
      `browser tracker not found at ${path} (run npm run build): ${(e as Error).message}`,
      { cause: e },
    );
  }
  // The source map is not served: drop its reference so browsers do not ask for it.
  const body = Buffer.from(text.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'), 'utf8');
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, etag };
}

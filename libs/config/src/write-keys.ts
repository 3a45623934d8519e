import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * A storefront's write key as configured: only its SHA-256 digest is known to the process.
 * Write keys are random 256-bit tokens (`npm run collector:key`), so a fast hash is enough: nobody can
 * brute-force 2^256 candidates, and a slow KDF (scrypt) would cost tens of ms of CPU per request.
 */
export interface WriteKey {
  storefront: string;
  /** SHA-256 of the key's UTF-8 bytes (32 bytes). */
  sha256: Buffer;
  revoked: boolean;
  /** Read from COLLECTOR_KEYS_FILE (replaced when the collector reloads the file). */
  fromFile?: true;
}

const STOREFRONT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HEX64 = /^[0-9a-f]{64}$/;

const keysFileSchema = z.object({
  keys: z.array(
    z.object({
      storefront: z.string().regex(STOREFRONT, {
        error: 'storefront must be 1-64 characters of A-Z a-z 0-9 . _ -',
      }),
      sha256: z
        .string()
        .regex(HEX64, { error: 'sha256 must be 64 lowercase hex digits (the hashed key)' }),
      revoked: z.boolean().default(false),
    }),
  ),
});

/** The variables that hold hashed keys (the collector's write keys, the API's read and admin keys). */
export type KeyVariable =
  'COLLECTOR_WRITE_KEYS' | 'COLLECTOR_KEYS_FILE' | 'API_READ_KEYS' | 'API_ADMIN_KEYS';

/** A problem with one source of keys, worded for ConfigError. */
export class WriteKeysError extends Error {
  constructor(
    readonly variable: KeyVariable,
    message: string,
  ) {
    super(message);
    this.name = 'WriteKeysError';
  }
}

/**
 * `storefrontA:sha256hex,storefrontB:sha256hex` → keys (none revoked). The API's keys
 * (API_READ_KEYS, API_ADMIN_KEYS) have the same format, `name:sha256hex`; `variable` names the
 * source in errors.
 */
export function parseWriteKeys(
  spec: string | undefined,
  variable: Exclude<KeyVariable, 'COLLECTOR_KEYS_FILE'> = 'COLLECTOR_WRITE_KEYS',
): WriteKey[] {
  if (spec === undefined) return [];
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry, i) => {
      const at = entry.lastIndexOf(':');
      const storefront = at < 0 ? '' : entry.slice(0, at);
      const hex = at < 0 ? entry : entry.slice(at + 1).toLowerCase();
      if (!STOREFRONT.test(storefront))
        throw new WriteKeysError(
          variable,
          `entry ${i + 1} must be ${variable === 'COLLECTOR_WRITE_KEYS' ? 'storefront' : 'name'}:sha256hex with a storefront of 1-64 characters A-Z a-z 0-9 . _ -`,
        );
      if (!HEX64.test(hex))
        throw new WriteKeysError(
          variable,
          `entry ${i + 1} (${storefront}): the hash must be 64 hex digits, the SHA-256 of the key (npm run collector:key -- ${storefront})`,
        );
      return { storefront, sha256: Buffer.from(hex, 'hex'), revoked: false };
    });
}

/** Reads and validates a keys file (JSON). */
export function readKeysFile(path: string | undefined): WriteKey[] {
  if (path === undefined) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new WriteKeysError(
      'COLLECTOR_KEYS_FILE',
      `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return parseKeysFile(text, path);
}

/** Validates the text of a keys file (`path` names it in errors). */
export function parseKeysFile(text: string, path: string): WriteKey[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new WriteKeysError(
      'COLLECTOR_KEYS_FILE',
      `${path} is not JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const r = keysFileSchema.safeParse(json);
  if (!r.success)
    throw new WriteKeysError(
      'COLLECTOR_KEYS_FILE',
      `${path}: ` +
        r.error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; ') +
        ' (expected {"keys":[{"storefront":"…","sha256":"…","revoked":false}]})',
    );
  return r.data.keys.map((k) => ({
    storefront: k.storefront,
    sha256: Buffer.from(k.sha256, 'hex'),
    revoked: k.revoked,
    fromFile: true as const,
  }));
}

/** Both sources together; the same digest listed twice is a configuration error. */
export function mergeWriteKeys(fromEnv: WriteKey[], fromFile: WriteKey[]): WriteKey[] {
  const seen = new Map<string, string>();
  for (const k of [...fromEnv, ...fromFile]) {
    const hex = k.sha256.toString('hex');
    const other = seen.get(hex);
    if (other !== undefined)
      throw new WriteKeysError(
        fromFile.includes(k) ? 'COLLECTOR_KEYS_FILE' : 'COLLECTOR_WRITE_KEYS',
        `the same key hash is configured twice (storefronts ${other} and ${k.storefront})`,
      );
    seen.set(hex, k.storefront);
  }
  return [...fromEnv, ...fromFile];
}

/** SHA-256 of a key's UTF-8 bytes (see {@link WriteKey} for why SHA-256). */
export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * The configured key whose digest equals the presented key's, compared with crypto.timingSafeEqual
 * on equal-length (32-byte) digests, without stopping at the first match: the time taken does not
 * depend on which key, or how much of one, matched. Revoked keys are returned too (the caller says
 * why they are refused).
 */
export function matchKey<K extends WriteKey>(keys: readonly K[], presented: string): K | undefined {
  const digest = hashKey(presented);
  let match: K | undefined;
  for (const k of keys) if (timingSafeEqual(k.sha256, digest) && match === undefined) match = k;
  return match;
}

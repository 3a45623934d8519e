import { randomBytes } from 'node:crypto';
import { hashKey, matchKey, type WriteKey } from '@storepulse/config';

export { hashKey };

/** A new random write key (256 bits) and the config line that declares it. */
export function newWriteKey(storefront: string): { key: string; configEntry: string } {
  const key = `sp_${randomBytes(32).toString('base64url')}`;
  return { key, configEntry: `${storefront}:${hashKey(key).toString('hex')}` };
}

export type KeyCheck =
  { ok: true; storefront: string } | { ok: false; status: 401 | 403; message: string };

/** Checks a presented key against every configured digest in constant time ({@link matchKey}). */
export function checkKey(keys: readonly WriteKey[], presented: string | undefined): KeyCheck {
  if (presented === undefined || presented.length === 0)
    return {
      ok: false,
      status: 401,
      message:
        'missing write key: send Authorization: Bearer <key> or X-Api-Key: <key> (beacons: ?key=)',
    };
  const match = matchKey(keys, presented);
  if (match === undefined) return { ok: false, status: 403, message: 'unknown write key' };
  if (match.revoked)
    return {
      ok: false,
      status: 403,
      message: `write key of storefront ${match.storefront} is revoked`,
    };
  return { ok: true, storefront: match.storefront };
}

export interface KeySources {
  authorization: string | undefined;
  apiKey: string | undefined;
  /** `?key=`, honoured only for text/plain bodies (navigator.sendBeacon cannot set headers). */
  queryKey: string | undefined;
  contentType: string | undefined;
}

/** The key a request presents: Bearer token, else X-Api-Key, else ?key= for text/plain beacons. */
export function presentedKey(s: KeySources): string | undefined {
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(s.authorization ?? '');
  if (m) return m[1];
  if (s.apiKey !== undefined && s.apiKey.trim() !== '') return s.apiKey.trim();
  const type = (s.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/plain' && s.queryKey !== undefined && s.queryKey !== '') return s.queryKey;
  return undefined;
}

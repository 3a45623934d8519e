import {
  accessEnforced,
  matchKey,
  type AccessClass,
  type AccessConfig,
  type WriteKey,
} from '@storepulse/config';

/** Cookie the dashboard pages set after asking for a key once (honoured for GET/HEAD only). */
export const KEY_COOKIE = 'storepulse_key';

export type AccessDecision =
  | { ok: true; key: { name: string; class: 'read' | 'admin' } | undefined }
  | { ok: false; status: 401 | 403; message: string };

export interface PresentedKeySources {
  method: string;
  authorization: string | undefined;
  apiKey: string | undefined;
  cookie: string | undefined;
}

/**
 * The key a request presents: `Authorization: Bearer <key>`, else `X-Api-Key: <key>`, else — for
 * GET and HEAD only — the dashboard's `storepulse_key` cookie (a browser sends cookies by itself,
 * so a cookie never authorises a state change: no cross-site request forgery of admin actions).
 */
export function presentedApiKey(s: PresentedKeySources): string | undefined {
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(s.authorization ?? '');
  if (m) return m[1];
  if (s.apiKey !== undefined && s.apiKey.trim() !== '') return s.apiKey.trim();
  const method = s.method.toUpperCase();
  if ((method === 'GET' || method === 'HEAD') && s.cookie !== undefined) {
    for (const part of s.cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0 || part.slice(0, eq).trim() !== KEY_COOKIE) continue;
      try {
        const v = decodeURIComponent(part.slice(eq + 1).trim());
        if (v !== '') return v;
      } catch {
        return undefined; // malformed %-escape: as if no cookie was sent (401 says how to send one)
      }
    }
  }
  return undefined;
}

const HOW =
  'send Authorization: Bearer <key> (or X-Api-Key: <key>; the dashboard asks once and keeps it in a cookie)';

/**
 * What the guard does with a route of class `cls` and the key a request presents. Without any key
 * configured everything is open. Missing or unknown key: 401; a read key on an admin route: 403.
 */
export function decideAccess(
  access: AccessConfig,
  cls: AccessClass,
  presented: string | undefined,
): AccessDecision {
  if (cls === 'public' || !accessEnforced(access)) return { ok: true, key: undefined };
  const need =
    cls === 'admin'
      ? 'an admin key (API_ADMIN_KEYS)'
      : 'a read or admin key (API_READ_KEYS, API_ADMIN_KEYS)';
  if (presented === undefined || presented === '')
    return { ok: false, status: 401, message: `missing API key: this route needs ${need}; ${HOW}` };
  // Both lists are always scanned in full: the time does not tell which class matched.
  const admin = matchKey(access.adminKeys, presented);
  const read = matchKey(access.readKeys, presented);
  const found: { key: WriteKey; class: 'read' | 'admin' } | undefined =
    admin !== undefined
      ? { key: admin, class: 'admin' }
      : read !== undefined
        ? { key: read, class: 'read' }
        : undefined;
  if (found === undefined || found.key.revoked)
    return { ok: false, status: 401, message: `unknown API key: this route needs ${need}` };
  if (cls === 'admin' && found.class !== 'admin')
    return {
      ok: false,
      status: 403,
      message: `the read key of ${found.key.storefront} cannot call this route: it needs ${need}`,
    };
  return { ok: true, key: { name: found.key.storefront, class: found.class } };
}

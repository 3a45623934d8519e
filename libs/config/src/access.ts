import { SetMetadata, type CustomDecorator } from '@nestjs/common';
import type { WriteKey } from './write-keys';

/**
 * Who may call an HTTP route when API keys are configured (docs/reliability.md "Access"):
 * - `public`: anyone (probes: /metrics, /health*; static dashboard pages; the collector's ingest,
 *   which checks its own write keys);
 * - `read`: a read or an admin key (the default of every route without a decorator);
 * - `admin`: an admin key (actions that change state: train, promote, rollback, run now).
 */
export type AccessClass = 'public' | 'read' | 'admin';

/** Reflect-metadata key of a route's (or a controller's) {@link AccessClass}. */
export const ACCESS_CLASS = 'storepulse:access-class';

/** Open to anyone, also when API keys are configured. */
export const Public = (): CustomDecorator<string> => SetMetadata(ACCESS_CLASS, 'public');
/** Needs an admin key when API keys are configured. */
export const Admin = (): CustomDecorator<string> => SetMetadata(ACCESS_CLASS, 'admin');
/** Needs a read (or admin) key when API keys are configured: the default, for explicitness. */
export const Read = (): CustomDecorator<string> => SetMetadata(ACCESS_CLASS, 'read');

function isAccessClass(v: unknown): v is AccessClass {
  return v === 'public' || v === 'read' || v === 'admin';
}

/**
 * A route's class: the handler's decorator wins over its controller's; neither = `read`. The
 * guard and the route-table test both use this, so the test checks what the guard enforces.
 */
export function accessClassOf(handler: object, controller: object): AccessClass {
  for (const target of [handler, controller]) {
    const v: unknown = Reflect.getMetadata(ACCESS_CLASS, target);
    if (isAccessClass(v)) return v;
  }
  return 'read';
}

/** API keys (API_READ_KEYS, API_ADMIN_KEYS), hashed like the collector's write keys. */
export interface AccessConfig {
  readKeys: WriteKey[];
  adminKeys: WriteKey[];
}

/** Any key configured: every non-public route needs one. */
export function accessEnforced(a: AccessConfig): boolean {
  return a.readKeys.length > 0 || a.adminKeys.length > 0;
}

/** 127.0.0.0/8, ::1, localhost: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' ||
    h === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(h) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(h)
  );
}

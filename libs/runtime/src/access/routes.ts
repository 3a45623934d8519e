import { RequestMethod, type DynamicModule, type Type } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { APP_GUARD } from '@nestjs/core';
import { accessClassOf, type AccessClass } from '@storepulse/config';
import { ApiKeyGuard } from './api-key.guard';

/** One HTTP route of an app as Nest registers it: `GET /api/lag/:group` and its access class. */
export interface HttpRoute {
  method: string;
  path: string;
  controller: string;
  handler: string;
  access: AccessClass;
}

type ModuleRef = Type | DynamicModule | { forwardRef: () => Type };

export interface ModuleGraph {
  routes: HttpRoute[];
  /** How many providers register {@link ApiKeyGuard} as APP_GUARD (one per app). */
  accessGuards: number;
}

function isDynamic(m: object): m is DynamicModule {
  return 'module' in m;
}

function joinPath(prefix: string, path: string): string {
  const p = `/${prefix}/${path}`.replace(/\/+/g, '/');
  return p.length > 1 ? p.replace(/\/$/, '') : p;
}

function paths(v: unknown): string[] {
  if (v === undefined) return [''];
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}

/**
 * Walks an app's module graph as Nest's scanner does (static @Module metadata and dynamic modules,
 * imports followed through forwardRef) and lists every HTTP route of every controller with the
 * access class the guard gives it. No provider is instantiated: the graph is read, not started.
 */
export function walkHttpRoutes(root: ModuleRef | ModuleRef[]): ModuleGraph {
  const seenModules = new Set<object>();
  const seenControllers = new Set<Type>();
  const routes: HttpRoute[] = [];
  let accessGuards = 0;
  const visit = (ref: ModuleRef): void => {
    const m: Type | DynamicModule = 'forwardRef' in ref ? ref.forwardRef() : ref;
    if (seenModules.has(m)) return;
    seenModules.add(m);
    const cls: Type = isDynamic(m) ? m.module : m;
    const meta = (key: string): unknown[] =>
      (Reflect.getMetadata(key, cls) as unknown[] | undefined) ?? [];
    const imports = [...meta(MODULE_METADATA.IMPORTS), ...(isDynamic(m) ? (m.imports ?? []) : [])];
    const controllers = [
      ...meta(MODULE_METADATA.CONTROLLERS),
      ...(isDynamic(m) ? (m.controllers ?? []) : []),
    ] as Type[];
    const providers = [
      ...meta(MODULE_METADATA.PROVIDERS),
      ...(isDynamic(m) ? (m.providers ?? []) : []),
    ];
    for (const p of providers)
      if (
        typeof p === 'object' &&
        p !== null &&
        'provide' in p &&
        p.provide === APP_GUARD &&
        'useClass' in p &&
        p.useClass === ApiKeyGuard
      )
        accessGuards++;
    for (const c of controllers) {
      if (seenControllers.has(c)) continue;
      seenControllers.add(c);
      const prefixes = paths(Reflect.getMetadata(PATH_METADATA, c));
      const names = new Set<string>();
      for (
        let p = c.prototype as object | null;
        p !== null && p !== Object.prototype;
        p = Object.getPrototypeOf(p) as object | null
      )
        for (const n of Object.getOwnPropertyNames(p)) if (n !== 'constructor') names.add(n);
      const proto = c.prototype as Record<string, unknown>;
      for (const name of names) {
        const handler = proto[name];
        if (typeof handler !== 'function') continue;
        const method: unknown = Reflect.getMetadata(METHOD_METADATA, handler);
        const own: unknown = Reflect.getMetadata(PATH_METADATA, handler);
        if (method === undefined || own === undefined) continue; // not an HTTP route (e.g. @EventPattern)
        for (const prefix of prefixes)
          for (const path of paths(own))
            routes.push({
              method: RequestMethod[method as RequestMethod],
              path: joinPath(prefix, path),
              controller: c.name,
              handler: name,
              access: accessClassOf(handler, c),
            });
      }
    }
    for (const i of imports) {
      if (i === undefined || i === null) continue;
      if (typeof i === 'object' && 'then' in i)
        throw new Error(`${cls.name}: async (Promise) imports are not walked; add support here`);
      visit(i as ModuleRef);
    }
  };
  for (const r of Array.isArray(root) ? root : [root]) visit(r);
  routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
  return { routes, accessGuards };
}

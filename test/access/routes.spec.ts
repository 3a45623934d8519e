import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { Admin, Public } from '@storepulse/config';
import { AccessModule, walkHttpRoutes, type HttpRoute } from '@storepulse/runtime';
import { config, MODULES, platformRoot } from './app-modules';
import { ROUTE_POLICY } from './route-policy';

// dist/test/access → the repository (the sources of the apps' main.ts)
const ROOT = resolve(__dirname, '..', '..', '..');

/** The module identifiers in the root @Module({ imports: [...] }) of an app's main.ts. */
function rootImports(source: string): string[] {
  const m = /@Module\(\{\s*imports:\s*\[([\s\S]*?)\n\s*\],/.exec(source);
  if (!m) return [];
  return [...new Set([...m[1].matchAll(/\b([A-Z][A-Za-z0-9]*Module)\b/g)].map((x) => x[1]))];
}

interface App {
  name: string;
  source: string;
  routes: HttpRoute[];
  accessGuards: number;
}

/** Every app under apps/ that serves HTTP (calls NestFactory.create), composed as its main.ts does. */
function apps(): App[] {
  const out: App[] = [];
  for (const name of readdirSync(join(ROOT, 'apps')).sort()) {
    const main = join(ROOT, 'apps', name, 'src', 'main.ts');
    if (!existsSync(main)) continue;
    const source = readFileSync(main, 'utf8');
    if (!source.includes('NestFactory.create')) continue;
    if (source.includes('PlatformModule.forRoot')) {
      out.push({ name, source, ...walkHttpRoutes(platformRoot()) });
      continue;
    }
    const ids = rootImports(source);
    assert.ok(ids.length > 0, `${name}: no @Module({ imports: [...] }) found in main.ts`);
    const unknown = ids.filter((id) => MODULES[id] === undefined);
    assert.deepEqual(
      unknown,
      [],
      `${name}: main.ts imports modules test/access/app-modules.ts does not know; add them there`,
    );
    out.push({ name, source, ...walkHttpRoutes(ids.map((id) => MODULES[id]())) });
  }
  return out;
}

describe('access: every HTTP route of every app has a decided class', () => {
  const all = apps();

  it('finds the HTTP apps', () => {
    assert.deepEqual(
      all.map((a) => a.name),
      ['aggregator', 'collector', 'monitor', 'platform', 'scorer', 'simulator', 'trainer'],
    );
  });

  for (const app of all)
    it(`${app.name}: the guard is installed once, listens through listenHttp, each route as decided`, () => {
      assert.equal(
        app.accessGuards,
        1,
        `${app.name}: AccessModule.forRoot(config) must be imported once`,
      );
      assert.ok(
        app.source.includes('listenHttp('),
        `${app.name}: main.ts must listen via listenHttp`,
      );
      assert.doesNotMatch(
        app.source,
        /\bapp\.listen\(/,
        `${app.name}: app.listen bypasses HTTP_HOST`,
      );
      assert.ok(app.routes.length > 0);
      for (const r of app.routes) {
        const key = `${r.method} ${r.path}`;
        const decided = ROUTE_POLICY[key];
        assert.ok(
          decided !== undefined,
          `${app.name}: ${key} (${r.controller}.${r.handler}) has no decision in test/access/route-policy.ts; decide public/read/admin and mark it with @Public() / @Admin() (default read)`,
        );
        assert.equal(r.access, decided, `${app.name}: ${key} (${r.controller}.${r.handler})`);
      }
    });

  it('every /api/* route needs a key, and the table lists no route that no app serves', () => {
    const served = new Set(all.flatMap((a) => a.routes.map((r) => `${r.method} ${r.path}`)));
    assert.deepEqual(
      Object.keys(ROUTE_POLICY).filter((k) => !served.has(k)),
      [],
      'stale entries in route-policy.ts',
    );
    const openApi = [...served].filter(
      (k) => k.split(' ')[1].startsWith('/api/') && ROUTE_POLICY[k] === 'public',
    );
    assert.deepEqual(openApi, []);
    // every state-changing POST outside the collector's ingest is admin, unless listed as a read
    for (const k of served)
      if (k.startsWith('POST /api/'))
        assert.ok(
          ROUTE_POLICY[k] === 'admin' ||
            ['POST /api/features/batch', 'POST /api/predictions/propensity'].includes(k),
          `${k}: a POST under /api changes state unless reviewed as a lookup`,
        );
  });

  it('the walk fails a route without a decision, and reads decorators on handler and controller', () => {
    @Controller('api/new')
    class NewController {
      @Get('thing')
      thing(): string {
        return 'x';
      }
      @Post('act')
      @Admin()
      act(): string {
        return 'y';
      }
    }
    @Public()
    @Controller('open')
    class OpenController {
      @Get()
      page(): string {
        return 'z';
      }
    }
    @Module({ controllers: [NewController, OpenController] })
    class NewModule {}
    const g = walkHttpRoutes([NewModule, AccessModule.forRoot(config)]);
    assert.deepEqual(
      g.routes.map((r) => [`${r.method} ${r.path}`, r.access]),
      [
        ['POST /api/new/act', 'admin'],
        ['GET /api/new/thing', 'read'],
        ['GET /open', 'public'],
      ],
    );
    assert.equal(g.accessGuards, 1);
    assert.equal(
      ROUTE_POLICY['GET /api/new/thing'],
      undefined,
      'so the app check above would fail on it',
    );
  });
});

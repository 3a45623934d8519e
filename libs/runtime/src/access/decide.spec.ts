import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hashKey, isLoopbackHost, loadConfig, type AccessConfig } from '@storepulse/config';
import { decideAccess, presentedApiKey } from './decide';
import { httpBaseUrl, openApiWarning } from './listen';

const entry = (name: string, key: string) => `${name}:${hashKey(key).toString('hex')}`;
const keyed: AccessConfig = loadConfig({
  API_READ_KEYS: entry('grafana', 'read-1'),
  API_ADMIN_KEYS: `${entry('ops', 'admin-1')},${entry('ci', 'admin-2')}`,
}).access;
const open: AccessConfig = { readKeys: [], adminKeys: [] };

describe('access: decideAccess', () => {
  it('without keys configured everything is open', () => {
    for (const cls of ['public', 'read', 'admin'] as const)
      assert.deepEqual(decideAccess(open, cls, undefined), { ok: true, key: undefined });
  });

  it('public routes stay open when keys are configured', () => {
    assert.equal(decideAccess(keyed, 'public', undefined).ok, true);
    assert.equal(decideAccess(keyed, 'public', 'wrong').ok, true);
  });

  it('read routes: 401 without or with an unknown key; a read or an admin key passes', () => {
    const missing = decideAccess(keyed, 'read', undefined);
    assert.equal(missing.ok, false);
    assert.equal(!missing.ok && missing.status, 401);
    assert.match(!missing.ok ? missing.message : '', /missing API key.*Authorization: Bearer/);
    const unknown = decideAccess(keyed, 'read', 'read-2');
    assert.equal(!unknown.ok && unknown.status, 401);
    assert.match(!unknown.ok ? unknown.message : '', /unknown API key/);
    assert.deepEqual(decideAccess(keyed, 'read', 'read-1'), {
      ok: true,
      key: { name: 'grafana', class: 'read' },
    });
    assert.deepEqual(decideAccess(keyed, 'read', 'admin-2'), {
      ok: true,
      key: { name: 'ci', class: 'admin' },
    });
  });

  it('admin routes: 403 with a read key, 401 without, an admin key passes', () => {
    const r = decideAccess(keyed, 'admin', 'read-1');
    assert.equal(!r.ok && r.status, 403);
    assert.match(!r.ok ? r.message : '', /read key of grafana.*admin key \(API_ADMIN_KEYS\)/);
    assert.equal(decideAccess(keyed, 'admin', undefined).ok, false);
    assert.deepEqual(decideAccess(keyed, 'admin', 'admin-1'), {
      ok: true,
      key: { name: 'ops', class: 'admin' },
    });
  });

  it('only admin keys configured: reads need one too', () => {
    const adminOnly = loadConfig({ API_ADMIN_KEYS: entry('ops', 'admin-1') }).access;
    assert.equal(decideAccess(adminOnly, 'read', undefined).ok, false);
    assert.equal(decideAccess(adminOnly, 'read', 'admin-1').ok, true);
  });
});

describe('access: presentedApiKey', () => {
  const base = { method: 'GET', authorization: undefined, apiKey: undefined, cookie: undefined };
  it('Bearer, then X-Api-Key', () => {
    assert.equal(presentedApiKey({ ...base, authorization: 'Bearer k1' }), 'k1');
    assert.equal(presentedApiKey({ ...base, authorization: 'bearer  k1 ', apiKey: 'k2' }), 'k1');
    assert.equal(presentedApiKey({ ...base, authorization: 'Basic xyz' }), undefined);
    assert.equal(presentedApiKey({ ...base, apiKey: ' k2 ' }), 'k2');
  });
  it('the dashboard cookie counts for GET and HEAD only (no forged admin POSTs)', () => {
    const cookie = 'a=1; storepulse_key=sp%2Bkey; b=2';
    assert.equal(presentedApiKey({ ...base, cookie }), 'sp+key');
    assert.equal(presentedApiKey({ ...base, method: 'HEAD', cookie }), 'sp+key');
    assert.equal(presentedApiKey({ ...base, method: 'POST', cookie }), undefined);
    assert.equal(presentedApiKey({ ...base, cookie: 'storepulse_key=%E0%A4%A' }), undefined);
    assert.equal(presentedApiKey({ ...base, cookie: 'other_key=x' }), undefined);
  });
});

describe('access: configuration', () => {
  it('HTTP_HOST defaults to loopback and is validated', () => {
    assert.equal(loadConfig({}).httpHost, '127.0.0.1');
    assert.equal(loadConfig({ HTTP_HOST: '0.0.0.0' }).httpHost, '0.0.0.0');
    assert.throws(() => loadConfig({ HTTP_HOST: 'a b' }), /HTTP_HOST: must be a host name or IP/);
  });
  it('keys: the collector format, errors name the variable and never echo the value', () => {
    assert.throws(
      () => loadConfig({ API_READ_KEYS: 'grafana:abc' }),
      (e: Error) => {
        assert.match(
          e.message,
          /API_READ_KEYS: entry 1 \(grafana\): the hash must be 64 hex digits/,
        );
        assert.doesNotMatch(e.message, /abc/);
        return true;
      },
    );
    assert.throws(
      () => loadConfig({ API_ADMIN_KEYS: 'no-name-' + 'a'.repeat(64) }),
      /API_ADMIN_KEYS: entry 1 must be name:sha256hex/,
    );
    assert.throws(
      () => loadConfig({ API_READ_KEYS: entry('a', 'k'), API_ADMIN_KEYS: entry('b', 'k') }),
      /API_READ_KEYS: the key of a is also in API_ADMIN_KEYS/,
    );
    assert.throws(
      () => loadConfig({ API_READ_KEYS: `${entry('a', 'k')},${entry('b', 'k')}` }),
      /API_READ_KEYS: the same key hash is listed twice/,
    );
  });
  it('loopback hosts, and the printed address', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'example.com', '128.0.0.1'])
      assert.equal(isLoopbackHost(h), false, h);
    assert.equal(httpBaseUrl({ httpHost: '127.0.0.1', httpPort: 3000 }), 'http://127.0.0.1:3000');
    assert.equal(httpBaseUrl({ httpHost: '0.0.0.0', httpPort: 3000 }), 'http://localhost:3000');
    assert.equal(httpBaseUrl({ httpHost: '::1', httpPort: 3000 }), 'http://[::1]:3000');
  });
  it('warns at start-up when bound beyond loopback without keys', () => {
    assert.match(
      openApiWarning({ httpHost: '0.0.0.0', access: open }) ?? '',
      /HTTP API is open: bound to 0\.0\.0\.0 without API keys.*API_READ_KEYS/,
    );
    assert.equal(openApiWarning({ httpHost: '127.0.0.1', access: open }), undefined);
    assert.equal(openApiWarning({ httpHost: '0.0.0.0', access: keyed }), undefined);
  });
});

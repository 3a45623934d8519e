import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseWriteKeys, readKeysFile } from '@storepulse/config';
import { checkKey, hashKey, newWriteKey, presentedKey } from './write-keys';

describe('write keys', () => {
  const a = newWriteKey('shopA');
  const b = newWriteKey('shopB');
  const keys = [...parseWriteKeys(`${a.configEntry},${b.configEntry}`)];
  keys[1] = { ...keys[1], revoked: true };

  it('newWriteKey: 256-bit random key, entry = storefront:sha256hex of it', () => {
    assert.match(a.key, /^sp_[A-Za-z0-9_-]{43}$/);
    assert.equal(a.configEntry, `shopA:${hashKey(a.key).toString('hex')}`);
    assert.notEqual(a.key, b.key);
  });

  it('missing → 401, unknown → 403, revoked → 403, valid → the storefront', () => {
    assert.deepEqual(checkKey(keys, undefined).ok, false);
    const missing = checkKey(keys, '');
    assert.equal(!missing.ok && missing.status, 401);
    const unknown = checkKey(keys, 'sp_nope');
    assert.deepEqual(unknown, { ok: false, status: 403, message: 'unknown write key' });
    const revoked = checkKey(keys, b.key);
    assert.equal(!revoked.ok && revoked.status, 403);
    assert.match(!revoked.ok ? revoked.message : '', /shopB is revoked/);
    assert.deepEqual(checkKey(keys, a.key), { ok: true, storefront: 'shopA' });
  });

  it('a key that differs in its last character, or is a prefix, is unknown', () => {
    assert.equal(checkKey(keys, a.key.slice(0, -1) + (a.key.endsWith('A') ? 'B' : 'A')).ok, false);
    assert.equal(checkKey(keys, a.key.slice(0, -1)).ok, false);
  });

  it('presented as Bearer, X-Api-Key, or ?key= for text/plain only', () => {
    const base = {
      authorization: undefined,
      apiKey: undefined,
      queryKey: undefined,
      contentType: 'application/json',
    };
    assert.equal(presentedKey({ ...base, authorization: 'Bearer k1' }), 'k1');
    assert.equal(presentedKey({ ...base, authorization: 'bearer  k1 ' }), 'k1');
    assert.equal(presentedKey({ ...base, authorization: 'Basic xyz' }), undefined);
    assert.equal(presentedKey({ ...base, apiKey: 'k2' }), 'k2');
    assert.equal(presentedKey({ ...base, queryKey: 'k3' }), undefined);
    assert.equal(
      presentedKey({ ...base, queryKey: 'k3', contentType: 'text/plain;charset=UTF-8' }),
      'k3',
    );
  });

  it('COLLECTOR_WRITE_KEYS: bad entries name the entry, never echo the value', () => {
    assert.throws(
      () => loadConfig({ COLLECTOR_WRITE_KEYS: 'shopA:abc' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /COLLECTOR_WRITE_KEYS: entry 1 \(shopA\): the hash must be 64 hex digits/.test(e.message) &&
        !e.message.includes('shopA:abc'),
    );
    assert.throws(
      () =>
        loadConfig({
          COLLECTOR_WRITE_KEYS: `${a.configEntry},${a.configEntry.replace('shopA', 'shopC')}`,
        }),
      /configured twice/,
    );
    assert.equal(loadConfig({ COLLECTOR_WRITE_KEYS: a.configEntry }).collector.writeKeys.length, 1);
  });

  it('COLLECTOR_KEYS_FILE: hashed keys with a revoked flag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    const file = join(dir, 'keys.json');
    const hex = hashKey(a.key).toString('hex');
    writeFileSync(
      file,
      JSON.stringify({ keys: [{ storefront: 'shopA', sha256: hex, revoked: true }] }),
    );
    const k = readKeysFile(file);
    assert.equal(k[0].revoked, true);
    const c = loadConfig({ COLLECTOR_KEYS_FILE: file });
    const r = checkKey(c.collector.writeKeys, a.key);
    assert.equal(!r.ok && r.status, 403);
    writeFileSync(file, JSON.stringify({ keys: [{ storefront: 'shopA', sha256: 'zz' }] }));
    assert.throws(
      () => loadConfig({ COLLECTOR_KEYS_FILE: file }),
      /COLLECTOR_KEYS_FILE: .*keys\.0\.sha256: sha256 must be 64/,
    );
    assert.throws(
      () => loadConfig({ COLLECTOR_KEYS_FILE: join(dir, 'missing.json') }),
      /COLLECTOR_KEYS_FILE: cannot read/,
    );
  });

  it('COLLECTOR_CORS_ORIGINS must be origins', () => {
    assert.deepEqual(
      loadConfig({ COLLECTOR_CORS_ORIGINS: 'https://a.example, http://b:8080/' }).collector
        .corsOrigins,
      ['https://a.example', 'http://b:8080'],
    );
    assert.throws(
      () => loadConfig({ COLLECTOR_CORS_ORIGINS: 'a.example' }),
      /COLLECTOR_CORS_ORIGINS: origin 'a.example'/,
    );
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseWriteKeys, parseKeysFile } from '@storepulse/config';
import { WriteKeyStore } from './key-store';
import { checkKey, newWriteKey } from './write-keys';

const a = newWriteKey('shopA');
const b = newWriteKey('shopB');
const env = newWriteKey('envShop');
const hex = (entry: string) => entry.split(':')[1];
const fileOf = (keys: { storefront: string; sha256: string; revoked?: boolean }[]) =>
  JSON.stringify({ keys });

/** A keys file in memory: its text, or an error when it cannot be read. */
function fakeFile(text: string) {
  const f = {
    text,
    unreadable: false,
    reads: 0,
    read: (): Promise<string> => {
      f.reads++;
      return f.unreadable
        ? Promise.reject(new Error('ENOENT: no such file'))
        : Promise.resolve(f.text);
    },
  };
  return f;
}

describe('WriteKeyStore (keys file reload)', () => {
  const initialText = fileOf([
    { storefront: 'shopA', sha256: hex(a.configEntry) },
    { storefront: 'shopB', sha256: hex(b.configEntry) },
  ]);
  const initial = () => [
    ...parseWriteKeys(env.configEntry),
    ...parseKeysFile(initialText, 'keys.json'),
  ];

  it('a key revoked in the file is refused after the reload; keys from the environment stay', async () => {
    const f = fakeFile(initialText);
    const s = new WriteKeyStore(initial(), { path: 'keys.json', read: f.read });
    assert.equal(checkKey(s.current() ?? [], a.key).ok, true);
    f.text = fileOf([
      { storefront: 'shopA', sha256: hex(a.configEntry), revoked: true },
      { storefront: 'shopB', sha256: hex(b.configEntry) },
    ]);
    assert.deepEqual(await s.reload(), { outcome: 'applied', active: 2, revoked: 1 });
    const r = checkKey(s.current() ?? [], a.key);
    assert.deepEqual(r, {
      ok: false,
      status: 403,
      message: 'write key of storefront shopA is revoked',
    });
    assert.equal(checkKey(s.current() ?? [], b.key).ok, true);
    assert.equal(checkKey(s.current() ?? [], env.key).ok, true, 'COLLECTOR_WRITE_KEYS kept');
    assert.deepEqual(await s.reload(), { outcome: 'unchanged' });
  });

  it('a key removed from the file is unknown; a key added is accepted', async () => {
    const f = fakeFile(initialText);
    const s = new WriteKeyStore(initial(), { path: 'keys.json', read: f.read });
    const c = newWriteKey('shopC');
    f.text = fileOf([
      { storefront: 'shopB', sha256: hex(b.configEntry) },
      { storefront: 'shopC', sha256: hex(c.configEntry) },
    ]);
    assert.equal((await s.reload()).outcome, 'applied');
    assert.deepEqual(checkKey(s.current() ?? [], a.key), {
      ok: false,
      status: 403,
      message: 'unknown write key',
    });
    assert.equal(checkKey(s.current() ?? [], c.key).ok, true);
  });

  it('an unreadable or invalid file keeps the keys in use and says why', async () => {
    const f = fakeFile(initialText);
    const s = new WriteKeyStore(initial(), { path: 'keys.json', read: f.read });
    const before = s.current();
    f.unreadable = true;
    assert.deepEqual(await s.reload(), {
      outcome: 'failed',
      message: 'cannot read keys.json: ENOENT: no such file',
    });
    f.unreadable = false;
    f.text = '{"keys":[{"storefront":"shopA","sha256":"zz"}]}';
    const r = await s.reload();
    assert.equal(r.outcome, 'failed');
    assert.match(
      r.outcome === 'failed' ? r.message : '',
      /^keys\.json: keys\.0\.sha256: sha256 must be 64/,
    );
    f.text = '{"keys": [';
    const j = await s.reload();
    assert.match(j.outcome === 'failed' ? j.message : j.outcome, /^keys\.json is not JSON: /);
    // the environment's key listed in the file too: the same digest twice
    f.text = fileOf([{ storefront: 'dup', sha256: hex(env.configEntry) }]);
    const d = await s.reload();
    assert.deepEqual(d, {
      outcome: 'failed',
      message: 'the same key hash is configured twice (storefronts envShop and dup)',
    });
    assert.equal(s.current(), before, 'the keys in use are unchanged');
    assert.equal(checkKey(s.current() ?? [], a.key).ok, true);
  });

  it('without a keys file nothing is reloaded', async () => {
    const s = new WriteKeyStore(parseWriteKeys(env.configEntry));
    assert.equal(s.reloadable, false);
    assert.deepEqual(await s.reload(), { outcome: 'unchanged' });
  });
});

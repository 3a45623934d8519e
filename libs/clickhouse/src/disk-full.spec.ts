import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  ClickHouseDiskFullError,
  classifyDiskFull,
  diskFullMessage,
  withDiskFullErrors,
} from './disk-full';

// The engine's own texts, as chdb 3 on a full tmpfs reported them (raw insert, then @clickhouse/client).
const RAW_INSERT =
  'Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE)';
function clientError(): Error {
  return Object.assign(new Error('Cannot reserve 1.00 MiB, not enough space. '), {
    code: '243',
    type: 'NOT_ENOUGH_SPACE',
  });
}

describe('disk-full classification', () => {
  it('recognises the engine and OS texts, also in a cause chain', () => {
    assert.equal(diskFullMessage(new Error(RAW_INSERT)), RAW_INSERT);
    assert.ok(diskFullMessage(clientError()));
    const write = new Error(
      'Code: 75. DB::ErrnoException: Cannot write to file /d/store/x.bin, errno: 28, strerror: No space left on device. (CANNOT_WRITE_TO_FILE_DESCRIPTOR)',
    );
    assert.ok(diskFullMessage(write));
    assert.ok(diskFullMessage(Object.assign(new Error('write failed'), { code: 'ENOSPC' })));
    assert.ok(diskFullMessage(new Error('insert failed', { cause: clientError() })));
  });

  it('leaves other failures alone', () => {
    for (const e of [
      new Error('socket hang up'),
      Object.assign(new Error('Table x does not exist'), { code: '60', type: 'UNKNOWN_TABLE' }),
      Object.assign(new Error('Memory limit exceeded'), { code: '241' }),
    ]) {
      assert.equal(diskFullMessage(e), undefined);
      assert.equal(classifyDiskFull(e, '/data'), e);
    }
  });

  it('names the folder in the error', () => {
    const e = classifyDiskFull(new Error(RAW_INSERT), '/var/lib/storepulse/chdb');
    assert.ok(e instanceof ClickHouseDiskFullError);
    assert.equal(e.folder, '/var/lib/storepulse/chdb');
    assert.match(e.message, /no space left in \/var\/lib\/storepulse\/chdb/);
    assert.match(e.message, /NOT_ENOUGH_SPACE/);
    assert.equal(classifyDiskFull(e, '/other'), e, 'classified once');
  });

  it('wraps a client: writes and reads reject with the classified error, results pass', async () => {
    let fail: Error | undefined;
    const fake = {
      insert: () => (fail ? Promise.reject(fail) : Promise.resolve({ executed: true })),
      query: () => (fail ? Promise.reject(fail) : Promise.resolve('rows')),
      close: () => Promise.resolve(),
    } as unknown as ClickHouseClient;
    const c = withDiskFullErrors(fake, '/d');
    assert.deepEqual(await c.insert({ table: 't', values: [] }), { executed: true });
    fail = clientError();
    await assert.rejects(
      c.insert({ table: 't', values: [] }),
      (e: unknown) => e instanceof ClickHouseDiskFullError && e.folder === '/d',
    );
    await assert.rejects(c.query({ query: 'SELECT 1' }), ClickHouseDiskFullError);
    fail = new Error('socket hang up');
    await assert.rejects(c.insert({ table: 't', values: [] }), /^Error: socket hang up$/);
  });
});

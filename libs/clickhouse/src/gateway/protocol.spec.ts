import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  GatewayError,
  engineFailure,
  httpStatusOf,
  isMultiStatement,
  outputFormat,
  parseSearchParams,
  requestCredentials,
  sessionPrefix,
  simpleInsert,
  sqlString,
} from './protocol';

describe('ClickHouse gateway protocol', () => {
  it('splits URL parameters into control parameters, settings and query parameters', () => {
    const p = parseSearchParams(
      new URLSearchParams(
        'query_id=q1&database=db&default_format=JSON&param_n=5&param_s=it%5C%27s&max_threads=2&wait_end_of_query=1&enable_http_compression=1&query=INSERT+INTO+t+FORMAT+CSV',
      ),
    );
    assert.equal(p.queryId, 'q1');
    assert.equal(p.database, 'db');
    assert.equal(p.defaultFormat, 'JSON');
    assert.equal(p.query, 'INSERT INTO t FORMAT CSV');
    assert.equal(p.enableHttpCompression, true);
    assert.deepEqual(p.settings, [['max_threads', '2']]);
    assert.deepEqual(p.params, [
      ['n', '5'],
      ['s', "it\\'s"],
    ]);
    assert.deepEqual(sessionPrefix(p), [
      'USE `db`',
      "SET max_threads = '2'",
      "SET param_n = '5'",
      "SET param_s = 'it\\\\\\'s'",
    ]);
    assert.throws(
      () => parseSearchParams(new URLSearchParams('bad-setting=1')),
      (e: unknown) => e instanceof GatewayError && e.type === 'UNKNOWN_SETTING',
    );
  });

  it('quotes SQL string literals so the engine reads back exactly the value', () => {
    assert.equal(sqlString("a'b\\c"), "'a\\'b\\\\c'");
  });

  it('reads credentials from headers, then Basic auth, then URL parameters', () => {
    assert.deepEqual(
      requestCredentials(
        { 'x-clickhouse-user': 'u', 'x-clickhouse-key': 'k' },
        {
          urlUser: undefined,
          urlPassword: undefined,
        },
      ),
      { user: 'u', password: 'k' },
    );
    const basic = `Basic ${Buffer.from('alice:pa:ss').toString('base64')}`;
    assert.deepEqual(
      requestCredentials({ authorization: basic }, { urlUser: 'x', urlPassword: 'y' }),
      { user: 'alice', password: 'pa:ss' },
    );
    assert.deepEqual(requestCredentials({}, { urlUser: 'x', urlPassword: 'y' }), {
      user: 'x',
      password: 'y',
    });
    assert.deepEqual(requestCredentials({}, { urlUser: undefined, urlPassword: undefined }), {
      user: 'default',
      password: '',
    });
  });

  it('maps error types to the server’s HTTP statuses', () => {
    assert.equal(httpStatusOf('AUTHENTICATION_FAILED'), 403);
    assert.equal(httpStatusOf('UNKNOWN_TABLE'), 404);
    assert.equal(httpStatusOf('SYNTAX_ERROR'), 400);
    assert.equal(httpStatusOf('CANNOT_PARSE_DATETIME'), 400);
    assert.equal(httpStatusOf('QUERY_IS_TOO_LARGE'), 413);
    assert.equal(httpStatusOf('TOO_MANY_PARTS'), 500);
  });

  it('reads the engine’s exception text, and wraps anything else', () => {
    assert.deepEqual(engineFailure('Code: 60. DB::Exception: Unknown table x. (UNKNOWN_TABLE)'), {
      code: 60,
      type: 'UNKNOWN_TABLE',
      text: 'Code: 60. DB::Exception: Unknown table x. (UNKNOWN_TABLE)',
    });
    assert.equal(engineFailure('boom').type, 'STD_EXCEPTION');
  });

  it('detects multi-statements outside quotes and comments; INSERT data is not scanned', () => {
    assert.equal(isMultiStatement('SELECT 1'), false);
    assert.equal(isMultiStatement('SELECT 1;'), false);
    assert.equal(isMultiStatement('SELECT 1; -- done\n ;'), false);
    assert.equal(isMultiStatement('SELECT \';\', "a;b", `c;d` /* ; */'), false);
    assert.equal(isMultiStatement("SELECT 'it\\'s; x'"), false);
    assert.equal(isMultiStatement("SELECT 'it''s; x'"), false);
    assert.equal(isMultiStatement('SELECT 1; SELECT 2'), true);
    assert.equal(isMultiStatement('CREATE TABLE a (x UInt8) ENGINE = Memory; DROP TABLE b'), true);
    assert.equal(isMultiStatement('INSERT INTO t FORMAT CSV\n1;2\n3;4'), false);
  });

  it('recognises the client’s INSERT for the raw (bytes) path, and nothing fancier', () => {
    assert.deepEqual(simpleInsert('INSERT INTO db.t (a, b_c) FORMAT JSONEachRow'), {
      table: 'db.t',
      columns: ['a', 'b_c'],
      format: 'JSONEachRow',
    });
    assert.deepEqual(simpleInsert('INSERT INTO t FORMAT CSV'), {
      table: 't',
      columns: undefined,
      format: 'CSV',
    });
    assert.equal(simpleInsert('INSERT INTO t FORMAT RowBinary'), undefined);
    assert.equal(simpleInsert('INSERT INTO t (* EXCEPT (a)) FORMAT JSONEachRow'), undefined);
    assert.equal(simpleInsert('INSERT INTO t SELECT 1'), undefined);
  });

  it('names the output format: the statement’s FORMAT, else default_format, else TabSeparated', () => {
    assert.equal(outputFormat('SELECT 1 FORMAT JSONEachRow', 'JSON'), 'JSONEachRow');
    assert.equal(outputFormat('SELECT 1', 'JSON'), 'JSON');
    assert.equal(outputFormat('SELECT 1', undefined), 'TabSeparated');
  });
});

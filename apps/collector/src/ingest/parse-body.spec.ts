import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseBody, type ParsedBody } from './parse-body';

const limits = { maxEvents: 5, maxDepth: 4 };
const parse = (body: string | Buffer, type = 'application/json', l = limits): ParsedBody =>
  parseBody(typeof body === 'string' ? Buffer.from(body, 'utf8') : body, type, l);
function ok(r: ParsedBody) {
  if (!r.ok) assert.fail(`expected ok, got ${r.status} ${r.message}`);
  return r;
}
function failed(r: ParsedBody, status: number, re: RegExp): void {
  if (r.ok) assert.fail('expected a failure');
  assert.equal(r.status, status);
  assert.match(r.message, re);
}

describe('parseBody', () => {
  it('one object: one event with its bytes', () => {
    const r = ok(parse(' {"a": 1} \n'));
    assert.equal(r.events.length, 1);
    assert.equal(r.events[0].bytes.toString(), '{"a": 1}');
    assert.deepEqual(r.events[0].value, { a: 1 });
  });

  it('an array: each element with its original bytes, strings with brackets and escapes included', () => {
    const body = '[ {"q":"a,]}[\\"x"} ,{"b":[1,2,{"c":3}]},\n42 , "s" ]';
    const r = ok(parse(body));
    assert.deepEqual(
      r.events.map((e) => e.bytes.toString()),
      ['{"q":"a,]}[\\"x"}', '{"b":[1,2,{"c":3}]}', '42', '"s"'],
    );
    assert.deepEqual(r.events[0].value, { q: 'a,]}["x' });
    assert.equal(r.events[2].value, 42);
  });

  it('multi-byte UTF-8 keeps exact bytes', () => {
    const body = '[{"c":"é€😀"},{"d":"ü"}]';
    const r = ok(parse(body));
    assert.equal(r.events[0].bytes.toString('hex'), Buffer.from('{"c":"é€😀"}').toString('hex'));
    assert.equal(r.events[1].bytes.toString(), '{"d":"ü"}');
  });

  it('text/plain (sendBeacon) is JSON; charset utf-8 accepted, others 415', () => {
    assert.equal(ok(parse('[{"a":1}]', 'text/plain;charset=UTF-8')).events.length, 1);
    failed(parse('{}', 'application/json; charset=latin1'), 415, /charset 'latin1'/);
  });

  it('NDJSON: one event per line, CRLF and blank lines allowed', () => {
    const r = ok(parse('{"a":1}\r\n\n  {"b":2}\n[1]\n', 'application/x-ndjson'));
    assert.deepEqual(
      r.events.map((e) => e.bytes.toString()),
      ['{"a":1}', '{"b":2}', '[1]'],
    );
    assert.equal(r.format, 'ndjson');
  });

  it('NDJSON with a bad line: 400 naming the line', () => {
    failed(
      parse('{"a":1}\n{"b":\n{"c":3}', 'application/x-ndjson'),
      400,
      /^line 2 is not valid JSON/,
    );
  });

  it('not JSON: 400 with the parser message; NDJSON sent as JSON gets a hint', () => {
    failed(parse('{"a":1,}'), 400, /^body is not valid JSON: .+/);
    failed(parse('{"a":1}\n{"b":2}'), 400, /application\/x-ndjson/);
    failed(parse('[{"a":1} {"b":2}]'), 400, /not valid JSON/);
  });

  it('empty bodies: 400', () => {
    failed(parse(''), 400, /empty body/);
    failed(parse('  \n'), 400, /empty body/);
    failed(parse('\n\n', 'application/x-ndjson'), 400, /empty body/);
  });

  it('an empty array is zero events', () => {
    assert.equal(ok(parse('[ ]')).events.length, 0);
  });

  it('invalid UTF-8: 400', () => {
    failed(
      parse(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])),
      400,
      /UTF-8/,
    );
  });

  it('unsupported or missing Content-Type: 415', () => {
    failed(parse('{}', 'application/x-www-form-urlencoded'), 415, /unsupported Content-Type/);
    failed(parseBody(Buffer.from('{}'), undefined, limits), 415, /\(none\)/);
  });

  it('more events than the limit: 413, for arrays and NDJSON', () => {
    failed(
      parse(JSON.stringify([1, 2, 3, 4, 5, 6])),
      413,
      /more than 5 events.*COLLECTOR_MAX_EVENTS/,
    );
    assert.equal(ok(parse(JSON.stringify([1, 2, 3, 4, 5]))).events.length, 5);
    failed(parse('1\n2\n3\n4\n5\n6', 'application/x-ndjson'), 413, /more than 5/);
  });

  it('depth: the event itself is level 1; the batch array does not count', () => {
    const deep4 = '{"a":{"b":{"c":[1]}}}'; // 4 levels
    const deep5 = '{"a":{"b":{"c":[[1]]}}}';
    assert.equal(ok(parse(deep4)).events.length, 1);
    assert.equal(ok(parse(`[${deep4}]`)).events.length, 1);
    assert.equal(ok(parse(deep4, 'application/x-ndjson')).events.length, 1);
    failed(
      parse(deep5),
      400,
      /nesting deeper than 4 levels at position \d+ \(COLLECTOR_MAX_DEPTH\)/,
    );
    failed(parse(`[${deep5}]`), 400, /nesting deeper than 4/);
    failed(parse(`{}\n${deep5}`, 'application/x-ndjson'), 400, /^line 2: nesting deeper than 4/);
  });

  it('a pathological depth is refused before JSON.parse (no stack overflow)', () => {
    const body = '['.repeat(500_000) + ']'.repeat(500_000);
    failed(parse(body, 'application/json', { maxEvents: 1000, maxDepth: 8 }), 400, /nesting/);
  });

  it('brackets inside strings do not count as depth', () => {
    const r = ok(parse(JSON.stringify({ q: '[[[[[[[[{{{{{{{{' })));
    assert.equal(r.events.length, 1);
  });

  it('__proto__ and constructor keys are plain data after parsing', () => {
    const r = ok(parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'));
    const v = r.events[0].value as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.deepEqual(Object.keys(v), ['__proto__', 'constructor']);
  });
});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HealthRegistry } from '@storepulse/observability';
import { HttpReadiness, parseTerminus } from './http-readiness';
import { InProcessReadiness } from './in-process-readiness';
import { reportedDiskFull } from './readiness';

const diskFull = { folder: '/d', since: '2026-12-01T00:00:00.000Z', error: 'no space left in /d' };

describe('parseTerminus', () => {
  it('one report per check: status up/down, the data kept, message as error', () => {
    const body = JSON.stringify({
      status: 'error',
      info: { clickhouse: { status: 'up' } },
      error: { 'aggregator-consumer': { status: 'down', diskFull } },
      details: {
        clickhouse: { status: 'up', latencyMs: 2 },
        'aggregator-consumer': { status: 'down', diskFull, message: 'stalled' },
      },
    });
    assert.deepEqual(parseTerminus('agg', 'u', body), [
      { service: 'agg', check: 'clickhouse', ok: true, details: { latencyMs: 2 } },
      {
        service: 'agg',
        check: 'aggregator-consumer',
        ok: false,
        details: { diskFull, message: 'stalled' },
        error: 'stalled',
      },
    ]);
  });
  it('a body that is not JSON or has no details is one failed http check naming the URL', () => {
    const [a] = parseTerminus('agg', 'http://x/health/ready', '<html>');
    assert.equal(a?.check, 'http');
    assert.equal(a?.ok, false);
    assert.match(a?.error ?? '', /http:\/\/x\/health\/ready answered a body that is not JSON/);
    const [b] = parseTerminus('agg', 'http://x/health/ready', '{"status":"ok"}');
    assert.match(b?.error ?? '', /without a "details" object/);
  });
});

describe('reportedDiskFull', () => {
  it('reads folder, since and error; anything else is null', () => {
    assert.deepEqual(reportedDiskFull({ diskFull: { ...diskFull, failures: 2 } }), diskFull);
    assert.equal(reportedDiskFull({ diskFull: null }), null);
    assert.equal(reportedDiskFull({}), null);
    assert.equal(reportedDiskFull({ diskFull: { folder: '/d', since: 1, error: 'e' } }), null);
  });
});

describe('HttpReadiness (a local HTTP server)', () => {
  let server: Server;
  let base = '';
  let hang: (() => void) | undefined;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok/health/ready') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'ok', details: { c: { status: 'up' } } }));
      } else if (req.url === '/full/health/ready') {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'error', details: { c: { status: 'down', diskFull } } }));
      } else if (req.url === '/hang/health/ready') {
        hang = () => res.end();
      } else {
        res.writeHead(500);
        res.end('boom');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    hang?.();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('200 and 503 carry the checks; 500, a timeout and a refused port are failed http checks', async () => {
    const r = await new HttpReadiness(
      [
        { name: 'ok', url: `${base}/ok` },
        { name: 'full', url: `${base}/full/` },
        { name: 'err', url: `${base}/err` },
        { name: 'hang', url: `${base}/hang` },
        { name: 'gone', url: 'http://127.0.0.1:1' },
      ],
      300,
    ).read();
    assert.deepEqual(
      r.map((x) => [x.service, x.check, x.ok]),
      [
        ['ok', 'c', true],
        ['full', 'c', false],
        ['err', 'http', false],
        ['hang', 'http', false],
        ['gone', 'http', false],
      ],
    );
    assert.deepEqual(reportedDiskFull(r[1]?.details ?? {}), diskFull);
    assert.match(r[2]?.error ?? '', /\/err\/health\/ready answered 500: boom/);
    assert.match(r[3]?.error ?? '', /\/hang\/health\/ready did not answer: .*(timeout|aborted)/i);
    assert.match(r[4]?.error ?? '', /127\.0\.0\.1:1\/health\/ready did not answer/);
  });
});

describe('InProcessReadiness', () => {
  it('runs every registered check but the monitor’s own; a throwing check reports its error', async () => {
    const h = new HealthRegistry();
    h.register({ name: 'monitor', check: () => Promise.resolve({ ok: false }) });
    h.register({
      name: 'aggregator-consumer',
      check: () => Promise.resolve({ ok: false, details: { diskFull } }),
    });
    h.register({ name: 'clickhouse', check: () => Promise.reject(new Error('refused')) });
    const r = await new InProcessReadiness(h).read();
    assert.deepEqual(r, [
      { service: 'platform', check: 'aggregator-consumer', ok: false, details: { diskFull } },
      { service: 'platform', check: 'clickhouse', ok: false, details: {}, error: 'refused' },
    ]);
  });
});

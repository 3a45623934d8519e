import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Counter, Histogram, Registry } from 'prom-client';
import type { Logger } from '@storepulse/observability';
import { EngineError, GatewayEngine, type EngineStatement, type StatementSummary } from './engine';
import {
  GatewayError,
  contentTypeOf,
  engineFailure,
  errorBody,
  httpStatusOf,
  isMultiStatement,
  outputFormat,
  parseSearchParams,
  requestCredentials,
  sessionPrefix,
  simpleInsert,
  type EngineFailure,
  type ParsedRequest,
} from './protocol';

const gzipAsync = promisify(gzip);

export interface GatewayOptions {
  dataDir: string;
  host: string;
  /** 0 = any free port. */
  port: number;
  user: string;
  password: string;
  /** Largest request body after decompression; larger requests get 413. */
  maxBodyBytes: number;
  /** Statements the engine runs at once; more wait their turn. */
  maxConcurrency: number;
}

export interface ClickHouseGateway {
  /** `http://host:port` for CLICKHOUSE_URL. */
  readonly url: string;
  readonly port: number;
  readonly version: string;
  readonly metrics: Registry;
  /** Stops accepting connections, finishes in-flight requests, closes the engine. */
  close(): Promise<void>;
}

/** Error codes the gateway raises itself (the engine's own failures carry theirs). */
const OWN_CODES: Record<string, number> = {
  BAD_ARGUMENTS: 36,
  SYNTAX_ERROR: 62,
  UNKNOWN_SETTING: 115,
  NOT_IMPLEMENTED: 48,
  QUERY_IS_TOO_LARGE: 66,
  AUTHENTICATION_FAILED: 516,
  UNKNOWN_FORMAT: 73,
  CANNOT_DECOMPRESS: 271,
  STD_EXCEPTION: 1001,
};

function ownFailure(type: string, message: string): EngineFailure {
  const code = OWN_CODES[type] ?? 1001;
  return { code, type, text: `Code: ${code}. DB::Exception: ${message}. (${type})` };
}

class BodyTooLarge extends Error {}

/**
 * A ClickHouse-compatible HTTP server over the embedded engine: the subset of the HTTP interface
 * `@clickhouse/client` uses (docs/clickhouse-gateway.md), so separate app processes share one engine
 * and one data directory through the real client and protocol.
 */
export async function startClickHouseGateway(
  opts: GatewayOptions,
  logger: Logger,
): Promise<ClickHouseGateway> {
  const engine = await GatewayEngine.open(opts.dataDir, opts.maxConcurrency);
  const metrics = new Registry();
  const requests = new Counter({
    name: 'clickhouse_gateway_requests_total',
    help: 'HTTP requests answered, by kind (ping, query, insert) and outcome (ok, error)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [metrics],
  });
  const failures = new Counter({
    name: 'clickhouse_gateway_failed_queries_total',
    help: 'Failed requests, by ClickHouse error type',
    labelNames: ['type'] as const,
    registers: [metrics],
  });
  const seconds = new Histogram({
    name: 'clickhouse_gateway_request_seconds',
    help: 'Request duration (body read, queueing and engine time)',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60],
    registers: [metrics],
  });
  const expected = createHash('sha256').update(`${opts.user}\0${opts.password}`).digest();
  const authenticated = (user: string, password: string): boolean =>
    timingSafeEqual(expected, createHash('sha256').update(`${user}\0${password}`).digest());
  const log = logger.child({ component: 'clickhouse-gateway' });

  const commonHeaders = (res: ServerResponse, queryId: string | undefined): void => {
    if (queryId !== undefined) res.setHeader('X-ClickHouse-Query-Id', queryId);
    res.setHeader('X-ClickHouse-Timezone', engine.timezone);
    res.setHeader('X-ClickHouse-Server-Display-Name', 'storepulse-clickhouse-gateway');
  };

  const fail = (
    res: ServerResponse,
    queryId: string | undefined,
    f: EngineFailure,
    kind: string,
    t0: number,
    sql?: string,
  ): void => {
    requests.inc({ kind, outcome: 'error' });
    failures.inc({ type: f.type });
    log.warn(
      {
        queryId,
        code: f.code,
        type: f.type,
        ms: Date.now() - t0,
        sql: sql === undefined ? undefined : sql.slice(0, 300),
      },
      'query failed',
    );
    if (res.headersSent) {
      res.destroy();
      return;
    }
    commonHeaders(res, queryId);
    res.setHeader('X-ClickHouse-Exception-Code', String(f.code));
    res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
    res.statusCode = httpStatusOf(f.type);
    res.end(errorBody(f, engine.version));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const t0 = Date.now();
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && !url.search)) {
      requests.inc({ kind: 'ping', outcome: 'ok' });
      res.setHeader('Content-Type', 'text/html; charset=UTF-8');
      res.end(req.method === 'HEAD' ? undefined : 'Ok.\n');
      return;
    }
    if (url.pathname === '/metrics' && req.method === 'GET') {
      res.setHeader('Content-Type', metrics.contentType);
      res.end(await metrics.metrics());
      return;
    }
    let parsed: ParsedRequest;
    try {
      parsed = parseSearchParams(url.searchParams);
    } catch (e) {
      req.resume();
      const g = e instanceof GatewayError ? e : new GatewayError('BAD_ARGUMENTS', String(e));
      return fail(res, undefined, ownFailure(g.type, g.message), 'query', t0);
    }
    const queryId = parsed.queryId ?? randomUUID();
    const kind = parsed.query !== undefined && req.method === 'POST' ? 'insert' : 'query';
    try {
      const creds = requestCredentials(req.headers, parsed);
      if (!authenticated(creds.user, creds.password)) {
        req.resume();
        throw new GatewayError(
          'AUTHENTICATION_FAILED',
          `${creds.user}: Authentication failed: password is incorrect, or there is no user with such name`,
        );
      }
      if (url.pathname !== '/')
        throw new GatewayError('NOT_IMPLEMENTED', `No handler for ${url.pathname}`);
      if (req.method !== 'GET' && req.method !== 'POST')
        throw new GatewayError('NOT_IMPLEMENTED', `HTTP method ${req.method} is not supported`);
      if (parsed.sessionId !== undefined)
        throw new GatewayError(
          'NOT_IMPLEMENTED',
          'session_id is not supported by the StorePulse ClickHouse gateway (every request runs in a fresh session)',
        );
      const body = req.method === 'POST' ? await readBody(req, opts.maxBodyBytes) : Buffer.alloc(0);
      const stmt = statementOf(parsed, body);
      const outcome = await engine.run(stmt);
      const format = stmt.kind === 'query' ? stmt.format : 'TabSeparated';
      commonHeaders(res, queryId);
      res.setHeader('X-ClickHouse-Format', format);
      res.setHeader('X-ClickHouse-Summary', JSON.stringify(summaryHeader(outcome.summary)));
      res.setHeader('Content-Type', contentTypeOf(format));
      let payload = outcome.body;
      const acceptsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      if (parsed.enableHttpCompression && acceptsGzip && payload.length > 0) {
        payload = await gzipAsync(payload);
        res.setHeader('Content-Encoding', 'gzip');
      }
      res.statusCode = 200;
      res.end(payload);
      requests.inc({ kind, outcome: 'ok' });
      seconds.observe({ kind }, (Date.now() - t0) / 1000);
      log.debug(
        { queryId, kind, ms: Date.now() - t0, bytes: body.length, out: payload.length },
        'query',
      );
    } catch (e) {
      req.resume();
      const sql = parsed.query;
      if (e instanceof EngineError) return fail(res, queryId, e.failure, kind, t0, sql);
      if (e instanceof GatewayError)
        return fail(res, queryId, ownFailure(e.type, e.message), kind, t0, sql);
      if (e instanceof BodyTooLarge)
        return fail(
          res,
          queryId,
          ownFailure(
            'QUERY_IS_TOO_LARGE',
            `Request body exceeds the gateway limit of ${opts.maxBodyBytes} bytes, see CLICKHOUSE_GATEWAY_MAX_BODY_BYTES`,
          ),
          kind,
          t0,
          sql,
        );
      return fail(res, queryId, engineFailure(String(e)), kind, t0, sql);
    }
  };

  const inflight = new Set<Promise<void>>();
  const server: Server = createServer(
    // URLs carry settings and query parameters: the server's limit is 1 MiB (http_max_uri_size).
    // Keep-alive 120 s, not ClickHouse's 10 s: a client whose event loop is busy (a training run)
    // reads a response late, releases its socket then (its stale-socket check sees a fresh socket)
    // and reuses it at once; with 10 s the gateway had already closed it ("socket hang up", EPIPE:
    // failed training runs in separate-apps.e2e on a loaded machine). Idle sockets are closed by
    // the client (idle_socket_ttl 2.5 s), so the longer timeout holds none open.
    { maxHeaderSize: 1 << 20, keepAliveTimeout: 120_000, requestTimeout: 0 },
    (req, res) => {
      const p = handle(req, res).catch((e: unknown) => {
        log.error({ err: e }, 'request handler failed');
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end();
        }
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    },
  );
  server.headersTimeout = 60_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  log.info(
    { url, dataDir: engine.dataDir, version: engine.version, maxBodyBytes: opts.maxBodyBytes },
    'ClickHouse gateway listening',
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    version: engine.version,
    metrics,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        await Promise.allSettled([...inflight]);
        server.closeAllConnections();
        await closed;
        await engine.close();
        log.info('ClickHouse gateway stopped');
      })();
      return closing;
    },
  };
}

function statementOf(parsed: ParsedRequest, body: Buffer): EngineStatement {
  const prefix = sessionPrefix(parsed);
  if (parsed.query !== undefined && body.length > 0) {
    const insert = simpleInsert(parsed.query);
    if (insert) return { kind: 'insert', prefix, insert, body };
  }
  // As the server: the `query` parameter, then the body (an INSERT's inline data, or the query).
  const sql =
    parsed.query === undefined
      ? body.toString('utf8')
      : body.length > 0
        ? `${parsed.query}\n${body.toString('utf8')}`
        : parsed.query;
  if (sql.trim() === '') throw new GatewayError('SYNTAX_ERROR', 'Empty query');
  if (isMultiStatement(sql))
    throw new GatewayError('SYNTAX_ERROR', 'Syntax error (Multi-statements are not allowed)');
  return { kind: 'query', prefix, sql, format: outputFormat(sql, parsed.defaultFormat) };
}

/** X-ClickHouse-Summary as the server writes it: every counter a decimal string. */
function summaryHeader(s: StatementSummary): Record<string, string> {
  return {
    read_rows: String(s.readRows),
    read_bytes: String(s.readBytes),
    written_rows: String(s.writtenRows),
    written_bytes: String(s.writtenBytes),
    total_rows_to_read: '0',
    result_rows: '0',
    result_bytes: String(s.resultBytes),
    elapsed_ns: String(s.elapsedNs),
  };
}

/**
 * The request body, decompressed per Content-Encoding. Past `limit` bytes the rest is read and
 * discarded (memory stays bounded, the client still gets its answer) and BodyTooLarge is thrown.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  const streams: (Readable | Writable)[] = [req];
  if (encoding === 'gzip') streams.push(createGunzip());
  else if (encoding === 'deflate') streams.push(createInflate());
  else if (encoding === 'br') streams.push(createBrotliDecompress());
  else if (encoding !== '' && encoding !== 'identity')
    throw new GatewayError(
      'NOT_IMPLEMENTED',
      `Content-Encoding ${encoding} is not supported (gzip, deflate, br)`,
    );
  const chunks: Buffer[] = [];
  let size = 0;
  streams.push(
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size <= limit) chunks.push(chunk);
        cb();
      },
    }),
  );
  try {
    await pipeline(streams);
  } catch (e) {
    if (encoding !== '' && encoding !== 'identity')
      throw new GatewayError(
        'CANNOT_DECOMPRESS',
        `Cannot decompress the ${encoding} request body: ${(e as Error).message}`,
      );
    throw e;
  }
  if (size > limit) throw new BodyTooLarge();
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

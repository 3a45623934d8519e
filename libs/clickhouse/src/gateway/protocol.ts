// The parts of ClickHouse's HTTP interface that do not touch the engine: how a request's URL splits
// into control parameters, settings and query parameters; credentials; how an error is answered.
// Pure functions (unit-tested in protocol.spec.ts).

/** URL parameters the HTTP layer itself consumes (never forwarded to the engine as settings). */
const CONTROL_PARAMS = new Set([
  'query',
  'query_id',
  'database',
  'default_format',
  'user',
  'password',
  'quota_key',
  'session_id',
  'session_timeout',
  'session_check',
  'role',
  'compress',
  'decompress',
  'buffer_size',
  'stacktrace',
  'client_protocol_version',
  'close_session',
]);

/**
 * Settings that exist only in the HTTP server (the embedded engine rejects them as unknown), as in
 * chdb's own Connection: accepted and dropped, except enable_http_compression which the gateway
 * honours itself.
 */
const HTTP_ONLY_SETTINGS = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_response_buffer_size',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
  'cancel_http_readonly_queries_on_client_close',
  'add_http_cors_header',
  'http_wait_end_of_query',
  'http_write_exception_in_output_format',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ParsedRequest {
  queryId: string | undefined;
  database: string | undefined;
  defaultFormat: string | undefined;
  /** The `query` URL parameter (an INSERT's statement, or a GET query). */
  query: string | undefined;
  sessionId: string | undefined;
  /** Engine settings: name → value as sent (text). */
  settings: [string, string][];
  /** Query parameters (`param_<name>`): name → the value's text form, exactly as sent. */
  params: [string, string][];
  enableHttpCompression: boolean;
  urlUser: string | undefined;
  urlPassword: string | undefined;
}

/** A problem the gateway reports the way the server would: ClickHouse code name + message. */
export class GatewayError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

export function parseSearchParams(search: URLSearchParams): ParsedRequest {
  const out: ParsedRequest = {
    queryId: undefined,
    database: undefined,
    defaultFormat: undefined,
    query: undefined,
    sessionId: undefined,
    settings: [],
    params: [],
    enableHttpCompression: false,
    urlUser: undefined,
    urlPassword: undefined,
  };
  for (const [key, value] of search) {
    if (key.startsWith('param_')) {
      const name = key.slice('param_'.length);
      if (!IDENTIFIER.test(name))
        throw new GatewayError('BAD_ARGUMENTS', `Invalid query parameter name ${quote(name)}`);
      out.params.push([name, value]);
      continue;
    }
    if (CONTROL_PARAMS.has(key)) {
      if (key === 'query_id') out.queryId = value === '' ? undefined : value;
      else if (key === 'database') out.database = value === '' ? undefined : value;
      else if (key === 'default_format') out.defaultFormat = value === '' ? undefined : value;
      else if (key === 'query') out.query = value;
      else if (key === 'session_id') out.sessionId = value === '' ? undefined : value;
      else if (key === 'user') out.urlUser = value;
      else if (key === 'password') out.urlPassword = value;
      continue;
    }
    if (key === 'enable_http_compression') out.enableHttpCompression = value === '1';
    if (HTTP_ONLY_SETTINGS.has(key)) continue;
    if (!IDENTIFIER.test(key))
      throw new GatewayError('UNKNOWN_SETTING', `Unknown setting ${quote(key)}`);
    out.settings.push([key, value]);
  }
  return out;
}

/** A ClickHouse SQL string literal holding exactly `s`. */
export function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A back-quoted ClickHouse identifier. */
export function sqlIdentifier(s: string): string {
  return '`' + s.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "\\'")}'`;
}

/**
 * The session prefix of a request: its database, its settings and its query parameters as
 * statements (a fresh engine session per request, so nothing outlives the request). A setting's
 * value goes as a string literal: the engine converts it to the setting's type, as the server does
 * with URL values. A parameter's value is its text form, bound by the engine exactly as the server
 * binds `param_<name>`.
 */
export function sessionPrefix(req: ParsedRequest): string[] {
  const stmts = [`USE ${sqlIdentifier(req.database ?? 'default')}`];
  for (const [k, v] of req.settings) stmts.push(`SET ${k} = ${sqlString(v)}`);
  for (const [k, v] of req.params) stmts.push(`SET param_${k} = ${sqlString(v)}`);
  return stmts;
}

export interface Credentials {
  user: string;
  password: string;
}

/**
 * Credentials as the server reads them: X-ClickHouse-User/X-ClickHouse-Key headers, else HTTP Basic,
 * else the `user`/`password` URL parameters, else the `default` user without a password.
 */
export function requestCredentials(
  headers: Record<string, string | string[] | undefined>,
  req: Pick<ParsedRequest, 'urlUser' | 'urlPassword'>,
): Credentials {
  const header = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const hUser = header('x-clickhouse-user');
  const hKey = header('x-clickhouse-key');
  if (hUser !== undefined || hKey !== undefined)
    return { user: hUser ?? 'default', password: hKey ?? '' };
  const auth = header('authorization');
  if (auth !== undefined) {
    const m = /^Basic\s+(\S+)$/i.exec(auth);
    if (!m)
      throw new GatewayError('AUTHENTICATION_FAILED', 'Unsupported HTTP authorization scheme');
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0
      ? { user: decoded, password: '' }
      : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return { user: req.urlUser ?? 'default', password: req.urlPassword ?? '' };
}

/** HTTP status of an error, as the server maps exception codes (exceptionCodeToHTTPStatus). */
export function httpStatusOf(type: string): number {
  if (type === 'REQUIRED_PASSWORD') return 401;
  if (
    ['UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE'].includes(
      type,
    )
  )
    return 403;
  if (
    type === 'BAD_ARGUMENTS' ||
    type === 'CANNOT_COMPILE_REGEXP' ||
    type.startsWith('CANNOT_PARSE_') ||
    [
      'DUPLICATE_COLUMN',
      'ILLEGAL_COLUMN',
      'UNKNOWN_ELEMENT_IN_AST',
      'UNKNOWN_TYPE_OF_AST_NODE',
      'THERE_IS_NO_COLUMN',
      'TOO_DEEP_AST',
      'TOO_BIG_AST',
      'UNEXPECTED_AST_STRUCTURE',
      'SYNTAX_ERROR',
      'INCORRECT_DATA',
      'TYPE_MISMATCH',
      'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
    ].includes(type)
  )
    return 400;
  if (
    [
      'UNKNOWN_TABLE',
      'UNKNOWN_FUNCTION',
      'UNKNOWN_IDENTIFIER',
      'UNKNOWN_TYPE',
      'UNKNOWN_STORAGE',
      'UNKNOWN_DATABASE',
      'UNKNOWN_SETTING',
      'UNKNOWN_DIRECTION_OF_SORTING',
      'UNKNOWN_AGGREGATE_FUNCTION',
      'UNKNOWN_FORMAT',
      'UNKNOWN_DATABASE_ENGINE',
      'UNKNOWN_TYPE_OF_QUERY',
      'UNKNOWN_ROLE',
    ].includes(type)
  )
    return 404;
  if (type === 'QUERY_IS_TOO_LARGE') return 413;
  if (type === 'NOT_IMPLEMENTED') return 501;
  if (['SOCKET_TIMEOUT', 'CANNOT_OPEN_FILE', 'CANNOT_SCHEDULE_TASK'].includes(type)) return 503;
  if (type === 'HTTP_LENGTH_REQUIRED') return 411;
  if (type === 'TIMEOUT_EXCEEDED') return 408;
  return 500;
}

export interface EngineFailure {
  code: number;
  type: string;
  /** The message as the engine gave it, `Code: N. DB::Exception: … (TYPE)`. */
  text: string;
}

const ENGINE_ERROR = /^Code: (\d+)\. DB::Exception: [\s\S]*\(([A-Z0-9_]+)\)\s*$/;

/** Reads the engine's `Code: N. DB::Exception: … (TYPE)`; anything else is reported as code 1001 STD_EXCEPTION. */
export function engineFailure(message: string): EngineFailure {
  const m = ENGINE_ERROR.exec(message.trim());
  if (m) return { code: Number(m[1]), type: m[2], text: message.trim() };
  return {
    code: 1001,
    type: 'STD_EXCEPTION',
    text: `Code: 1001. DB::Exception: ${message.trim()}. (STD_EXCEPTION)`,
  };
}

/** The error body the server sends: the exception text with the server version appended. */
export function errorBody(f: EngineFailure, version: string): string {
  return `${f.text} (version ${version})\n`;
}

/**
 * The output format of a statement: its own trailing `FORMAT <name>` clause, else `default_format`,
 * else TabSeparated (the server's default).
 */
export function outputFormat(sql: string, defaultFormat: string | undefined): string {
  const m = /\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*;?\s*$/i.exec(sql);
  return m ? m[1] : (defaultFormat ?? 'TabSeparated');
}

/** Content-Type the server sends for an output format. */
export function contentTypeOf(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('json') && !f.includes('eachrow') && !f.includes('lines'))
    return 'application/json; charset=UTF-8';
  if (f.includes('eachrow') || f === 'jsonlines' || f === 'ndjson')
    return 'application/x-ndjson; charset=UTF-8';
  if (f.startsWith('tabseparated') || f.startsWith('tsv'))
    return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return 'text/csv; charset=UTF-8; header=absent';
  return 'text/plain; charset=UTF-8';
}

/**
 * An INSERT the client builds (`INSERT INTO <table>[ (<col>, …)] FORMAT <fmt>`, the rows in the
 * body) with plain identifiers and a text format the engine's raw insert takes: the body then goes
 * to the engine as bytes, unparsed by JS. Anything else returns undefined (the generic path).
 */
export interface SimpleInsert {
  table: string;
  columns: string[] | undefined;
  format: RawFormat;
}
const RAW_FORMATS = [
  'JSONEachRow',
  'JSONCompactEachRow',
  'CSV',
  'CSVWithNames',
  'TSV',
  'TabSeparated',
  'TSVWithNames',
  'TabSeparatedWithNames',
] as const;
export type RawFormat = (typeof RAW_FORMATS)[number];

export function simpleInsert(query: string): SimpleInsert | undefined {
  const m =
    /^\s*INSERT\s+INTO\s+([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)\s*(?:\(([A-Za-z0-9_,\s]+)\))?\s*FORMAT\s+([A-Za-z]+)\s*$/i.exec(
      query,
    );
  if (!m) return undefined;
  const format = RAW_FORMATS.find((f) => f === m[3]);
  if (!format) return undefined;
  const columns = m[2]?.split(',').map((c) => c.trim());
  if (columns && columns.some((c) => !IDENTIFIER.test(c))) return undefined;
  return { table: m[1], columns, format };
}

/**
 * True when `sql` holds more than one statement (a `;` outside quotes and comments followed by more
 * than whitespace, comments or `;`). The server refuses those ("Multi-statements are not allowed");
 * the embedded engine would run them all, so the gateway refuses them too. An INSERT is not
 * scanned: its inline data may contain anything.
 */
export function isMultiStatement(sql: string): boolean {
  const n = sql.length;
  let i = 0;
  let seenSemicolon = false;
  const skipSpaceAndComments = (): void => {
    while (i < n) {
      const c = sql[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') i++;
      else if (c === '-' && sql[i + 1] === '-') {
        while (i < n && sql[i] !== '\n') i++;
      } else if (c === '#' && (sql[i + 1] === ' ' || sql[i + 1] === '!')) {
        while (i < n && sql[i] !== '\n') i++;
      } else if (c === '/' && sql[i + 1] === '*') {
        const end = sql.indexOf('*/', i + 2);
        i = end < 0 ? n : end + 2;
      } else return;
    }
  };
  skipSpaceAndComments();
  if (/^INSERT\b/i.test(sql.slice(i, i + 7))) return false;
  while (i < n) {
    skipSpaceAndComments();
    if (i >= n) break;
    const c = sql[i];
    if (seenSemicolon && c !== ';') return true;
    if (c === ';') {
      seenSemicolon = true;
      i++;
    } else if (c === "'" || c === '"' || c === '`') {
      i++;
      while (i < n) {
        if (sql[i] === '\\') i += 2;
        else if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else {
            i++;
            break;
          }
        } else i++;
      }
    } else i++;
  }
  return false;
}

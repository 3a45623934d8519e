/**
 * Request body → events with their original bytes. Pure (no I/O).
 *
 * - `application/json` and `text/plain` (navigator.sendBeacon): one JSON object, or an array of them;
 * - `application/x-ndjson` (or `application/ndjson`): one JSON value per line, blank lines skipped.
 *
 * Before JSON.parse runs, one pass over the text bounds the nesting depth (so a 1 MiB `[[[[…` never
 * reaches the parser's recursion) and finds each top-level element's span, whose bytes are what the
 * DLQ receives for a rejected event. A body that is not JSON is refused whole (400): no event of it
 * is produced.
 */
export interface RawEvent {
  /** The event's original bytes (UTF-8), as sent. */
  bytes: Buffer;
  /** The parsed JSON value (not necessarily an object: validation says so per event). */
  value: unknown;
}

export type BodyFailure = { ok: false; status: 400 | 413 | 415; message: string };
export type ParsedBody = { ok: true; format: 'json' | 'ndjson'; events: RawEvent[] } | BodyFailure;

export interface BodyLimits {
  maxEvents: number;
  /** Max nesting inside one event (the event object itself is level 1). */
  maxDepth: number;
}

const JSON_TYPES = new Set(['application/json', 'text/plain']);
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl']);

const utf8 = new TextDecoder('utf-8', { fatal: true });

const fail = (status: BodyFailure['status'], message: string): BodyFailure => ({
  ok: false,
  status,
  message,
});

/** `application/json; charset=utf-8` → `{ type: 'application/json', charset: 'utf-8' }`. */
export function mediaType(header: string | undefined): { type: string; charset?: string } {
  if (header === undefined) return { type: '' };
  const [type, ...params] = header.split(';');
  const out: { type: string; charset?: string } = { type: type.trim().toLowerCase() };
  for (const p of params) {
    const [k, v] = p.split('=');
    if (k?.trim().toLowerCase() === 'charset' && v !== undefined)
      out.charset = v.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return out;
}

interface Scan {
  /** [start, end) of each top-level element when the text is an array; undefined otherwise. */
  spans: [number, number][] | undefined;
}

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * One pass over JSON text: nesting depth (outside strings) and the spans of a top-level array's
 * elements. Does not check syntax (JSON.parse does, after). With `batch`, a top-level array is a
 * batch of events: its own level does not count against an event's depth.
 */
function scan(text: string, limits: BodyLimits, where: string, batch: boolean): Scan | BodyFailure {
  let i = 0;
  const n = text.length;
  while (i < n && isWs(text.charCodeAt(i))) i++;
  const isArray = batch && text.charCodeAt(i) === 0x5b; // [
  const offset = isArray ? 1 : 0;
  const spans: [number, number][] | undefined = isArray ? [] : undefined;
  let depth = 0;
  let inString = false;
  let start = -1; // start of the current element (depth 1 of an array)
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
      continue;
    }
    if (spans && depth === 1 && start < 0 && !isWs(c) && c !== 0x2c && c !== 0x5d) start = i;
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth - offset > limits.maxDepth)
        return fail(
          400,
          `${where}nesting deeper than ${limits.maxDepth} levels at position ${i} (COLLECTOR_MAX_DEPTH)`,
        );
    } else if (c === 0x7d || c === 0x5d) {
      if (spans && depth === 1 && c === 0x5d && start >= 0) {
        spans.push([start, trimEnd(text, start, i)]);
        start = -1;
      }
      depth--;
    } else if (c === 0x2c && spans && depth === 1) {
      if (start >= 0) spans.push([start, trimEnd(text, start, i)]);
      start = -1;
      if (spans.length > limits.maxEvents) return tooMany(limits);
    }
  }
  if (spans && spans.length > limits.maxEvents) return tooMany(limits);
  return { spans };
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && isWs(text.charCodeAt(end - 1))) end--;
  return end;
}

const tooMany = (limits: BodyLimits): BodyFailure =>
  fail(413, `more than ${limits.maxEvents} events in one request (COLLECTOR_MAX_EVENTS)`);

function parseError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function parseJsonBody(text: string, limits: BodyLimits): ParsedBody {
  if (text.trim().length === 0) return fail(400, 'empty body: send one JSON event or an array');
  const s = scan(text, limits, '', true);
  if ('ok' in s) return s;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const hint = text.includes('\n{') ? ' (NDJSON? send Content-Type: application/x-ndjson)' : '';
    return fail(400, `body is not valid JSON: ${parseError(e)}${hint}`);
  }
  if (Array.isArray(value)) {
    const spans = s.spans ?? [];
    if (spans.length !== value.length)
      // cannot happen for text JSON.parse accepted; refuse rather than misattribute bytes
      return fail(400, 'body is not valid JSON: could not delimit the array elements');
    return {
      ok: true,
      format: 'json',
      events: value.map((v: unknown, k) => ({
        bytes: Buffer.from(text.slice(spans[k][0], spans[k][1]), 'utf8'),
        value: v,
      })),
    };
  }
  return {
    ok: true,
    format: 'json',
    events: [{ bytes: Buffer.from(text.trim(), 'utf8'), value }],
  };
}

function parseNdjsonBody(text: string, limits: BodyLimits): ParsedBody {
  const lines = text.split('\n');
  const events: RawEvent[] = [];
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k].endsWith('\r') ? lines[k].slice(0, -1) : lines[k];
    if (line.trim().length === 0) continue;
    if (events.length >= limits.maxEvents) return tooMany(limits);
    const where = `line ${k + 1}: `;
    // one event per line: a line that is an array is one (invalid) event, its level counts
    const s = scan(line, limits, where, false);
    if ('ok' in s) return s;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      return fail(400, `line ${k + 1} is not valid JSON: ${parseError(e)}`);
    }
    events.push({ bytes: Buffer.from(line.trim(), 'utf8'), value });
  }
  if (events.length === 0) return fail(400, 'empty body: no NDJSON line holds an event');
  return { ok: true, format: 'ndjson', events };
}

export function parseBody(
  body: Buffer,
  contentType: string | undefined,
  limits: BodyLimits,
): ParsedBody {
  const mt = mediaType(contentType);
  const ndjson = NDJSON_TYPES.has(mt.type);
  if (!ndjson && !JSON_TYPES.has(mt.type))
    return fail(
      415,
      `unsupported Content-Type ${mt.type === '' ? '(none)' : `'${mt.type}'`}: send application/json, application/x-ndjson or text/plain`,
    );
  if (mt.charset !== undefined && mt.charset !== 'utf-8' && mt.charset !== 'utf8')
    return fail(415, `unsupported charset '${mt.charset}': bodies are UTF-8`);
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return fail(400, 'body is not valid UTF-8');
  }
  return ndjson ? parseNdjsonBody(text, limits) : parseJsonBody(text, limits);
}

import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { CollectorMetrics } from '../collector.metrics';
import { CollectorState } from '../collector.state';

/** The write routes: only these take a raw body (and CORS). */
export const WRITE_ROUTES: ReadonlySet<string> = new Set(['/v1/events', '/v1/inventory']);

export interface CollectorHttpOptions {
  maxBodyBytes: number;
  corsOrigins: readonly string[];
  retryAfterSeconds: number;
  metrics: CollectorMetrics;
  state: CollectorState;
}

function sendError(res: Response, status: number, error: string, message: string): void {
  if (res.headersSent) return;
  res.status(status).json({ statusCode: status, error, message });
}

/**
 * Express middleware in front of Nest's body parsers for the write routes: CORS (preflight
 * included), 503 while shutting down, and the raw body with a byte limit (413 beyond; the rest of
 * an oversize body is read and dropped, up to 16× the limit, so that the client reads the answer).
 * The body is left as a Buffer on `req.body` for the controller, which keeps each event's original
 * bytes; Nest's JSON parser skips a request whose body was read.
 */
export function collectorHttpMiddleware(o: CollectorHttpOptions) {
  const anyOrigin = o.corsOrigins.includes('*');
  const origins = new Set(o.corsOrigins);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!WRITE_ROUTES.has(req.path)) return next();
    res.on('finish', () =>
      o.metrics.requests.inc({ route: req.path, status: String(res.statusCode) }),
    );
    const origin = req.headers.origin;
    const allowed = origin !== undefined && (anyOrigin || origins.has(origin));
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
    }
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      if (!allowed)
        return sendError(
          res,
          403,
          'Forbidden',
          `origin ${origin ?? '(none)'} is not allowed (COLLECTOR_CORS_ORIGINS)`,
        );
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, X-Api-Key, Content-Type');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    if (req.method !== 'POST') return next();
    if (o.state.draining) {
      res.setHeader('Retry-After', String(o.retryAfterSeconds));
      res.setHeader('Connection', 'close');
      return drainThen(req, o.maxBodyBytes * 16, () =>
        sendError(res, 503, 'Service Unavailable', 'the collector is shutting down'),
      );
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity')
      return drainThen(req, o.maxBodyBytes * 16, () =>
        sendError(
          res,
          415,
          'Unsupported Media Type',
          `Content-Encoding ${encoding} is not supported: send the body uncompressed`,
        ),
      );
    const tooLarge = () =>
      sendError(
        res,
        413,
        'Payload Too Large',
        `body larger than ${o.maxBodyBytes} bytes (COLLECTOR_MAX_BODY_BYTES)`,
      );
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > o.maxBodyBytes)
      return drainThen(req, o.maxBodyBytes * 16, tooLarge);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > o.maxBodyBytes) {
        over = true;
        chunks.length = 0;
        req.removeAllListeners('data');
        drainThen(req, o.maxBodyBytes * 16, tooLarge);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (over) return;
      req.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      next();
    });
    req.on('error', (e) => {
      if (!over) sendError(res, 400, 'Bad Request', `request body could not be read: ${e.message}`);
    });
  };
}

/** Reads and drops the rest of the body (at most `cap` bytes, then the connection is cut), then answers. */
function drainThen(req: Request, cap: number, answer: () => void): void {
  let dropped = 0;
  if (req.readableEnded) return answer();
  req.on('data', (c: Buffer) => {
    dropped += c.length;
    if (dropped > cap) {
      answer();
      req.socket.destroy();
    }
  });
  req.once('end', answer);
  req.resume();
}

/**
 * Mounts the collector's HTTP front on an app that has the CollectorModule. Call before
 * `app.listen()` (or `app.init()`): Nest registers its body parsers at init, after this.
 */
export function installCollectorHttp(app: INestApplication): void {
  const config = app.get<AppConfig>(APP_CONFIG);
  app.use(
    collectorHttpMiddleware({
      maxBodyBytes: config.collector.maxBodyBytes,
      corsOrigins: config.collector.corsOrigins,
      retryAfterSeconds: config.collector.retryAfterSeconds,
      metrics: app.get(CollectorMetrics),
      state: app.get(CollectorState),
    }),
  );
}

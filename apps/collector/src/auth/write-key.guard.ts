import {
  HttpException,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { TokenBuckets } from '../limits/token-bucket';
import { TOKEN_BUCKETS, WRITE_KEYS } from '../tokens';
import { checkKey, presentedKey } from './write-keys';
import type { WriteKeyStore } from './key-store';

/** Who is writing: set on the request by {@link WriteKeyGuard}. */
export interface Writer {
  storefront: string;
}
export const WRITER = Symbol('storepulse.writer');
export type RequestWithWriter = Request & { [WRITER]?: Writer };

/**
 * Write keys (401 missing, 403 unknown or revoked) and the per-key token bucket (429 with
 * Retry-After). Anonymous mode rate-limits per client address.
 */
@Injectable()
export class WriteKeyGuard implements CanActivate {
  constructor(
    @Inject(WRITE_KEYS) private readonly store: WriteKeyStore,
    @Inject(TOKEN_BUCKETS) private readonly buckets: TokenBuckets,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<RequestWithWriter>();
    const res = http.getResponse<Response>();
    let storefront: string;
    let bucket: string;
    const keys = this.store.current(); // the keys file may have been reloaded
    if (keys === null) {
      storefront = 'anonymous';
      bucket = `ip:${req.ip ?? req.socket.remoteAddress ?? '?'}`;
    } else {
      const q = req.query['key'];
      const r = checkKey(
        keys,
        presentedKey({
          authorization: req.headers.authorization,
          apiKey: header(req.headers['x-api-key']),
          queryKey: typeof q === 'string' ? q : undefined,
          contentType: req.headers['content-type'],
        }),
      );
      if (!r.ok) {
        if (r.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="storepulse"');
        throw new HttpException(
          {
            statusCode: r.status,
            error: r.status === 401 ? 'Unauthorized' : 'Forbidden',
            message: r.message,
          },
          r.status,
        );
      }
      storefront = r.storefront;
      bucket = `key:${storefront}`;
    }
    const t = this.buckets.take(bucket);
    if (!t.ok) {
      res.setHeader('Retry-After', String(t.retryAfterSeconds));
      throw new HttpException(
        {
          statusCode: 429,
          error: 'Too Many Requests',
          message: `rate limit of ${storefront} exceeded (COLLECTOR_RATE_PER_SEC / COLLECTOR_BURST); retry after ${t.retryAfterSeconds} s`,
        },
        429,
      );
    }
    req[WRITER] = { storefront };
    return true;
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

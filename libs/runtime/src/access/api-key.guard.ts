import {
  HttpException,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Counter } from 'prom-client';
import { accessClassOf, type AccessConfig } from '@storepulse/config';
import { decideAccess, presentedApiKey } from './decide';

export const ACCESS_CONFIG = Symbol('storepulse.access-config');
export const ACCESS_DENIED_COUNTER = Symbol('storepulse.access-denied-counter');

/**
 * The one HTTP access guard of every app (registered as APP_GUARD by {@link AccessModule}): the
 * route's class from @Public() / @Admin() (default read) against the presented API key.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(ACCESS_CONFIG) private readonly access: AccessConfig,
    @Inject(ACCESS_DENIED_COUNTER) private readonly denied: Counter<'status' | 'class'>,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    // Global guards also run on the Kafka handlers (connectMicroservice with inheritAppConfig):
    // they are not HTTP routes, nothing to check there.
    if (context.getType() !== 'http') return true;
    const cls = accessClassOf(context.getHandler(), context.getClass());
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const d = decideAccess(
      this.access,
      cls,
      presentedApiKey({
        method: req.method,
        authorization: req.headers.authorization,
        apiKey: first(req.headers['x-api-key']),
        cookie: req.headers.cookie,
      }),
    );
    if (d.ok) return true;
    this.denied.inc({ status: String(d.status), class: cls });
    if (d.status === 401)
      http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="storepulse"');
    throw new HttpException(
      {
        statusCode: d.status,
        error: d.status === 401 ? 'Unauthorized' : 'Forbidden',
        message: d.message,
      },
      d.status,
    );
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

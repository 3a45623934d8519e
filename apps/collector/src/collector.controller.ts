import { randomUUID } from 'node:crypto';
import { Controller, HttpCode, HttpException, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { WRITER, WriteKeyGuard, type RequestWithWriter } from './auth/write-key.guard';
import { IngestEventsUseCase } from './ingest/ingest-events.use-case';
import type { Endpoint, IngestResult } from './ingest/route-events';
import { Public } from '@storepulse/config';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  503: 'Service Unavailable',
};

const RESULT_SCHEMA = {
  type: 'object',
  properties: {
    accepted: { type: 'integer', description: 'events produced (acknowledged by Kafka, acks=all)' },
    rejected: {
      type: 'array',
      description: 'events that failed validation; each was written to dlq.storefront.v1',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer', description: 'position in the request (0-based)' },
          event_id: { type: 'string', nullable: true },
          errors: {
            type: 'array',
            items: {
              type: 'object',
              properties: { field: { type: 'string' }, message: { type: 'string' } },
            },
          },
        },
      },
    },
  },
};
const BODY_SCHEMA = {
  description:
    'One event object, a JSON array of events, or NDJSON (one event per line). Contracts: docs/schemas/storefront.clickstream.v1.schema.json, storefront.orders.v1.schema.json, inventory.stock.v1.schema.json.',
  schema: {
    oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }],
  },
};

@ApiTags('collector')
@ApiSecurity('writeKey')
@ApiHeader({ name: 'Authorization', required: false, description: 'Bearer <write key>' })
@ApiHeader({ name: 'X-Api-Key', required: false, description: '<write key>' })
@ApiQuery({
  name: 'key',
  required: false,
  description: 'the write key, for text/plain (navigator.sendBeacon) bodies only',
})
@ApiConsumes('application/json', 'application/x-ndjson', 'text/plain')
@ApiResponse({ status: 200, description: 'per-event result', schema: RESULT_SCHEMA })
@ApiResponse({
  status: 400,
  description: 'body is not JSON / NDJSON (line named), or nested too deep',
})
@ApiResponse({ status: 401, description: 'no write key' })
@ApiResponse({ status: 403, description: 'unknown or revoked write key' })
@ApiResponse({
  status: 413,
  description: 'body > COLLECTOR_MAX_BODY_BYTES or events > COLLECTOR_MAX_EVENTS',
})
@ApiResponse({ status: 415, description: 'unsupported Content-Type, charset or Content-Encoding' })
@ApiResponse({ status: 429, description: 'rate limit of the key (Retry-After)' })
@ApiResponse({
  status: 503,
  description:
    'Kafka did not acknowledge in time, or shutting down (Retry-After); nothing accepted',
})
// Public for the API keys: ingest checks the collector's own write keys (WriteKeyGuard).
@Public()
@Controller('v1')
export class CollectorController {
  constructor(private readonly ingestEvents: IngestEventsUseCase) {}

  @Post('events')
  @HttpCode(200)
  @UseGuards(WriteKeyGuard)
  @ApiOperation({
    summary:
      'Clickstream and order events, routed by `type` to storefront.clickstream.v1 / storefront.orders.v1',
  })
  @ApiBody(BODY_SCHEMA)
  events(
    @Req() req: RequestWithWriter,
    @Res({ passthrough: true }) res: Response,
  ): Promise<IngestResult> {
    return this.handle('events', req, res);
  }

  @Post('inventory')
  @HttpCode(200)
  @UseGuards(WriteKeyGuard)
  @ApiOperation({ summary: 'Stock positions, to inventory.stock.v1' })
  @ApiBody(BODY_SCHEMA)
  inventory(
    @Req() req: RequestWithWriter,
    @Res({ passthrough: true }) res: Response,
  ): Promise<IngestResult> {
    return this.handle('inventory', req, res);
  }

  private async handle(
    endpoint: Endpoint,
    req: RequestWithWriter,
    res: Response,
  ): Promise<IngestResult> {
    const body: unknown = req.body;
    if (!Buffer.isBuffer(body))
      throw new HttpException(
        'collector body reader not installed: call installCollectorHttp(app) before listen()',
        500,
      );
    const writer = req[WRITER];
    if (!writer) throw new HttpException('write key guard did not run', 500);
    const requestId = randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const out = await this.ingestEvents.ingest(endpoint, body, req.headers['content-type'], {
      requestId,
      storefront: writer.storefront,
      receivedAt: new Date(),
    });
    if (out.status === 200) return out.result;
    if (out.status === 503) res.setHeader('Retry-After', String(out.retryAfterSeconds));
    throw new HttpException(
      { statusCode: out.status, error: REASONS[out.status], message: out.message },
      out.status,
    );
  }
}

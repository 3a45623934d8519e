// HTTP API of the demand forecasts: the latest forecast per SKU from the demand_forecasts read model
// (the same fields as a forecasts.demand.v1 message), and the publisher's runs.
import {
  BadRequestException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DemandForecastMessage } from '@storepulse/contracts';
import { DemandForecastService, type DemandForecastStatus } from './demand-forecast.service';
import type { ForecastRunResult } from './forecast-publisher';
import { Admin } from '@storepulse/config';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 10_000;

/** Parses ?limit=: a whole number in 1..10,000, default 100; a precise 400 otherwise. */
export function parseLimit(raw: unknown): number {
  if (raw === undefined || raw === '') return DEFAULT_LIST_LIMIT;
  if (typeof raw !== 'string') throw new BadRequestException('limit: must be given once');
  if (!/^\d+$/.test(raw))
    throw new BadRequestException(
      `limit: must be a whole number from 1 to ${MAX_LIST_LIMIT} (got '${raw}')`,
    );
  const n = Number(raw);
  if (n < 1 || n > MAX_LIST_LIMIT)
    throw new BadRequestException(`limit: must be from 1 to ${MAX_LIST_LIMIT} (got ${raw})`);
  return n;
}

/** Parses ?category=: optional, one non-empty value of at most 200 characters. */
export function parseCategory(raw: unknown): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new BadRequestException('category: must be given once');
  if (raw.length > 200)
    throw new BadRequestException(`category: at most 200 characters (got ${raw.length})`);
  return raw;
}

@ApiTags('forecasts')
@Controller('api/forecasts')
export class DemandForecastsController {
  constructor(private readonly forecasts: DemandForecastService) {}

  @Get('demand')
  @ApiOperation({
    summary: 'The latest demand forecast of every SKU (optionally of one category), by sku',
    description:
      'Query `category` (optional) and `limit` (1–10,000, default 100). Each item has the fields of a forecasts.demand.v1 message. 400: bad limit or category.',
  })
  async list(
    @Query('category') category?: unknown,
    @Query('limit') limit?: unknown,
  ): Promise<{ count: number; limit: number; forecasts: DemandForecastMessage[] }> {
    const l = parseLimit(limit);
    const c = parseCategory(category);
    const forecasts = await this.forecasts.store.list({
      limit: l,
      ...(c !== undefined ? { category: c } : {}),
    });
    return { count: forecasts.length, limit: l, forecasts };
  }

  @Get('demand/:sku')
  @ApiOperation({
    summary: 'The latest demand forecast of one SKU: P10/P50/P90 per day from the origin',
    description:
      'The fields of a forecasts.demand.v1 message. 404: no forecast was published for the SKU.',
  })
  async one(@Param('sku') sku: string): Promise<DemandForecastMessage> {
    const f = await this.forecasts.store.latest(sku);
    if (!f)
      throw new NotFoundException(
        `sku '${sku}': no demand forecast published for this SKU (unknown SKU, or no sale in the forecast history window yet)`,
      );
    return f;
  }

  @Get('demand-runs/latest')
  @ApiOperation({ summary: 'The demand forecast publisher: champion, last run, errors, progress' })
  status(): DemandForecastStatus {
    return this.forecasts.status();
  }

  @Post('demand-runs')
  @Admin()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Runs the demand forecast publisher now and returns the run (after any run in progress)',
    description:
      'A run without a champion is skipped (status "skipped"). 503: publishing is disabled.',
  })
  async run(): Promise<ForecastRunResult> {
    if (!this.forecasts.status().enabled)
      throw new ServiceUnavailableException('demand forecasts are disabled (DEMAND_ENABLED=false)');
    return this.forecasts.runOnce('manual');
  }
}

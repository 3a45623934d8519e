// JSON endpoints of the dashboard's Demand page (/demand): thin, errors mapped to 400/404/503.
import {
  BadRequestException,
  Controller,
  Get,
  NotFoundException,
  Param,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  DEFAULT_ACTUAL_DAYS,
  DemandQueryError,
  parseIntParam,
  parseSearch,
  parseSku,
  type DemandModelDto,
  type FanChartDto,
  type ReorderDto,
  type SkuPickerDto,
} from './demand-page-model';
import {
  DemandDashboardService,
  DemandReadsUnavailableError,
  UnknownSkuError,
} from './demand-page.service';
import type { LoopComparisonDto } from './loop-comparison';

async function answer<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof DemandQueryError) throw new BadRequestException(e.message);
    if (e instanceof UnknownSkuError) throw new NotFoundException(e.message);
    if (e instanceof DemandReadsUnavailableError) throw new ServiceUnavailableException(e.message);
    throw e;
  }
}

@ApiTags('dashboard')
@Controller('api/dashboard/demand')
export class DemandDashboardController {
  constructor(private readonly svc: DemandDashboardService) {}

  @Get('skus')
  @ApiOperation({
    summary: 'SKU picker: the top SKUs by forecast volume, and the SKUs matching ?q=',
    description:
      'Volume = Σ P50 of the latest forecast. `limit` 1–200 (default 20); `q` at most 64 characters, case-insensitive substring of the SKU id. 400 names the bad parameter.',
  })
  skus(@Query('q') q?: string, @Query('limit') limit?: string): Promise<SkuPickerDto> {
    return answer(() => this.svc.skus(parseSearch(q), parseIntParam('limit', limit, 20, 1, 200)));
  }

  @Get('sku/:sku')
  @ApiOperation({
    summary: 'Fan chart of one SKU: the latest P10/P50/P90 forecast and the actuals before it',
    description:
      'Actuals = order_placed units per day (the forecast time zone) from fr_sku_order_1h, zero-filled, `actualDays` 1–366 days (default 56) before the origin. Also the latest replenishment recommendation. 404 when the SKU has no forecast.',
  })
  sku(@Param('sku') sku: string, @Query('actualDays') days?: string): Promise<FanChartDto> {
    return answer(() =>
      this.svc.sku(parseSku(sku), parseIntParam('actualDays', days, DEFAULT_ACTUAL_DAYS, 1, 366)),
    );
  }

  @Get('model')
  @ApiOperation({
    summary: 'Demand model versions, the backtest per method of one version, and the events',
    description:
      '`version` (default: the champion) selects the backtest; 400 when it is not in the registry.',
  })
  model(@Query('version') version?: string): Promise<DemandModelDto> {
    return answer(() => {
      const v = parseIntParam('version', version, 0, 1, 2 ** 32 - 1);
      return this.svc.model(v === 0 ? null : v);
    });
  }

  @Get('loop')
  @ApiOperation({
    summary: 'With vs without StorePulse: the simulated inventory KPIs per policy',
    description:
      "The simulator's latest run in simulator_inventory_kpis: fill rate, stock-out SKU-days, mean units on hand, units lost per policy (following the recommendations; the fixed reorder-point policy on the same demand), their difference, and the cumulative fill rate per time bucket. `run` is null when no snapshot is stored.",
  })
  loop(): Promise<LoopComparisonDto> {
    return answer(() => this.svc.loop());
  }

  @Get('reorder')
  @ApiOperation({
    summary: 'Reorder now: SKUs whose latest recommendation is action = reorder',
    description:
      'Earliest projected stock-out first (none last), then by SKU. `limit` 1–1000 (default 200).',
  })
  reorder(@Query('limit') limit?: string): Promise<ReorderDto> {
    return answer(() => this.svc.reorder(parseIntParam('limit', limit, 200, 1, 1000)));
  }
}

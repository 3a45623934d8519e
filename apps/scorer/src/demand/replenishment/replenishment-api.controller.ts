// HTTP API of the replenishment read model (replenishment_recommendations, written after each
// committed batch): one SKU's latest recommendation, or the latest ones filtered by action.
import {
  BadRequestException,
  Controller,
  Get,
  NotFoundException,
  Param,
  Query,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  REPLENISHMENT_ACTIONS,
  type ReplenishmentAction,
  type ReplenishmentMessage,
} from '@storepulse/contracts';
import { ReplenishmentService } from './replenishment.service';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 10_000;

const isAction = (v: string): v is ReplenishmentAction =>
  (REPLENISHMENT_ACTIONS as readonly string[]).includes(v);

/** `action` query value → an action or undefined (all); a precise 400 otherwise. */
export function parseAction(v: unknown): ReplenishmentAction | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || !isAction(v))
    throw new BadRequestException(
      `action: must be one of ${REPLENISHMENT_ACTIONS.join(', ')} (got ${JSON.stringify(v)})`,
    );
  return v;
}

/** `limit` query value → 1..MAX_LIST_LIMIT (default DEFAULT_LIST_LIMIT); a precise 400 otherwise. */
export function parseLimit(v: unknown): number {
  if (v === undefined || v === '') return DEFAULT_LIST_LIMIT;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LIST_LIMIT)
    throw new BadRequestException(
      `limit: must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${JSON.stringify(v)})`,
    );
  return n;
}

@ApiTags('inventory')
@Controller('api/inventory/replenishment')
export class ReplenishmentApiController {
  constructor(private readonly replenishment: ReplenishmentService) {}

  @Get()
  @ApiOperation({
    summary: 'Latest replenishment recommendations, soonest projected stock-out first',
    description:
      '`action=reorder|ok|overstock` filters (default: all); `limit` 1–10000 (default 100). 400: bad action or limit.',
  })
  async list(
    @Query('action') action: unknown,
    @Query('limit') limit: unknown,
  ): Promise<{ count: number; recommendations: ReplenishmentMessage[] }> {
    const a = parseAction(action);
    const recs = await this.replenishment.store.list({
      ...(a ? { action: a } : {}),
      limit: parseLimit(limit),
    });
    return { count: recs.length, recommendations: recs };
  }

  @Get(':sku')
  @ApiOperation({
    summary: "A SKU's latest replenishment recommendation (the inventory.replenishment.v1 message)",
    description: '404: no recommendation for this SKU (unknown SKU, or no forecast or stock yet).',
  })
  async one(@Param('sku') sku: string): Promise<ReplenishmentMessage> {
    const r = await this.replenishment.recommendation(sku);
    if (!r)
      throw new NotFoundException(
        `no replenishment recommendation for SKU '${sku}': unknown SKU, or it has no forecast or no stock position yet`,
      );
    return r;
  }
}

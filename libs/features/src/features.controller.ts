import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import {
  ALL_WINDOWS,
  FEATURES,
  LIFETIME,
  WINDOW_SECONDS,
  type FeatureDef,
  type WindowName,
} from './catalog';
import { FeatureStore, type EntityFeatures } from './store';
import type { OnlineStatus } from './online';
import type { EntityKind } from './rollups';

const ENTITIES: readonly EntityKind[] = ['user', 'sku', 'category'];
const ID_RE = /^[^\s]{1,128}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function bad(parameter: string, message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', parameter, message });
}

/** Parses the optional `at` (ISO-8601 with zone); default now. */
export function parseAt(at: unknown): number {
  if (at === undefined || at === '') return Date.now();
  if (typeof at !== 'string' || !ISO_RE.test(at) || Number.isNaN(Date.parse(at)))
    throw bad('at', 'at must be an ISO-8601 timestamp with a zone, e.g. 2026-11-28T10:15:00Z');
  return Date.parse(at);
}

function parseId(parameter: string, id: unknown): string {
  if (typeof id !== 'string' || !ID_RE.test(id))
    throw bad(parameter, `${parameter} must be 1..128 characters without whitespace`);
  return id;
}

export interface BatchBody {
  entity?: unknown;
  ids?: unknown;
  at?: unknown;
  /** `objects` (default): one object per entity; `matrix`: feature names once, one row of values per id. */
  format?: unknown;
}

export interface BatchResponse {
  entity: EntityKind;
  at: string;
  results: EntityFeatures[];
  /** Requested ids with no event before `at` (their features are all zero / null). */
  missing: string[];
}

/** `format: "matrix"`: a model's input as is — `values[i][k]` is feature `features[k]` of `ids[i]`. */
export interface BatchMatrixResponse {
  entity: EntityKind;
  at: string;
  format: 'matrix';
  features: readonly string[];
  ids: readonly string[];
  found: boolean[];
  values: (number | null)[][];
  missing: string[];
}

export interface CatalogEntry extends Omit<FeatureDef, 'aggregation'> {
  aggregation: FeatureDef['aggregation'];
  /** The window's span; for `lifetime` the longest it can reach: the rollup retention. */
  windowSeconds: number;
}

export interface CatalogResponse {
  windows: readonly WindowName[];
  /** What each window covers at time t (the bucket-edge rule of docs/features.md). */
  windowDescriptions: Record<WindowName, string>;
  features: CatalogEntry[];
}

/** The catalog endpoint's window descriptions; `rollupTtlDays` = FEATURES_ROLLUP_TTL_DAYS. */
export function windowDescriptions(rollupTtlDays: number): Record<WindowName, string> {
  const out = {} as Record<WindowName, string>;
  for (const w of ALL_WINDOWS)
    out[w] =
      w === LIFETIME
        ? `everything before the start of t’s hour that the rollups still hold: "lifetime" means within the rollup retention (FEATURES_ROLLUP_TTL_DAYS = ${rollupTtlDays} days, counted back from the current time, not from t), from hour buckets`
        : `the ${w} before the start of t’s ${WINDOW_SECONDS[w] <= 86_400 ? 'minute' : 'hour'} (${WINDOW_SECONDS[w] <= 86_400 ? 'minute' : 'hour'} buckets)`;
  return out;
}

/**
 * Feature serving: `/api/features/...`. Lookups go through {@link FeatureStore}: one parameterised
 * ClickHouse query per request, whatever the number of entities, or the online tier for user
 * lookups in its horizon (same values; see online.ts).
 */
@Controller('api/features')
export class FeaturesController {
  constructor(
    private readonly store: FeatureStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('catalog')
  catalog(): CatalogResponse {
    const ttlDays = this.config.features.rollupTtlDays;
    return {
      windows: ALL_WINDOWS,
      windowDescriptions: windowDescriptions(ttlDays),
      features: FEATURES.map((f) => ({
        ...f,
        windowSeconds: f.window === LIFETIME ? ttlDays * 86_400 : WINDOW_SECONDS[f.window],
      })),
    };
  }

  /** The online tier (user features in memory): state, coverage, size, and lookups per tier. */
  @Get('online')
  online(): { online: OnlineStatus; served: FeatureStore['served'] } {
    return {
      online: this.store.online?.status() ?? {
        state: 'off',
        coveredFromMs: null,
        users: 0,
        buckets: 0,
        hourBuckets: 0,
        bytes: 0,
        warmupMs: null,
        appliedRows: 0,
        skippedRows: 0,
        lifetimeUsers: 0,
        lifetimeInexact: 0,
      },
      served: { ...this.store.served },
    };
  }

  @Get('users/:id')
  user(@Param('id') id: string, @Query('at') at: unknown): Promise<EntityFeatures> {
    return this.one('user', parseId('id', id), parseAt(at));
  }

  @Get('skus/:sku')
  sku(@Param('sku') sku: string, @Query('at') at: unknown): Promise<EntityFeatures> {
    return this.one('sku', parseId('sku', sku), parseAt(at));
  }

  @Get('categories/:category')
  category(@Param('category') category: string, @Query('at') at: unknown): Promise<EntityFeatures> {
    return this.one('category', parseId('category', category), parseAt(at));
  }

  @Post('batch')
  @HttpCode(200)
  async batch(@Body() body: BatchBody | undefined): Promise<BatchResponse | BatchMatrixResponse> {
    const b = body ?? {};
    const entity = b.entity ?? 'user';
    if (typeof entity !== 'string' || !ENTITIES.includes(entity as EntityKind))
      throw bad('entity', `entity must be one of ${ENTITIES.join(', ')}`);
    if (!Array.isArray(b.ids) || b.ids.length === 0)
      throw bad('ids', 'ids must be a non-empty array of strings');
    if (b.ids.length > this.config.features.maxBatch)
      throw bad('ids', `ids must contain at most ${this.config.features.maxBatch} entries`);
    const ids = b.ids.map((x, i) => parseId(`ids[${i}]`, x));
    const atMs = parseAt(b.at);
    const format = b.format ?? 'objects';
    if (format !== 'objects' && format !== 'matrix')
      throw bad('format', 'format must be "objects" or "matrix"');
    if (format === 'matrix') {
      const m = await this.store.lookupMatrix(entity as EntityKind, ids, atMs);
      const w = m.features.length;
      const found = Array.from(m.found, (x) => x === 1);
      return {
        entity: m.entity,
        at: m.at,
        format,
        features: m.features,
        ids: m.ids,
        found,
        values: m.ids.map((_, i) =>
          Array.from(m.values.subarray(i * w, (i + 1) * w), (x) => (Number.isNaN(x) ? null : x)),
        ),
        missing: m.ids.filter((_, i) => !found[i]),
      };
    }
    const results = await this.store.lookup(entity as EntityKind, ids, atMs);
    return {
      entity: entity as EntityKind,
      at: new Date(atMs).toISOString(),
      results,
      missing: results.filter((r) => !r.found).map((r) => r.id),
    };
  }

  private async one(entity: EntityKind, id: string, atMs: number): Promise<EntityFeatures> {
    const [r] = await this.store.lookup(entity, [id], atMs);
    if (!r?.found)
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        entity,
        id,
        at: new Date(atMs).toISOString(),
        message: `unknown ${entity} ${id}: no event before ${new Date(atMs).toISOString()}`,
      });
    return r;
  }
}

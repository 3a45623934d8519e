// HTTP API of the scorer: current propensity scores from the champions.
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@storepulse/config';
import { Inject } from '@nestjs/common';
import { NoChampionError } from './propensity-scorer';
import { ScorerService, type LiveModelView } from './scorer.service';

export interface UserScore {
  user_id: string;
  known: boolean;
  scores: { horizon: string; score: number; model: { name: string; version: number } }[];
}

const MAX_USERS = 10_000;

@ApiTags('predictions')
@Controller('api/predictions')
export class PredictionsController {
  constructor(
    private readonly scorer: ScorerService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private horizons(h: unknown): string[] {
    const known = this.config.trainer.horizons.map((x) => x.name);
    if (h === undefined || h === null || h === '') return known;
    if (typeof h !== 'string')
      throw new BadRequestException('horizon: must be a string such as 7d');
    if (!known.includes(h))
      throw new BadRequestException(
        `horizon: unknown horizon '${h}', configured horizons are ${known.join(', ')}`,
      );
    return [h];
  }

  private async score(
    ids: string[],
    horizons: string[],
  ): Promise<{ as_of: string; users: UserScore[] }> {
    try {
      const s = await this.scorer.scorer().score(ids, Date.now(), horizons);
      return {
        as_of: new Date(s.atMs).toISOString(),
        users: s.ids.map((id, i) => ({
          user_id: id,
          known: s.known[i] === 1,
          scores: s.horizons.map((h) => ({
            horizon: h.horizon,
            score: h.scores[i],
            model: h.model,
          })),
        })),
      };
    } catch (e) {
      if (e instanceof NoChampionError) throw new ServiceUnavailableException(e.message);
      throw e;
    }
  }

  @Post('propensity')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Current purchase-propensity scores of up to 10,000 users',
    description:
      'Body `{user_ids: [...], horizon?}`. A user never seen is scored from empty features and flagged `known: false`. 400: unknown horizon; 503: no champion yet.',
  })
  async batch(@Body() body: unknown): Promise<{ as_of: string; users: UserScore[] }> {
    if (!body || typeof body !== 'object')
      throw new BadRequestException('body must be a JSON object');
    const b = body as { user_ids?: unknown; horizon?: unknown };
    if (!Array.isArray(b.user_ids))
      throw new BadRequestException('user_ids: must be an array of user ids');
    if (b.user_ids.length === 0) throw new BadRequestException('user_ids: must not be empty');
    if (b.user_ids.length > MAX_USERS)
      throw new BadRequestException(
        `user_ids: at most ${MAX_USERS} per request (got ${b.user_ids.length})`,
      );
    const bad = b.user_ids.findIndex((u) => typeof u !== 'string' || u.length === 0);
    if (bad >= 0) throw new BadRequestException(`user_ids.${bad}: must be a non-empty string`);
    return this.score(b.user_ids as string[], this.horizons(b.horizon));
  }

  @Get('live')
  @ApiOperation({
    summary: 'What the scorer serves: per model the version, scores so far and their distribution',
  })
  live(): { models: LiveModelView[] } {
    return { models: this.scorer.live() };
  }

  @Get('propensity/:userId')
  @ApiOperation({ summary: 'Current purchase-propensity scores of one user' })
  async one(
    @Param('userId') userId: string,
    @Query('horizon') horizon?: string,
  ): Promise<UserScore & { as_of: string }> {
    const r = await this.score([userId], this.horizons(horizon));
    return { ...r.users[0], as_of: r.as_of };
  }
}

// HTTP API of the trainer: start runs, follow them, browse the registry, roll back a champion.
import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Optional,
  Param,
  ParseIntPipe,
  Post,
  Query,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelRegistry, RegistryError, type ModelEvent, type ModelVersion } from '@storepulse/ml';
import { DemandTrainerService } from './demand/demand-trainer.service';
import { RunConflictError, type RunRecord } from './runs/run-tracker';
import { TrainerService, UnknownHorizonError } from './trainer.service';
import { Admin } from '@storepulse/config';

function horizonOf(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object') throw new BadRequestException('body must be a JSON object');
  const h = (body as { horizon?: unknown }).horizon;
  if (h === undefined) return undefined;
  if (typeof h !== 'string') throw new BadRequestException('horizon: must be a string such as 7d');
  return h;
}

function reasonOf(body: unknown, fallback: string): string {
  const r = body && typeof body === 'object' ? (body as { reason?: unknown }).reason : undefined;
  return typeof r === 'string' && r.trim() !== '' ? r : fallback;
}

@ApiTags('models')
@Controller('api/models')
export class ModelsController {
  constructor(
    private readonly trainer: TrainerService,
    private readonly registry: ModelRegistry,
    @Optional()
    @Inject(DemandTrainerService)
    private readonly demand: DemandTrainerService | null = null,
  ) {}

  @Post('propensity/train')
  @Admin()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a propensity training run',
    description:
      'Body `{horizon?}` (default: the first configured horizon). Returns the run id; 409 while a run of that model is in progress; 400 for an unknown horizon.',
  })
  train(@Body() body: unknown): { id: string; model: string; status: string } {
    try {
      const { run } = this.trainer.trainPropensity(horizonOf(body), 'api');
      return { id: run.id, model: run.model, status: run.status };
    } catch (e) {
      if (e instanceof UnknownHorizonError) throw new BadRequestException(e.message);
      if (e instanceof RunConflictError)
        throw new ConflictException({ message: e.message, runId: e.runId });
      throw e;
    }
  }

  @Post('demand/train')
  @Admin()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a demand training run (backtest of every method, champion, gate)',
    description:
      'Returns `{run_id}`; progress through GET /api/models/runs/:id. 409 while a demand run is in progress; 404 when demand forecasting is disabled (DEMAND_ENABLED=false).',
  })
  trainDemand(): { run_id: string; model: string; status: string } {
    if (!this.demand)
      throw new NotFoundException('demand forecasting is disabled (DEMAND_ENABLED=false)');
    try {
      const { run } = this.demand.train('api');
      return { run_id: run.id, model: run.model, status: run.status };
    } catch (e) {
      if (e instanceof RunConflictError)
        throw new ConflictException({ message: e.message, runId: e.runId });
      throw e;
    }
  }

  @Get('runs')
  @ApiOperation({ summary: 'Recent training runs, newest first' })
  runs(): RunRecord[] {
    return this.trainer.runs.list();
  }

  @Get('runs/:id')
  @ApiOperation({ summary: 'Progress and result of a training run' })
  run(@Param('id') id: string): RunRecord {
    const r = this.trainer.runs.get(id);
    if (!r) throw new NotFoundException(`no training run '${id}' in this process`);
    return r;
  }

  @Get()
  @ApiOperation({ summary: 'Every model version: status, metrics, lineage (newest first)' })
  async list(@Query('name') name?: string): Promise<ModelVersion[]> {
    return this.registry.list(name ? { name } : undefined);
  }

  @Get('events')
  @ApiOperation({ summary: 'Promotions, rejections and rollbacks (audit), newest first' })
  async events(@Query('name') name?: string): Promise<ModelEvent[]> {
    return this.registry.events(name ? { name } : undefined);
  }

  @Get(':name/:version')
  @ApiOperation({ summary: 'One model version' })
  async get(
    @Param('name') name: string,
    @Param('version', ParseIntPipe) version: number,
  ): Promise<ModelVersion> {
    const v = await this.registry.get(name, version);
    if (!v) throw new NotFoundException(`model ${name} has no version ${version}`);
    return v;
  }

  @Post(':name/:version/promote')
  @Admin()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Promote a version to champion by hand (operator override of the gate; audited)',
    description: 'Body `{reason?}`. The previous champion is retired; a rollback returns to it.',
  })
  async promote(
    @Param('name') name: string,
    @Param('version', ParseIntPipe) version: number,
    @Body() body: unknown,
  ): Promise<{ name: string; champion: ModelVersion }> {
    const reason = reasonOf(body, 'promoted by hand through the API');
    try {
      await this.registry.promote(name, version, reason, 'api');
    } catch (e) {
      if (e instanceof RegistryError && e.code === 'UNKNOWN_VERSION')
        throw new NotFoundException(e.message);
      if (e instanceof RegistryError && e.code === 'INVALID_TRANSITION')
        throw new ConflictException(e.message);
      throw e;
    }
    const champion = await this.registry.get(name, version);
    if (!champion) throw new NotFoundException(`model ${name} has no version ${version}`);
    return { name, champion };
  }

  @Post(':name/rollback')
  @Admin()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Roll back to the previous champion',
    description: 'Running scorers switch within SCORER_MODEL_POLL_MS (default 1 s).',
  })
  async rollback(
    @Param('name') name: string,
    @Body() body: unknown,
  ): Promise<{ name: string; champion: ModelVersion }> {
    const reason = reasonOf(body, 'rollback requested through the API');
    if (!(await this.registry.champion(name)))
      throw new NotFoundException(`model ${name} has no champion to roll back from`);
    try {
      return { name, champion: await this.registry.rollback(name, reason, 'api') };
    } catch (e) {
      if (e instanceof RegistryError && e.code === 'NO_PREVIOUS_CHAMPION')
        throw new ConflictException(e.message);
      throw e;
    }
  }
}

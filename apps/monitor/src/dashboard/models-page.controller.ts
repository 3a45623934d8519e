// JSON endpoint of the dashboard's Models page (/models) served by the monitor itself: the live AUC
// the scorer persisted (model_live_metrics, and pooled from model_live_samples), so the page shows it
// when the scorer runs elsewhere.
import { Controller, Get, Inject, Optional, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ModelsReads, StoredLiveAuc } from '../models-reads';

/** DI token of the ModelsReads adapter (null when the process has no ClickHouse). */
export const MODELS_READS = Symbol('MODELS_READS');

/** Versions per model the endpoint returns (the champion is normally among the newest). */
export const LIVE_AUC_VERSIONS_PER_MODEL = 10;

@ApiTags('dashboard')
@Controller('api/dashboard/models')
export class ModelsDashboardController {
  constructor(
    @Optional() @Inject(MODELS_READS) private readonly reads: ModelsReads | null = null,
  ) {}

  @Get('live-auc')
  @ApiOperation({
    summary:
      'The latest persisted live AUC of each model version (the 10 newest per model), and its pooled live AUC',
    description:
      "The row fields are the latest row of model_live_metrics, appended by the scorer each time labels of its sampled live scores mature: the AUC of that one batch (the samples matured since the previous one); `auc` is null when the batch had a single class. `pooled` is the AUC the trainer's drift rule compares: the version's matured samples (model_live_samples) whose prediction time lies in TRAINER_DRIFT_LIVE_AUC_WINDOW_MS up to the newest one, at most TRAINER_DRIFT_LIVE_AUC_MAX_SAMPLES (null without samples, `auc` null for a single class). 503 when this process has no ClickHouse.",
  })
  async liveAuc(): Promise<{ models: StoredLiveAuc[] }> {
    if (!this.reads)
      throw new ServiceUnavailableException(
        'ClickHouse is not connected to this process: the stored live AUC needs it (run the platform, or the monitor with CLICKHOUSE_URL)',
      );
    return { models: await this.reads.latestLiveAuc(LIVE_AUC_VERSIONS_PER_MODEL) };
  }
}

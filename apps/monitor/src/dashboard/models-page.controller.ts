// JSON endpoint of the dashboard's Models page (/models) served by the monitor itself: the live AUC
// the scorer persisted (model_live_metrics), so the page shows it when the scorer runs elsewhere.
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
    summary: 'The latest persisted live AUC of each model version (the 10 newest per model)',
    description:
      'From model_live_metrics, appended by the scorer each time labels of its sampled live scores mature. `auc` is null when the batch had a single class. 503 when this process has no ClickHouse.',
  })
  async liveAuc(): Promise<{ models: StoredLiveAuc[] }> {
    if (!this.reads)
      throw new ServiceUnavailableException(
        'ClickHouse is not connected to this process: the stored live AUC needs it (run the platform, or the monitor with CLICKHOUSE_URL)',
      );
    return { models: await this.reads.latestLiveAuc(LIVE_AUC_VERSIONS_PER_MODEL) };
  }
}

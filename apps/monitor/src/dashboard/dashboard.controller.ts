// The dashboard's HTTP routes: the ops page at /, the Models page at /models, the Demand page at
// /demand (its data: DemandDashboardController, /api/dashboard/demand/...), and Chart.js.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { demandPageHtml } from './demand-page';
import { modelsPageHtml } from './models-page';
import { DASHBOARD_HTML } from './page';
import { Public } from '@storepulse/config';

/** Chart.js from node_modules (UMD build), read once. */
function chartJs(): string {
  const dir = dirname(require.resolve('chart.js'));
  return readFileSync(join(dir, 'chart.umd.min.js'), 'utf8');
}

// Public: static pages and Chart.js carry no data; their data comes from /api/* with a key (the
// pages ask for it once, docs/reliability.md "Access").
@Public()
@ApiExcludeController()
@Controller()
export class DashboardController {
  private chart: string | undefined;
  private modelsHtml: string | undefined;
  private demandHtml: string | undefined;

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  page(): string {
    return DASHBOARD_HTML;
  }

  /** The Models page (reads the trainer's and scorer's APIs; works without them). */
  @Get('models')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  models(): string {
    this.modelsHtml ??= modelsPageHtml();
    return this.modelsHtml;
  }

  /** The Demand page (reads /api/dashboard/demand/... and the simulator's /api/simulator/inventory). */
  @Get('demand')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  demand(): string {
    this.demandHtml ??= demandPageHtml();
    return this.demandHtml;
  }

  @Get('dashboard/chart.umd.min.js')
  @Header('Content-Type', 'application/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  chartLibrary(): string {
    this.chart ??= chartJs();
    return this.chart;
  }
}

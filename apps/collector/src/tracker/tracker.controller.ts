import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { loadTrackerAsset, type TrackerAsset } from './tracker-asset';
import { Public } from '@storepulse/config';

/**
 * `GET /v1/storepulse.js`: the browser tracker, an ES module. Public (a page loads it before any
 * key is in play) and cross-origin: a module script from another origin needs CORS, so any origin
 * may load it; sending events still needs a write key.
 */
@Public()
@ApiTags('collector')
@Controller('v1')
export class TrackerController {
  private readonly asset: TrackerAsset = loadTrackerAsset();

  @Get('storepulse.js')
  @ApiOperation({
    summary:
      'The browser tracker (ES module): storepulse.init({endpoint, key}), track(type, props)',
  })
  serve(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() res: Response): void {
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('ETag', this.asset.etag);
    if (ifNoneMatch === this.asset.etag) {
      res.status(304).end();
      return;
    }
    res.status(200).end(this.asset.body);
  }
}

import {
  Controller,
  Get,
  Header,
  NotFoundException,
  Param,
  ServiceUnavailableException,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { map, type Observable } from 'rxjs';
import { AlertsResponseDto, GroupLagDto, LagResponseDto } from './dto';
import { MonitorService } from './monitor.service';
import type { Alert } from './alerts';
import type { GroupView, HistoryPoint, MonitorView } from './view';

@ApiTags('monitor')
@Controller('api')
export class MonitorController {
  constructor(private readonly svc: MonitorService) {}

  private latest(): MonitorView {
    const v = this.svc.monitor.view();
    if (!v) throw new ServiceUnavailableException('the first lag poll has not completed yet');
    return v;
  }

  @Get('lag')
  @ApiOperation({
    summary: 'Lag of every consumer group on the cluster',
    description:
      'Per group and partition: committed offset, log-end offset, offset lag, time lag (age of the message at the committed offset) and Burrow-style status, as of the latest poll.',
  })
  @ApiOkResponse({ type: LagResponseDto })
  lag(): { cluster: string; at: string; pollIntervalMs: number; groups: GroupView[] } {
    const v = this.latest();
    return { cluster: v.cluster, at: v.at, pollIntervalMs: v.pollIntervalMs, groups: v.groups };
  }

  @Get('lag/:group')
  @ApiOperation({ summary: 'Lag of one consumer group' })
  @ApiOkResponse({ type: GroupLagDto })
  @ApiNotFoundResponse({ description: 'no such consumer group on the cluster' })
  group(@Param('group') group: string): GroupView {
    const g = this.latest().groups.find((x) => x.groupId === group);
    if (!g) throw new NotFoundException(`consumer group "${group}" not found`);
    return g;
  }

  @Get('alerts')
  @ApiOperation({
    summary: 'Active alerts and recent alert events',
    description: 'The same events are published to the ops.alerts.v1 topic.',
  })
  @ApiOkResponse({ type: AlertsResponseDto })
  alerts(): { active: Alert[]; recent: Alert[] } {
    return { active: this.svc.monitor.alerts.active(), recent: this.svc.monitor.alerts.history() };
  }

  @Get('monitor/overview')
  @ApiOperation({ summary: 'Latest full monitor view plus history (what the dashboard loads)' })
  overview(): { view: MonitorView | null; history: HistoryPoint[] } {
    return { view: this.svc.monitor.view(), history: this.svc.monitor.history() };
  }

  @Sse('stream')
  @Header('Cache-Control', 'no-cache')
  @ApiOperation({
    summary: 'Server-sent events: one `data:` JSON monitor view per poll',
  })
  stream(): Observable<MessageEvent> {
    return this.svc.stream().pipe(map((v) => ({ data: v })));
  }
}

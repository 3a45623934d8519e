import { Controller, Get } from '@nestjs/common';
import { StatusService, type PlatformStatus } from './status.service';

@Controller('api')
export class StatusController {
  constructor(private readonly status: StatusService) {}

  @Get('status')
  get(): Promise<PlatformStatus> {
    return this.status.status();
  }
}

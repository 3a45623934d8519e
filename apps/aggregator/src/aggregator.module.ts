import { Module } from '@nestjs/common';
import { AggregatorService } from './aggregator.service';
import { DeadLetterArchiveService } from './dead-letters/dead-letter-archive.service';

@Module({
  providers: [AggregatorService, DeadLetterArchiveService],
  exports: [AggregatorService, DeadLetterArchiveService],
})
export class AggregatorModule {}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const CONSUMER_STATUS = ['OK', 'WARNING', 'STALLED', 'STOPPED'];

/** OpenAPI shapes of the monitor API (documentation only; the services return plain objects). */
export class PartitionLagDto {
  @ApiProperty() topic!: string;
  @ApiProperty() partition!: number;
  @ApiProperty({ nullable: true, type: String, description: 'committed offset; null when none' })
  committed!: string | null;
  @ApiProperty({ nullable: true, type: String }) logStart!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'log-end offset (high watermark)' })
  logEnd!: string | null;
  @ApiProperty({ description: 'offset lag = log end - committed' }) lag!: string;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'age in seconds of the message at the committed offset; 0 when idle',
  })
  timeLagSeconds!: number | null;
  @ApiProperty({ nullable: true, type: String }) oldestUnconsumedAt!: string | null;
  @ApiProperty({
    enum: ['lagging', 'idle', 'no-offset', 'topic-deleted', 'out-of-range', 'time-unknown'],
  })
  status!: string;
  @ApiProperty() assigned!: boolean;
  @ApiProperty({ enum: CONSUMER_STATUS }) consumerStatus!: string;
  @ApiProperty() committedUnchangedSeconds!: number;
}

export class GroupLagDto {
  @ApiProperty() groupId!: string;
  @ApiProperty({ description: "Kafka's group state (Stable, Empty, PreparingRebalance, ...)" })
  state!: string;
  @ApiProperty({
    enum: ['active', 'empty', 'rebalancing', 'no-committed-offsets', 'dead', 'unknown', 'error'],
  })
  status!: string;
  @ApiProperty() protocolType!: string;
  @ApiProperty() members!: number;
  @ApiProperty({ type: [PartitionLagDto] }) partitions!: PartitionLagDto[];
  @ApiProperty() totalLag!: string;
  @ApiProperty() maxLag!: string;
  @ApiProperty({ nullable: true, type: Number }) maxTimeLagSeconds!: number | null;
  @ApiProperty({ enum: CONSUMER_STATUS }) consumerStatus!: string;
  @ApiProperty() statusReason!: string;
  @ApiProperty() committedUnchangedSeconds!: number;
  @ApiProperty({ nullable: true, type: Number }) consumedPerSec!: number | null;
  @ApiPropertyOptional() error?: string;
}

export class LagResponseDto {
  @ApiProperty() cluster!: string;
  @ApiProperty({ description: 'poll time the lags refer to' }) at!: string;
  @ApiProperty() pollIntervalMs!: number;
  @ApiProperty({ type: [GroupLagDto] }) groups!: GroupLagDto[];
}

export class AlertDto {
  @ApiProperty({ example: 'ConsumerGroupStalled/storepulse-aggregator' }) id!: string;
  @ApiProperty({ enum: ['ConsumerTimeLagHigh', 'DeadLetterRateHigh', 'ConsumerGroupStalled'] })
  rule!: string;
  @ApiProperty({ enum: ['firing', 'resolved'] }) state!: string;
  @ApiProperty({ enum: ['warning', 'critical'] }) severity!: string;
  @ApiProperty() cluster!: string;
  @ApiProperty({ nullable: true, type: String }) group!: string | null;
  @ApiProperty() summary!: string;
  @ApiProperty() value!: number;
  @ApiProperty() threshold!: number;
  @ApiProperty() startsAt!: string;
  @ApiProperty({ nullable: true, type: String }) endsAt!: string | null;
  @ApiProperty() at!: string;
}

export class AlertsResponseDto {
  @ApiProperty({ type: [AlertDto], description: 'alerts firing now' }) active!: AlertDto[];
  @ApiProperty({ type: [AlertDto], description: 'recent firing/resolved events, newest first' })
  recent!: AlertDto[];
}

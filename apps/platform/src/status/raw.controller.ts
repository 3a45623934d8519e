import {
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  BadRequestException,
} from '@nestjs/common';
import { CLICKHOUSE, queryRows, type ClickHouseHandle } from '@storepulse/clickhouse';

interface OrderLine {
  event_id: string;
  type: string;
  user_id: string;
  ts: string;
  currency: string;
  line_no: number;
  sku: string;
  qty: number;
  unit_price: string;
  amount: string;
}

const ID = /^[\w.:@-]{1,128}$/;

/** Read-back of stored raw rows, to check what the pipeline wrote (parameterised queries only). */
@Controller('api/raw')
export class RawController {
  constructor(@Inject(CLICKHOUSE) private readonly ch: ClickHouseHandle) {}

  @Get('orders/:orderId')
  async order(
    @Param('orderId') orderId: string,
  ): Promise<{ order_id: string; lines: OrderLine[] }> {
    if (!ID.test(orderId))
      throw new BadRequestException({
        parameter: 'orderId',
        message: 'must be 1-128 characters of [A-Za-z0-9_.:@-]',
      });
    const lines = await queryRows<OrderLine>(
      this.ch.client,
      `SELECT toString(event_id) AS event_id, type, user_id, toString(ts) AS ts, currency, line_no, sku, qty,
              toString(unit_price) AS unit_price, toString(amount) AS amount
       FROM order_lines WHERE order_id = {orderId:String} ORDER BY ts, line_no`,
      { orderId },
    );
    if (lines.length === 0)
      throw new NotFoundException({ message: `no stored order ${orderId}`, order_id: orderId });
    return { order_id: orderId, lines };
  }
}

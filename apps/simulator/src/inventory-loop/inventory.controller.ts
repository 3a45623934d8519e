// HTTP API of the simulated inventory system: its KPIs and whether it follows the recommendations.
import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SimulatorService, type InventoryView } from '../simulator.service';

@ApiTags('simulator')
@Controller('api/simulator')
export class InventoryController {
  constructor(private readonly simulator: SimulatorService) {}

  @Get('inventory')
  @ApiOperation({
    summary:
      'Simulated inventory: whether it follows the replenishment recommendations, and its KPIs (units demanded/sold, fill rate, stock-out SKU-days, mean on-hand units, purchase orders, units received)',
  })
  inventory(): InventoryView {
    return this.simulator.inventory();
  }
}

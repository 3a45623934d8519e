// Short measurement of the use case's CPU cost (no I/O): one batch of N stock messages for N SKUs
// that have 28-day forecasts, lead times 1–14 days. Run after a build:
//   node dist/apps/scorer/src/demand/replenishment/measure-handle.js [N=1000]
import { TOPICS } from '@storepulse/contracts';
import type { InboundMessage } from '@storepulse/kafka';
import { createLogger } from '@storepulse/observability';
import { ReplenishBatch } from './replenish-batch';
import { ReplenishmentState, heldForecast } from './state';
import { forecastMessage, stockMessage } from './testing';

function main(n: number): void {
  const state = new ReplenishmentState();
  const now = new Date().toISOString();
  const today = now.slice(0, 10);
  for (let i = 0; i < n; i++)
    state.applyForecast(heldForecast(forecastMessage(`s${i}`, today, 5 + (i % 20), now)));
  const uc = new ReplenishBatch(
    state,
    {
      groupId: 'measure',
      dlqTopic: TOPICS.storefrontDlq,
      policy: { serviceLevel: 0.95, reviewPeriodDays: 1 },
    },
    createLogger('warn', 'measure'),
  );
  const messages: InboundMessage[] = Array.from({ length: n }, (_, i) => ({
    topic: TOPICS.inventory,
    partition: 0,
    offset: String(i),
    key: null,
    headers: {},
    timestampMs: 0,
    value: Buffer.from(
      JSON.stringify(stockMessage(`s${i}`, i % 50, now, { leadTimeDays: 1 + (i % 14) })),
    ),
  }));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { records } = uc.handle({
    topic: TOPICS.inventory,
    partition: 0,
    messages,
    heartbeat: () => Promise.resolve(),
  });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${n} SKUs: ${records.length} records, wall ${wall.toFixed(0)} ms, cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, ${(wall / n).toFixed(2)} ms/SKU`,
  );
}

main(Number(process.argv[2] ?? 1000));

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@storepulse/config';
import type { MessageSink } from './message-sink';
import { SimulatorService } from './simulator.service';
import type { SimulatedMessage } from './storefront';
import { TOPICS } from '@storepulse/contracts';

Logger.overrideLogger(false);

class FakeSink implements MessageSink {
  readonly calls: { batch: SimulatedMessage[]; ok: boolean }[] = [];
  failNext = 0;
  async send(messages: SimulatedMessage[]): Promise<void> {
    await new Promise((r) => setTimeout(r, 5));
    const ok = this.failNext <= 0;
    this.calls.push({ batch: messages, ok });
    if (!ok) {
      this.failNext--;
      throw new Error('broker unavailable');
    }
  }
  delivered(): SimulatedMessage[] {
    return this.calls.filter((c) => c.ok).flatMap((c) => c.batch);
  }
}

const config = (rate: number) =>
  loadConfig({ SIMULATOR_EVENTS_PER_SEC: String(rate), SIMULATOR_INVALID_RATE: '0.05' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void describe('SimulatorService', () => {
  void it('produces ~rate x time, counts per topic and validity', async () => {
    const sink = new FakeSink();
    const svc = new SimulatorService(config(2000), sink);
    const t0 = Date.now();
    svc.start();
    await sleep(1000);
    await svc.stop();
    const elapsed = (Date.now() - t0) / 1000;
    const got = sink.delivered().length;
    const expected = 2000 * elapsed;
    assert.ok(got > 0.75 * expected && got < 1.1 * expected, `${got} vs ~${expected}`);
    const st = svc.stats();
    assert.equal(st.produced.total, got);
    assert.equal(st.produced.valid + st.produced.invalid, got);
    assert.ok(st.produced.invalid > 0);
    assert.equal(
      Object.values(st.produced.byTopic).reduce((a, b) => a + b, 0),
      got,
    );
    assert.equal(st.running, false);
    // Event time follows the wall clock.
    const now = Date.now();
    for (const m of sink.delivered()) assert.ok(m.timestampMs >= t0 - 1 && m.timestampMs <= now);
  });

  void it('retries a failed batch on the next tick without losing messages', async () => {
    const sink = new FakeSink();
    sink.failNext = 2;
    const svc = new SimulatorService(config(2000), sink);
    svc.start();
    await sleep(1000);
    await svc.stop();
    const [first, second, third] = sink.calls;
    assert.ok(first && second && third);
    assert.equal(first.ok, false);
    assert.equal(second.ok, false);
    assert.equal(third.ok, true);
    // The very same messages are resent first.
    assert.equal(second.batch, first.batch);
    assert.equal(third.batch, first.batch);
    const delivered = sink.delivered();
    // A duplicate is the same message sent twice (the retry resends the very same objects); two
    // messages may carry equal bytes (e.g. an unchanged stock position, a malformed payload).
    assert.equal(new Set(delivered).size, delivered.length, 'no duplicates delivered');
    for (const m of first.batch) assert.ok(delivered.includes(m));
    const st = svc.stats();
    assert.equal(st.sendFailures, 2);
    assert.equal(st.produced.total, delivered.length);
    assert.equal(st.buffered, 0);
    assert.ok(delivered.length > 500, `delivered ${delivered.length}`);
  });

  void it('does nothing at rate 0', async () => {
    const sink = new FakeSink();
    const svc = new SimulatorService(config(0), sink);
    svc.start();
    await sleep(300);
    await svc.stop();
    assert.equal(sink.calls.length, 0);
    assert.equal(svc.stats().running, false);
  });

  void it('first-run history: SIMULATOR_ORDER_HISTORY_DAYS of orders only, then the full history', async () => {
    const DAY = 86_400_000;
    const cfg = loadConfig({
      SIMULATOR_EVENTS_PER_SEC: '10',
      SIMULATOR_USERS: '500',
      SIMULATOR_SKUS: '40',
      SIMULATOR_ORDER_HISTORY_DAYS: '6',
    });
    assert.equal(cfg.simulator.orderHistoryDays, 6);
    assert.equal(loadConfig({}).simulator.orderHistoryDays, 120, 'default');
    const sink = new FakeSink();
    const svc = new SimulatorService(cfg, sink);
    const phases: string[] = [];
    const t0 = Date.now();
    const sent = await svc.writeHistory(2, 8_000, (p) => phases.push(p.phase));
    const msgs = sink.delivered();
    assert.equal(sent, msgs.length);
    const end = Date.now();
    const fullFrom = t0 - 2 * DAY;
    const orderDays = new Set<number>();
    const clickDays = new Set<number>();
    let first = Infinity;
    for (const m of msgs) {
      first = Math.min(first, m.timestampMs);
      // Day index relative to the start of the order-only span.
      const d = Math.floor((m.timestampMs - (fullFrom - 6 * DAY)) / DAY);
      if (m.topic === TOPICS.clickstream) {
        clickDays.add(d);
        assert.ok(m.timestampMs >= fullFrom - 1, 'no clickstream in the order-only span');
      }
      if (m.topic === TOPICS.orders) orderDays.add(d);
      assert.ok(m.timestampMs <= end);
    }
    // Orders on each of the 6 order-only days and the 2 full days; clickstream only on the latter.
    assert.deepEqual(
      [...orderDays].filter((d) => d >= 0 && d < 8).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.deepEqual(
      [...clickDays].filter((d) => d < 6),
      [],
    );
    assert.ok(clickDays.has(6) && clickDays.has(7));
    assert.equal(phases.at(-1), 'full');
    assert.ok(
      first >= fullFrom - 6 * DAY - 1000 && first < fullFrom - 5.9 * DAY,
      'covers 6 + 2 days',
    );
  });
});

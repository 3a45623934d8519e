import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShadowInventory, type RealStockView, type ShadowPolicySource } from './shadow';
import { Storefront, type StorefrontOptions } from './storefront';

const DAY = 86_400_000;

/** Two SKUs: SKU 0 with 10 on hand, reorder point 3, qty 12, lead 2 days; SKU 1 out, rp 2, qty 7, lead 1. */
function policy(): ShadowPolicySource {
  return {
    onHand: [10, 0],
    leadTimeDays: [2, 1],
    reorderPoint: [3, 2],
    reorderQty: [12, 7],
  };
}

void describe('ShadowInventory (the fixed-policy counterfactual ledger)', () => {
  void it('sells what is on hand, loses the rest, reorders at the reorder point, receives after the lead time', () => {
    const sh = new ShadowInventory(policy(), 0);
    assert.equal(sh.orderLine(0, 4, 1 * DAY), 4); // 10 -> 6, above the reorder point
    assert.equal(sh.onOrder[0], 0);
    assert.equal(sh.orderLine(0, 4, 2 * DAY), 4); // 6 -> 2 <= 3: PO of 12, due day 4
    assert.equal(sh.onOrder[0], 12);
    assert.equal(sh.orderLine(0, 5, 3 * DAY), 2); // 2 sold, 3 lost; out from day 3; PO open: none
    assert.equal(sh.onOrder[0], 12);
    sh.advanceTo(4 * DAY - 1);
    assert.equal(sh.onHand[0], 0, 'not before the lead time');
    const k = sh.kpis(5 * DAY); // the PO arrived at day 4: 12 on hand
    assert.equal(sh.onHand[0], 12);
    assert.equal(sh.onOrder[0], 0);
    assert.equal(k.unitsSold, 10);
    assert.equal(k.unitsLost, 3);
    assert.equal(k.unitsDemanded, 13);
    assert.equal(k.fillRate, 10 / 13);
    assert.equal(k.purchaseOrdersPlaced, 1);
    assert.equal(k.unitsOrdered, 12);
    assert.equal(k.unitsReceived, 12);
    assert.equal(k.openPurchaseOrders, 0);
    // SKU 0 out on [3, 4); SKU 1 out all 5 days (nothing sold: no reorder) -> 6 SKU-days.
    assert.equal(k.stockoutSkuDays, 6);
    // Units on hand × days: SKU 0: 10·1 + 6·1 + 2·1 + 0 + 12·1 = 30, over 5 days.
    assert.equal(k.meanOnHandUnits, 30 / 5);
  });

  void it('session demand of a SKU the real shop had out: sold here when on hand (fractional), lost when out', () => {
    const sh = new ShadowInventory(policy(), 0);
    sh.sessionDemand(0, 2.5, DAY); // in stock here: sold
    sh.sessionDemand(1, 0.75, DAY); // out here too: lost, no PO (no sale)
    assert.equal(sh.onHand[0], 7.5);
    assert.equal(sh.onOrder[1], 0);
    sh.sessionDemand(0, 5, 2 * DAY); // 7.5 -> 2.5 <= 3: a PO of 12
    assert.equal(sh.onOrder[0], 12);
    const k = sh.kpis(2 * DAY);
    assert.equal(k.unitsSold, 7.5);
    assert.equal(k.unitsLost, 0.75);
    assert.equal(k.purchaseOrdersPlaced, 1);
  });

  void it('a stock-out in one ledger and not the other: the real shop out, the shadow in stock', () => {
    // The real shop's SKU 1 is out (the demand reaches the shadow as session demand); the shadow
    // received stock for it: the shadow sells what the real shop lost.
    const src = policy();
    const sh = new ShadowInventory({ ...src, onHand: [10, 5] }, 0);
    for (let s = 0; s < 4; s++) sh.sessionDemand(1, 1, DAY + s);
    const k = sh.kpis(2 * DAY);
    assert.equal(k.unitsSold, 4);
    assert.equal(k.unitsLost, 0);
    assert.equal(k.fillRate, 1);
    assert.equal(k.stockoutSkuDays, 0);
    assert.equal(
      sh.onOrder[1],
      7,
      'under the reorder point after a sale: the fixed policy ordered',
    );
  });

  void it('out here, in stock in the real shop: the session share is lost here, its lines are not counted again', () => {
    // The real shop has both SKUs (nothing out there); shares 0.25 and 0.75 of 2 units a session.
    const real: RealStockView = {
      outCount: 0,
      outSku: () => -1,
      shareOf: (sku) => (sku === 0 ? 0.25 : 0.75),
      available: () => true,
    };
    const sh = new ShadowInventory({ ...policy(), onHand: [3, 0], reorderQty: [12, 7] }, 0);
    assert.equal(sh.outCount, 1, 'SKU 1 is out here from the start');
    sh.sessionStart(real, 2, DAY); // SKU 1 out here: 2 · 0.75 lost
    // a line for SKU 1 of that session (started while it was out here): counted at the start already
    assert.equal(sh.orderLine(1, 4, DAY + 60_000, DAY), 0);
    let k = sh.kpis(DAY + 60_000);
    assert.equal(k.unitsLost, 1.5);
    assert.equal(k.unitsDemanded, 1.5);
    assert.equal(sh.onOrder[1], 7, 'the fixed policy still sees the line (on_hand 0 <= rp 2)');
    // SKU 0 runs out during a session that started while it was in stock: the shortfall is exact
    sh.sessionStart(real, 2, 2 * DAY); // SKU 1 still out: 1.5 more lost; SKU 0 in stock
    assert.equal(sh.orderLine(0, 5, 2 * DAY + 60_000, 2 * DAY), 3); // 3 sold, 2 lost
    k = sh.kpis(2 * DAY + 60_000);
    assert.equal(k.unitsSold, 3);
    assert.equal(k.unitsLost, 1.5 + 1.5 + 2);
    // SKU 1's PO (lead 1 day, placed at DAY + 1 min) arrived at 2·DAY + 1 min; SKU 0 is out now
    assert.equal(sh.onHand[1], 7);
    assert.equal(sh.outCount, 1);
    sh.sessionStart(real, 2, 3 * DAY);
    k = sh.kpis(3 * DAY);
    assert.equal(k.unitsLost, 5 + 2 * 0.25, 'SKU 0 loses its share now, SKU 1 no longer');
  });

  void it('cancellations give back what the shadow sold; resetKpis restarts the counts', () => {
    const sh = new ShadowInventory(policy(), 0);
    sh.orderLine(0, 5, DAY);
    sh.giveBack(0, 5, 1.5 * DAY);
    assert.equal(sh.onHand[0], 10);
    sh.resetKpis(2 * DAY);
    const k = sh.kpis(3 * DAY);
    assert.equal(k.unitsDemanded, 0);
    assert.equal(k.fillRate, null);
    assert.equal(k.from, new Date(2 * DAY).toISOString());
    assert.equal(k.meanOnHandUnits, 10);
    assert.equal(k.stockoutSkuDays, 1);
  });
});

const base: StorefrontOptions = {
  seed: 7,
  users: 400,
  skus: 30,
  invalidRate: 0,
  startMs: Date.UTC(2026, 0, 5),
  eventsPerSec: 0.15,
  seasonality: false,
  promotions: false,
  clickstreamFromMs: Infinity,
};

function drain(sf: Storefront, untilMs: number): string[] {
  const out: string[] = [];
  for (;;) {
    const b = sf.next(20_000, untilMs);
    if (b.length === 0) return out;
    for (const m of b) out.push(`${m.topic}|${m.key}|${m.value.toString('utf8')}`);
  }
}

void describe('Storefront with the shadow inventory', () => {
  const end = base.startMs + 20 * DAY;

  void it('emits exactly the same messages with and without the shadow (it only counts, draws nothing)', () => {
    for (const promotions of [false, true]) {
      const o = { ...base, promotions, followRecommendations: true };
      const a = new Storefront({ ...o, shadowFixedPolicy: false });
      const b = new Storefront({ ...o, shadowFixedPolicy: true });
      const ma = drain(a, end);
      assert.ok(ma.length > 1000, `enough messages (${ma.length})`);
      assert.deepEqual(drain(b, end), ma, `promotions ${promotions}`);
      assert.deepEqual(b.kpis(), a.kpis());
      assert.equal(a.fixedPolicyKpis(), null);
      assert.ok(b.fixedPolicyKpis());
    }
  });

  void it('without following, the shadow equals the real inventory (same demand, same policy)', () => {
    const sf = new Storefront({ ...base, followRecommendations: false, shadowFixedPolicy: true });
    drain(sf, end);
    const real = sf.kpis();
    const shadow = sf.fixedPolicyKpis();
    assert.ok(shadow);
    assert.ok(real.unitsLost > 0, 'some stock-outs happened');
    assert.equal(shadow.unitsSold, real.unitsSold);
    assert.equal(shadow.purchaseOrdersPlaced, real.purchaseOrdersPlaced);
    assert.equal(shadow.unitsReceived, real.unitsReceived);
    assert.equal(shadow.openPurchaseOrders, real.openPurchaseOrders);
    // Lost units are summed per SKU in the shadow and per session in the real one: rounding only.
    assert.ok(Math.abs(shadow.unitsLost - real.unitsLost) < 1e-6 * real.unitsLost);
    assert.ok(Math.abs(shadow.stockoutSkuDays - real.stockoutSkuDays) < 1e-9);
    assert.ok(Math.abs(shadow.meanOnHandUnits - real.meanOnHandUnits) < 1e-6);
  });

  void it('following a recommendation that starves a SKU: out in the real shop, in stock in the shadow', () => {
    const sf = new Storefront({ ...base, followRecommendations: true });
    drain(sf, base.startMs + DAY);
    // Every SKU follows "no order": the fixed policy is off in the real shop, on in the shadow.
    for (const c of sf.catalogue)
      sf.applyRecommendation({
        recommendation_id: `noop-${c.sku}`,
        sku: c.sku,
        action: 'ok',
        recommended_order_qty: 0,
        stock: { ...sf.stock(sf.indexOf(c.sku) ?? 0), ts: new Date(sf.now).toISOString() },
      });
    drain(sf, end);
    const real = sf.kpis();
    const shadow = sf.fixedPolicyKpis();
    assert.ok(shadow);
    assert.ok(real.unitsLost > 0);
    assert.ok(
      (shadow.fillRate ?? 0) > (real.fillRate ?? 1),
      `fixed policy ${shadow.fillRate} > starving ${real.fillRate}`,
    );
    assert.ok(shadow.stockoutSkuDays < real.stockoutSkuDays);
    assert.ok(shadow.purchaseOrdersPlaced > 0);
    // The same demand in both: the real shop's demand is what its customers expressed.
    assert.ok(
      Math.abs(shadow.unitsDemanded - real.unitsDemanded) < 1e-6 * real.unitsDemanded,
      `${shadow.unitsDemanded} vs ${real.unitsDemanded}`,
    );
  });
});

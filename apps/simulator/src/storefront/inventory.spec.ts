import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Catalogue } from './catalogue';
import { Inventory } from './inventory';
import { Prng } from './prng';

const DAY = 86_400_000;

function inventory(follow: boolean): Inventory {
  const inv = new Inventory(new Catalogue(3, 2), new Prng(1), follow, 0);
  inv.onHand[0] = 10;
  inv.onHand[1] = 0;
  inv.reorderPoint[0] = 3;
  inv.reorderQty[0] = 12;
  inv.reorderPoint[1] = 2;
  inv.reorderQty[1] = 7;
  return inv;
}

void describe('Inventory (purchase orders, arrivals, KPIs)', () => {
  void it('sells what is on hand and loses the rest: no back-orders', () => {
    const inv = inventory(false);
    assert.equal(inv.sell(0, 4, DAY), 4);
    assert.equal(inv.sell(0, 10, 2 * DAY), 6);
    assert.equal(inv.onHand[0], 0);
    assert.equal(inv.available(0), false);
    assert.equal(inv.sell(0, 3, 2 * DAY), 0);
    assert.equal(inv.onHand[0], 0);
    const k = inv.kpis(2 * DAY);
    assert.equal(k.unitsSold, 10);
    assert.equal(k.unitsLost, 7);
    assert.equal(k.unitsDemanded, 17);
  });

  void it('follows recommendations: PO on order, arrival, stale and duplicate ignored, hand-computed KPIs', () => {
    const inv = inventory(true);
    inv.sell(0, 4, DAY); // 10 -> 6
    inv.sell(0, 10, 2 * DAY); // 6 sold, 4 lost; out of stock from day 2
    inv.loseDemand(1.5, 2.5 * DAY); // a view of the out-of-stock SKU
    // Before any recommendation, the fixed policy still runs for SKU 0.
    assert.equal(inv.fixedPolicy(0), true);
    const rec = { id: 'r1', reorder: true, qty: 20, stockTsMs: 2 * DAY };
    assert.equal(inv.placeRecommended(0, rec, 3 * DAY), 'placed');
    assert.equal(inv.onOrder[0], 20);
    assert.equal(inv.onHand[0], 0);
    assert.equal(inv.fixedPolicy(0), false);
    assert.equal(inv.fixedPolicy(1), true, 'a SKU without a recommendation keeps the fixed policy');
    assert.equal(inv.placeRecommended(0, rec, 3 * DAY), 'duplicate');
    // Computed from a position older than the PO just placed.
    assert.equal(
      inv.placeRecommended(0, { id: 'r2', reorder: true, qty: 20, stockTsMs: 2.5 * DAY }, 3 * DAY),
      'stale',
    );
    assert.equal(
      inv.placeRecommended(0, { id: 'r3', reorder: false, qty: 5, stockTsMs: 3 * DAY }, 3 * DAY),
      'no_order',
    );
    assert.equal(inv.onOrder[0], 20);
    // The fixed policy is off for SKU 0: under its reorder point, nothing is placed.
    assert.equal(inv.fixedReorder(0, 4 * DAY), 0);
    inv.receive(0, 20, 5 * DAY);
    assert.equal(inv.onHand[0], 20);
    assert.equal(inv.onOrder[0], 0);
    assert.equal(inv.lastChangeMs[0], 5 * DAY);

    const k = inv.kpis(6 * DAY);
    assert.equal(k.simulatedDays, 6);
    assert.equal(k.unitsSold, 10);
    assert.equal(k.unitsLost, 5.5);
    assert.equal(k.unitsDemanded, 15.5);
    assert.equal(k.fillRate, 10 / 15.5);
    // SKU 0 out from day 2 to day 5 (3), SKU 1 out all 6 days.
    assert.equal(k.stockoutSkuDays, 9);
    // SKU 0: 10 units × 1 day + 6 × 1 + 0 × 3 + 20 × 1 = 36 unit-days over 6 days.
    assert.equal(k.meanOnHandUnits, 6);
    assert.equal(k.purchaseOrdersPlaced, 1);
    assert.equal(k.unitsOrdered, 20);
    assert.equal(k.unitsReceived, 20);
    assert.equal(k.openPurchaseOrders, 0);
  });

  void it('the fixed policy orders reorderQty once at the reorder point; recommendations are off', () => {
    const inv = inventory(false);
    inv.sell(0, 6, DAY); // 10 -> 4: above the reorder point 3
    assert.equal(inv.fixedReorder(0, DAY), 0);
    inv.sell(0, 1, DAY); // 3 = the reorder point
    assert.equal(inv.fixedReorder(0, DAY), 12);
    assert.equal(inv.onOrder[0], 12);
    inv.sell(0, 1, DAY);
    assert.equal(inv.fixedReorder(0, DAY), 0, 'nothing while a PO is open');
    assert.equal(
      inv.placeRecommended(0, { id: 'x', reorder: true, qty: 5, stockTsMs: DAY }, DAY),
      'not_following',
    );
    inv.receive(0, 12, 3 * DAY);
    assert.equal(inv.onHand[0], 14);
    const k = inv.kpis(4 * DAY);
    assert.equal(k.purchaseOrdersPlaced, 1);
    assert.equal(k.unitsReceived, 12);
    // SKU 0: 10 × 1 + 2 × 2 + 14 × 1 = 28 unit-days over 4 days; SKU 1 out 4 days.
    assert.equal(k.meanOnHandUnits, 7);
    assert.equal(k.stockoutSkuDays, 4);
  });

  void it('resetKpis starts the counters and integrals afresh', () => {
    const inv = inventory(false);
    inv.sell(0, 4, DAY);
    inv.resetKpis(2 * DAY);
    inv.sell(0, 2, 3 * DAY); // 6 -> 4
    const k = inv.kpis(4 * DAY);
    assert.equal(k.unitsSold, 2);
    assert.equal(k.simulatedDays, 2);
    // SKU 0: 6 × 1 + 4 × 1 = 10 unit-days over 2 days.
    assert.equal(k.meanOnHandUnits, 5);
    assert.equal(k.stockoutSkuDays, 2);
    assert.equal(inv.kpis(4 * DAY).fillRate, 1);
  });

  void it('a session start loses the expected units of the out-of-stock SKUs (popularity share)', () => {
    const cat = new Catalogue(3, 2);
    const inv = inventory(false);
    inv.recomputeOutShare();
    const share = (i: number) => (cat.popularity[i] ?? 0) / cat.totalPopularity;
    assert.ok(share(0) > 0 && share(1) > 0);
    inv.loseSessionDemand(2, DAY); // SKU 1 out
    assert.equal(inv.kpis(DAY).unitsLost, 2 * share(1));
    inv.sell(0, 10, DAY); // SKU 0 out too
    inv.loseSessionDemand(2, DAY);
    assert.ok(Math.abs(inv.kpis(DAY).unitsLost - (2 * share(1) + 2)) < 1e-9);
    inv.receive(1, 5, DAY); // SKU 1 back
    inv.receive(0, 5, DAY); // SKU 0 back
    inv.loseSessionDemand(2, DAY);
    assert.ok(Math.abs(inv.kpis(DAY).unitsLost - (2 * share(1) + 2)) < 1e-9, 'nothing out');
  });
});

import type { ClickstreamType } from '@storepulse/contracts';
import { type Catalogue, cat } from './catalogue';
import type { Inventory } from './inventory';
import type { Prng } from './prng';
import type { Promotions } from './promotions';
import { INTENTS, type UserProfile } from './users';

export interface OrderLine {
  sku: number;
  qty: number;
  unitPrice: number;
}

export interface Step {
  /** Absolute event time (ms), strictly increasing within a session. */
  at: number;
  type: ClickstreamType | 'order_placed';
  /** SKU index or -1. */
  sku: number;
  price: number;
  /** Category index or -1. */
  category: number;
  query?: string;
  items?: OrderLine[];
}

export interface PlanContext {
  catalogue: Catalogue;
  /** undefined = everything in stock. */
  inventory: Pick<Inventory, 'available'> | undefined;
  /** Already moved to the session start; undefined = ignore promotions. */
  promotions: Promotions | undefined;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function searchQuery(rng: Prng, c: number): string {
  const spec = cat(c);
  const noun = rng.pick(spec.nouns);
  const r = rng.next();
  if (r < 0.45) return noun;
  if (r < 0.9) return `${rng.pick(spec.modifiers)} ${noun}`;
  return `${noun} ${rng.pick(['cheap', 'best', 'sale', 'review', 'deal'])}`;
}

/**
 * Plans a whole session: landing (page view or search), a geometric number of actions (searches,
 * category pages, product views, cart adds/removes) and, with a non-empty cart, checkout and order,
 * abandoning at every step. Pure apart from consuming `rng` (stock and promotions are only read).
 */
export function planSession(
  ctx: PlanContext,
  rng: Prng,
  user: UserProfile,
  startMs: number,
): Step[] {
  const p = INTENTS[user.intent];
  const { catalogue, inventory } = ctx;
  const promos = ctx.promotions?.anyActive ? ctx.promotions : undefined;
  const pPromo = promos ? promos.promoPickProbability(p.promoAffinity) : 0;
  const steps: Step[] = [];
  const cart = new Map<number, OrderLine>();
  let t = startMs;
  let curCat = rng.chance(p.prefCatProb) ? user.prefCategory : catalogue.pickCategory(rng);
  const priceOf = (sku: number): number => {
    const base = catalogue.basePrice[sku] ?? 0;
    const d = promos ? promos.discountOf(sku) : 0;
    return d > 0 ? round2(base * (1 - d)) : base;
  };
  const think = (mean: number): number => 800 + Math.round(rng.exp(mean));

  if (rng.chance(p.searchFirst)) {
    steps.push({
      at: t,
      type: 'search',
      sku: -1,
      price: 0,
      category: -1,
      query: searchQuery(rng, curCat),
    });
  } else {
    steps.push({
      at: t,
      type: 'page_view',
      sku: -1,
      price: 0,
      category: rng.chance(0.6) ? -1 : curCat,
    });
  }

  const actions = 1 + rng.geometric(p.meanActions);
  for (let k = 0; k < actions; k++) {
    t += think(p.dwellMs);
    const r = rng.next();
    if (cart.size > 0 && rng.chance(p.removeProb)) {
      const lines = [...cart.keys()];
      const sku = lines[rng.int(lines.length)] ?? 0;
      cart.delete(sku);
      steps.push({
        at: t,
        type: 'remove_from_cart',
        sku,
        price: priceOf(sku),
        category: catalogue.categoryOf[sku] ?? 0,
      });
    } else if (r < p.searchProb) {
      if (!rng.chance(p.prefCatProb)) curCat = catalogue.pickCategory(rng);
      steps.push({
        at: t,
        type: 'search',
        sku: -1,
        price: 0,
        category: -1,
        query: searchQuery(rng, curCat),
      });
    } else if (r < p.searchProb + p.browseProb) {
      if (!rng.chance(p.prefCatProb)) curCat = catalogue.pickCategory(rng);
      steps.push({ at: t, type: 'page_view', sku: -1, price: 0, category: curCat });
    } else {
      let sku: number;
      if (promos && rng.chance(pPromo)) sku = promos.pickPromoted(rng);
      else
        sku = catalogue.pickInCategory(
          rng,
          rng.chance(0.75) ? curCat : catalogue.pickCategory(rng),
        );
      const c = catalogue.categoryOf[sku] ?? 0;
      curCat = c;
      const price = priceOf(sku);
      steps.push({ at: t, type: 'product_view', sku, price, category: c });
      const d = promos ? promos.discountOf(sku) : 0;
      const cartP = p.cartProb * (d > 0 ? 1 + d * 3 * p.promoAffinity : 1);
      if (
        (inventory === undefined || inventory.available(sku)) &&
        !cart.has(sku) &&
        rng.chance(cartP)
      ) {
        t += think(p.dwellMs / 2);
        const extra = rng.chance(cat(c).multiUnit) ? 1 + rng.geometric(p.extraUnits + 0.4) : 0;
        cart.set(sku, { sku, qty: 1 + extra, unitPrice: price });
        steps.push({ at: t, type: 'add_to_cart', sku, price, category: c });
      }
    }
  }

  if (cart.size > 0 && rng.chance(p.checkoutProb)) {
    t += think(20_000);
    steps.push({ at: t, type: 'checkout_started', sku: -1, price: 0, category: -1 });
    if (rng.chance(p.purchaseProb)) {
      t += think(60_000);
      steps.push({
        at: t,
        type: 'order_placed',
        sku: -1,
        price: 0,
        category: -1,
        items: [...cart.values()],
      });
    }
  }
  return steps;
}

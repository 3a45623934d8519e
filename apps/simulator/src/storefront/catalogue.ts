import { Prng } from './prng';

export interface CategorySpec {
  name: string;
  /** Relative share of the SKUs. */
  share: number;
  /** Median price (EUR) and log-normal spread. */
  median: number;
  sigma: number;
  /** Share of order lines that buy more than one unit. */
  multiUnit: number;
  nouns: readonly string[];
  modifiers: readonly string[];
}

export const CATEGORIES: readonly CategorySpec[] = [
  {
    name: 'electronics',
    share: 0.1,
    median: 89,
    sigma: 0.9,
    multiUnit: 0.05,
    nouns: ['headphones', 'speaker', 'smartwatch', 'camera', 'tv', 'soundbar', 'charger'],
    modifiers: ['wireless', 'bluetooth', '4k', 'noise cancelling', 'portable', 'usb-c'],
  },
  {
    name: 'computers',
    share: 0.07,
    median: 149,
    sigma: 1.0,
    multiUnit: 0.05,
    nouns: ['laptop', 'monitor', 'keyboard', 'mouse', 'ssd', 'router', 'webcam'],
    modifiers: ['gaming', 'mechanical', '27 inch', '1tb', 'ergonomic', 'wifi 6'],
  },
  {
    name: 'phones',
    share: 0.05,
    median: 59,
    sigma: 1.2,
    multiUnit: 0.04,
    nouns: ['smartphone', 'phone case', 'screen protector', 'power bank', 'cable'],
    modifiers: ['5g', 'refurbished', 'magsafe', 'fast charging', 'dual sim'],
  },
  {
    name: 'home_kitchen',
    share: 0.12,
    median: 34,
    sigma: 0.8,
    multiUnit: 0.15,
    nouns: ['coffee maker', 'pan', 'knife set', 'blender', 'towels', 'lamp', 'air fryer'],
    modifiers: ['stainless steel', 'non stick', 'cotton', 'led', 'compact', 'large'],
  },
  {
    name: 'fashion',
    share: 0.14,
    median: 29,
    sigma: 0.6,
    multiUnit: 0.12,
    nouns: ['t-shirt', 'jeans', 'dress', 'jacket', 'hoodie', 'scarf', 'socks'],
    modifiers: ['slim fit', 'oversized', 'organic', 'black', 'summer', 'wool'],
  },
  {
    name: 'shoes',
    share: 0.06,
    median: 64,
    sigma: 0.5,
    multiUnit: 0.03,
    nouns: ['sneakers', 'running shoes', 'boots', 'sandals', 'loafers'],
    modifiers: ['size 42', 'leather', 'waterproof', 'white', 'trail', 'kids'],
  },
  {
    name: 'beauty',
    share: 0.08,
    median: 16,
    sigma: 0.6,
    multiUnit: 0.25,
    nouns: ['moisturizer', 'shampoo', 'perfume', 'lipstick', 'sunscreen', 'serum'],
    modifiers: ['spf 50', 'vegan', 'fragrance free', 'travel size', 'hydrating'],
  },
  {
    name: 'sports_outdoors',
    share: 0.07,
    median: 39,
    sigma: 0.9,
    multiUnit: 0.08,
    nouns: ['yoga mat', 'tent', 'dumbbells', 'bike helmet', 'water bottle', 'backpack'],
    modifiers: ['2 person', 'adjustable', 'insulated', 'lightweight', '20l'],
  },
  {
    name: 'toys_games',
    share: 0.07,
    median: 24,
    sigma: 0.7,
    multiUnit: 0.1,
    nouns: ['lego set', 'board game', 'puzzle', 'doll', 'rc car', 'plush'],
    modifiers: ['1000 pieces', 'family', 'kids 6+', 'educational', 'wooden'],
  },
  {
    name: 'books',
    share: 0.12,
    median: 14,
    sigma: 0.35,
    multiUnit: 0.06,
    nouns: ['novel', 'cookbook', 'biography', 'comic', 'travel guide', 'textbook'],
    modifiers: ['paperback', 'hardcover', 'bestseller', 'new edition', 'illustrated'],
  },
  {
    name: 'grocery',
    share: 0.08,
    median: 6,
    sigma: 0.6,
    multiUnit: 0.45,
    nouns: ['coffee beans', 'olive oil', 'pasta', 'tea', 'chocolate', 'snacks'],
    modifiers: ['organic', '1kg', 'fair trade', 'gluten free', 'family pack'],
  },
  {
    name: 'garden',
    share: 0.04,
    median: 42,
    sigma: 0.8,
    multiUnit: 0.15,
    nouns: ['hose', 'planter', 'lawn mower', 'seeds', 'bbq grill', 'garden chair'],
    modifiers: ['cordless', 'ceramic', 'foldable', 'solar', 'weatherproof'],
  },
];

export interface CatalogueItem {
  sku: string;
  category: string;
  basePrice: number;
}

const ZIPF_S = 1.05;

export function skuId(i: number): string {
  return 'SKU-' + String(i + 1).padStart(6, '0');
}

/** Rounds to a "retail" price: x.99 above 10 EUR, cents below. */
function retailPrice(p: number): number {
  if (p >= 10) return Math.max(0.99, Math.round(p) - 0.01);
  return Math.max(0.49, Math.round(p * 100) / 100);
}

/**
 * A seeded product catalogue. SKUs get a category (by category share), a log-normal price around the
 * category median and a Zipf popularity (a random permutation of ranks).
 */
export class Catalogue {
  readonly size: number;
  readonly items: ReadonlyArray<CatalogueItem>;
  /** Per SKU index. */
  readonly categoryOf: Uint8Array;
  readonly basePrice: Float64Array;
  readonly popularity: Float64Array;
  readonly totalPopularity: number;
  /** Per category: SKU indexes and cumulative popularity for sampling. */
  private readonly catSkus: Int32Array[];
  private readonly catCum: Float64Array[];
  readonly categoryWeight: Float64Array;

  constructor(seed: number, skus: number) {
    const rng = new Prng(seed ^ 0x0ca7a106);
    this.size = skus;
    this.categoryOf = new Uint8Array(skus);
    this.basePrice = new Float64Array(skus);
    this.popularity = new Float64Array(skus);
    const shareTotal = CATEGORIES.reduce((s, c) => s + c.share, 0);
    const ranks = new Int32Array(skus);
    for (let i = 0; i < skus; i++) ranks[i] = i;
    for (let i = skus - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = ranks[i] ?? 0;
      ranks[i] = ranks[j] ?? 0;
      ranks[j] = t;
    }
    const items: CatalogueItem[] = new Array<CatalogueItem>(skus);
    const counts = new Int32Array(CATEGORIES.length);
    let total = 0;
    for (let i = 0; i < skus; i++) {
      // Round-robin the first SKUs over categories so every category exists even in tiny catalogues.
      let c = i < CATEGORIES.length ? i : 0;
      if (i >= CATEGORIES.length) {
        let r = rng.next() * shareTotal;
        for (c = 0; c < CATEGORIES.length - 1; c++) {
          r -= CATEGORIES[c]?.share ?? 0;
          if (r < 0) break;
        }
      }
      const spec = cat(c);
      const price = retailPrice(rng.logNormal(spec.median, spec.sigma));
      const pop = 1 / Math.pow((ranks[i] ?? 0) + 1, ZIPF_S);
      this.categoryOf[i] = c;
      this.basePrice[i] = price;
      this.popularity[i] = pop;
      total += pop;
      counts[c] = (counts[c] ?? 0) + 1;
      items[i] = { sku: skuId(i), category: spec.name, basePrice: price };
    }
    this.items = items;
    this.totalPopularity = total;
    this.catSkus = CATEGORIES.map((_, c) => new Int32Array(counts[c] ?? 0));
    this.catCum = CATEGORIES.map((_, c) => new Float64Array(counts[c] ?? 0));
    this.categoryWeight = new Float64Array(CATEGORIES.length);
    const fill = new Int32Array(CATEGORIES.length);
    for (let i = 0; i < skus; i++) {
      const c = this.categoryOf[i] ?? 0;
      const k = fill[c] ?? 0;
      fill[c] = k + 1;
      const w = (this.categoryWeight[c] ?? 0) + (this.popularity[i] ?? 0);
      this.categoryWeight[c] = w;
      this.catSkus[c][k] = i;
      this.catCum[c][k] = w;
    }
  }

  /** A category index, proportional to the category's total popularity. */
  pickCategory(rng: Prng): number {
    let r = rng.next() * this.totalPopularity;
    const n = this.categoryWeight.length;
    for (let c = 0; c < n; c++) {
      r -= this.categoryWeight[c] ?? 0;
      if (r < 0 && (this.catSkus[c]?.length ?? 0) > 0) return c;
    }
    return this.categoryOf[0] ?? 0;
  }

  /** A SKU index within category `c`, Zipf-weighted by popularity. */
  pickInCategory(rng: Prng, c: number): number {
    const skus = this.catSkus[c];
    const cum = this.catCum[c];
    if (!skus || !cum || skus.length === 0) return rng.int(this.size);
    const r = rng.next() * (cum[cum.length - 1] ?? 0);
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cum[mid] ?? 0) > r) hi = mid;
      else lo = mid + 1;
    }
    return skus[lo] ?? 0;
  }

  skusInCategory(c: number): Int32Array {
    return this.catSkus[c] ?? new Int32Array(0);
  }

  categoryName(c: number): string {
    return cat(c).name;
  }
}

export function cat(c: number): CategorySpec {
  const spec = CATEGORIES[c];
  if (!spec) throw new RangeError(`no category ${c}`);
  return spec;
}

import { CATEGORIES } from './catalogue';
import { hash32, type Prng } from './prng';

export type Intent = 'browser' | 'researcher' | 'deal_hunter' | 'loyal';

export interface IntentParams {
  share: number;
  /** Mean number of actions after landing (geometric: abandonment at every step). */
  meanActions: number;
  /** Probability the session starts with a search (else a page view). */
  searchFirst: number;
  /** Per action: share of searches and of category page views (the rest are product views). */
  searchProb: number;
  browseProb: number;
  /** Per product view: probability to add to cart. */
  cartProb: number;
  /** Per action with a non-empty cart: probability to remove a line. */
  removeProb: number;
  /** With a non-empty cart at the end: probability to start checkout, then to place the order. */
  checkoutProb: number;
  purchaseProb: number;
  /** Probability to stay in the preferred category. */
  prefCatProb: number;
  /** Extra pull towards promoted SKUs and extra cart propensity on them. */
  promoAffinity: number;
  /** Mean extra units per order line. */
  extraUnits: number;
  /** Mean think time between clicks (ms). */
  dwellMs: number;
}

export const INTENTS: Record<Intent, IntentParams> = {
  browser: {
    share: 0.45,
    meanActions: 4,
    searchFirst: 0.15,
    searchProb: 0.1,
    browseProb: 0.35,
    cartProb: 0.045,
    removeProb: 0.08,
    checkoutProb: 0.35,
    purchaseProb: 0.55,
    prefCatProb: 0.45,
    promoAffinity: 1,
    extraUnits: 0.1,
    dwellMs: 22_000,
  },
  researcher: {
    share: 0.25,
    meanActions: 9,
    searchFirst: 0.8,
    searchProb: 0.35,
    browseProb: 0.08,
    cartProb: 0.07,
    removeProb: 0.12,
    checkoutProb: 0.45,
    purchaseProb: 0.65,
    prefCatProb: 0.7,
    promoAffinity: 1,
    extraUnits: 0.1,
    dwellMs: 30_000,
  },
  deal_hunter: {
    share: 0.15,
    meanActions: 7,
    searchFirst: 0.3,
    searchProb: 0.15,
    browseProb: 0.25,
    cartProb: 0.05,
    removeProb: 0.15,
    checkoutProb: 0.5,
    purchaseProb: 0.7,
    prefCatProb: 0.3,
    promoAffinity: 3,
    extraUnits: 0.3,
    dwellMs: 15_000,
  },
  loyal: {
    share: 0.15,
    meanActions: 4,
    searchFirst: 0.3,
    searchProb: 0.2,
    browseProb: 0.1,
    cartProb: 0.3,
    removeProb: 0.05,
    checkoutProb: 0.75,
    purchaseProb: 0.85,
    prefCatProb: 0.8,
    promoAffinity: 1.2,
    extraUnits: 0.6,
    dwellMs: 12_000,
  },
};

/** `pick` draws the activity rank as floor(count * u^ACTIVITY_SKEW), u uniform in [0, 1). */
const ACTIVITY_SKEW = 2.2;

const INTENT_ORDER: readonly Intent[] = ['browser', 'researcher', 'deal_hunter', 'loyal'];

export interface UserProfile {
  index: number;
  id: string;
  intent: Intent;
  prefCategory: number;
}

export function userId(i: number): string {
  return 'u-' + String(i + 1).padStart(6, '0');
}

/**
 * The user base. Attributes are a pure function of (seed, index), so it costs no memory even for
 * millions of users. Activity is skewed: a minority of users makes most of the sessions.
 */
export class Users {
  private readonly mult: number;
  private readonly offset: number;
  private inverse: number | undefined;

  constructor(
    private readonly seed: number,
    readonly count: number,
  ) {
    // A multiplier coprime with `count` scrambles "activity rank" -> user index bijectively.
    let m = 2_654_435_761 % Math.max(1, count) || 1;
    while (gcd(m, count) !== 1) m++;
    this.mult = m;
    this.offset = hash32(seed, 0x05e7) % Math.max(1, count);
  }

  profile(index: number): UserProfile {
    const h = hash32(this.seed, index, 0x1a7e);
    let r = (h & 0xffff) / 65536;
    let intent: Intent = 'browser';
    for (const name of INTENT_ORDER) {
      intent = name;
      r -= INTENTS[name].share;
      if (r < 0) break;
    }
    return { index, id: userId(index), intent, prefCategory: (h >>> 16) % CATEGORIES.length };
  }

  /** A user for a new session (heavy users come back more often). */
  pick(rng: Prng): UserProfile {
    const rank = Math.floor(this.count * Math.pow(rng.next(), ACTIVITY_SKEW));
    // mult < count <= 1e7, so the product stays far below 2^53.
    const idx = (rank * this.mult + this.offset) % this.count;
    return this.profile(idx);
  }

  /** Activity rank of a user index (0 = the most active): the inverse of the scramble in `pick`. */
  rankOf(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`user index ${index} is outside [0, ${this.count})`);
    }
    this.inverse ??= modInverse(this.mult, this.count);
    const shifted = (index - this.offset + this.count) % this.count;
    return (shifted * this.inverse) % this.count;
  }

  /**
   * Exact probability that `pick` returns the user at `index`:
   * P(rank = r) = ((r + 1) / count)^(1/2.2) - (r / count)^(1/2.2).
   */
  pickProbability(index: number): number {
    return this.rankProbability(this.rankOf(index));
  }

  /** P(`pick` draws activity rank `r`): ((r + 1) / count)^(1/2.2) - (r / count)^(1/2.2). */
  rankProbability(r: number): number {
    const e = 1 / ACTIVITY_SKEW;
    return Math.pow((r + 1) / this.count, e) - Math.pow(r / this.count, e);
  }
}

/** Inverse of `a` modulo `n` (gcd(a, n) = 1), by the extended Euclidean algorithm. */
function modInverse(a: number, n: number): number {
  if (n === 1) return 0;
  let [r0, r1] = [n, a % n];
  let [t0, t1] = [0, 1];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return ((t0 % n) + n) % n;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

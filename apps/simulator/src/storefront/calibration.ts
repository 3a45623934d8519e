/**
 * Quantities of the storefront's generative process shared by the Storefront (which runs it) and the
 * PropensityOracle (which computes its probabilities): the random streams of a run, the calibrated
 * shape of an average session and the session arrival rate that follows from a message rate.
 */
import type { Catalogue } from './catalogue';
import { hash32, hashMs, hex8, Prng } from './prng';
import { planSession } from './session';
import type { Users } from './users';

/** Share of placed orders cancelled later. */
export const CANCEL_RATE = 0.04;
/** Default period of the per-SKU stock messages. */
export const DEFAULT_INVENTORY_INTERVAL_MS = 3_600_000;
/** Default target message rate (all topics). */
export const DEFAULT_EVENTS_PER_SEC = 50;

/** The random streams of one run (behaviour, ids, malformations, promotion calendar). */
export interface RunStreams {
  runTag: string;
  beh: Prng;
  ids: Prng;
  mal: Prng;
  promo: Prng;
}

/** Derives a run's streams from (seed, startMs); the fork order is part of the output format. */
export function runStreams(seed: number, startMs: number): RunStreams {
  const run = hash32(seed, hashMs(startMs), 0x5707e);
  const root = new Prng(run);
  const beh = root.fork(1);
  const ids = root.fork(2);
  const mal = root.fork(3);
  const promo = root.fork(4);
  return { runTag: hex8(run), beh, ids, mal, promo };
}

export interface SessionShape {
  /** Mean messages per session (clicks, the order, the expected cancellation). */
  eventsPerSession: number;
  /** Mean units ordered per session. */
  unitsPerSession: number;
}

/**
 * Calibrates the average session (2,000 planned sessions, activity-weighted users, all in stock, no
 * promotions) from its own stream, so the result depends on the seed and the population only.
 */
export function sessionShape(
  seed: number,
  catalogue: Catalogue,
  users: Users,
  startMs: number,
): SessionShape {
  const cal = new Prng(hash32(seed, 0xca1b));
  let ev = 0;
  let units = 0;
  const n = 2000;
  for (let k = 0; k < n; k++) {
    const plan = planSession(
      { catalogue, inventory: undefined, promotions: undefined },
      cal,
      users.pick(cal),
      startMs,
    );
    ev += plan.length;
    const last = plan[plan.length - 1];
    if (last?.items) {
      ev += CANCEL_RATE;
      for (const it of last.items) units += it.qty;
    }
  }
  return { eventsPerSession: ev / n, unitsPerSession: units / n };
}

/** Session arrivals per second (at seasonality 1) for a target message rate. */
export function sessionsPerSecond(
  eventsPerSec: number,
  shape: SessionShape,
  skus: number,
  inventoryIntervalMs: number,
): number {
  const inventoryPerSec = (skus * 1000) / inventoryIntervalMs;
  return Math.max(0, eventsPerSec - inventoryPerSec) / shape.eventsPerSession;
}

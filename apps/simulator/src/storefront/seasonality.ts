/**
 * Traffic seasonality (UTC is the store's local time): an intraday curve with a night trough and an
 * evening peak, and a weekly curve with busier weekends. Normalised so the weekly average is 1.
 */
const HOURLY: readonly number[] = [
  0.45, 0.3, 0.2, 0.15, 0.13, 0.15, 0.25, 0.45, 0.7, 0.85, 0.95, 1.0, 1.1, 1.05, 1.0, 1.0, 1.05,
  1.15, 1.35, 1.6, 1.75, 1.7, 1.35, 0.85,
];
/** Index 0 = Sunday (Date#getUTCDay). */
const WEEKDAY: readonly number[] = [1.3, 0.92, 0.9, 0.92, 0.95, 1.08, 1.35];

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const meanH = HOURLY.reduce((a, b) => a + b, 0) / HOURLY.length;
const meanW = WEEKDAY.reduce((a, b) => a + b, 0) / WEEKDAY.length;
const NORM = 1 / (meanH * meanW);

/** Relative traffic at `ms` (weekly mean 1), linearly interpolated between hours. */
export function seasonality(ms: number): number {
  const day = Math.floor(ms / DAY_MS);
  const dow = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  const hf = (ms - day * DAY_MS) / HOUR_MS;
  const h = Math.floor(hf);
  const frac = hf - h;
  const a = HOURLY[h] ?? 1;
  const b = HOURLY[(h + 1) % 24] ?? 1;
  return (a + (b - a) * frac) * (WEEKDAY[dow] ?? 1) * NORM;
}

export const SEASONALITY_PEAK = Math.max(...HOURLY) * Math.max(...WEEKDAY) * NORM;

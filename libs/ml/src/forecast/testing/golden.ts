// Test support: locates and parses shared/golden/forecasting/statsforecast-reference.json by walking
// up from a start folder to the first ancestor that has a `shared/golden` folder beside its contents.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface GoldenSeries {
  name: string;
  season_length: number;
  y: number[];
  seasonal_naive: number[];
  auto_ets: { chosen: string; aicc: number; mean: number[]; lo_80: number[]; hi_80: number[] };
  croston_classic?: number[];
  'tsb_alpha_d_0.2_alpha_p_0.2'?: number[];
}

export interface GoldenFile {
  generated_with: string;
  horizon: number;
  level: number;
  series: GoldenSeries[];
}

export const GOLDEN_RELATIVE = join(
  'shared',
  'golden',
  'forecasting',
  'statsforecast-reference.json',
);

/**
 * Walks up from `start` (to the filesystem root, or to `top` inclusive); returns the first
 * <ancestor>/shared/golden/forecasting/statsforecast-reference.json.
 */
export function findGoldenFile(start: string, top?: string): string {
  const tried: string[] = [];
  let dir = start;
  for (;;) {
    const candidate = join(dir, GOLDEN_RELATIVE);
    tried.push(candidate);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir || dir === top) break;
    dir = parent;
  }
  throw new Error(
    `statsforecast reference not found: no ${GOLDEN_RELATIVE} in any folder from ${start} up to ${top ?? 'the root'} ` +
      `(a checkout needs the shared/ folder beside it; looked at ${tried.length} places, first ${tried[0]}, last ${tried[tried.length - 1]})`,
  );
}

export function loadGolden(start: string): GoldenFile {
  const path = findGoldenFile(start);
  const data = JSON.parse(readFileSync(path, 'utf8')) as GoldenFile;
  if (!Array.isArray(data.series) || data.series.length === 0) {
    throw new Error(`${path}: expected a non-empty "series" array`);
  }
  return data;
}

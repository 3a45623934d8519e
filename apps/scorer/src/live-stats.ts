// What the scorer has been serving, per model: how many scores, their distribution (20 bins), for
// GET /api/predictions/live and the dashboard's Models page.
export interface LiveModelStats {
  name: string;
  version: number;
  horizon: string;
  scored: number;
  histogram: { lo: number; hi: number; count: number }[];
}

const BINS = 20;

export class LiveStats {
  private readonly models = new Map<
    string,
    { version: number; horizon: string; scored: number; bins: Float64Array }
  >();

  /** Counts a batch of scores of one model version (a new version starts a new distribution). */
  add(name: string, version: number, horizon: string, scores: ArrayLike<number>): void {
    let m = this.models.get(name);
    if (!m || m.version !== version) {
      m = { version, horizon, scored: 0, bins: new Float64Array(BINS) };
      this.models.set(name, m);
    }
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i];
      m.bins[Math.min(BINS - 1, Math.max(0, Math.floor(s * BINS)))] += 1;
    }
    m.scored += scores.length;
  }

  list(): LiveModelStats[] {
    return [...this.models.entries()]
      .map(([name, m]) => ({
        name,
        version: m.version,
        horizon: m.horizon,
        scored: m.scored,
        histogram: [...m.bins].map((count, i) => ({ lo: i / BINS, hi: (i + 1) / BINS, count })),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

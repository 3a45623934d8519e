// The replenishment consumer's state: the latest demand forecast and the latest stock position per
// SKU. Warmed from ClickHouse at start, then updated from each batch in offset order; a message older
// than what is held (stock ts, forecast generated_at) does not replace it.
import type { DemandForecastMessage } from '@storepulse/contracts';

/** A stock position as held in the state (ts normalised to ISO-8601 UTC, millisecond precision). */
export interface HeldStock {
  sku: string;
  onHand: number;
  onOrder: number;
  leadTimeDays: number;
  /** ISO-8601 UTC (`Date.toISOString()`). */
  ts: string;
  tsMs: number;
}

/** A forecast as held in the state (generated_at normalised to ISO-8601 UTC). */
export interface HeldForecast {
  message: DemandForecastMessage;
  generatedAtMs: number;
}

export interface SkuState {
  forecast?: HeldForecast;
  stock?: HeldStock;
}

/** `applied`: the state now holds this message's value; `stale`: an older message, ignored. */
export type ApplyOutcome = 'applied' | 'stale';

export const normaliseTs = (iso: string): { iso: string; ms: number } => {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`not a timestamp: ${iso}`);
  return { iso: new Date(ms).toISOString(), ms };
};

export function heldForecast(m: DemandForecastMessage): HeldForecast {
  const g = normaliseTs(m.generated_at);
  return { message: { ...m, generated_at: g.iso }, generatedAtMs: g.ms };
}

export function heldStock(s: {
  sku: string;
  on_hand: number;
  on_order: number;
  lead_time_days: number;
  ts: string;
}): HeldStock {
  const t = normaliseTs(s.ts);
  return {
    sku: s.sku,
    onHand: s.on_hand,
    onOrder: s.on_order,
    leadTimeDays: s.lead_time_days,
    ts: t.iso,
    tsMs: t.ms,
  };
}

export class ReplenishmentState {
  private readonly skus = new Map<string, SkuState>();

  get(sku: string): SkuState | undefined {
    return this.skus.get(sku);
  }

  private entry(sku: string): SkuState {
    let s = this.skus.get(sku);
    if (!s) {
      s = {};
      this.skus.set(sku, s);
    }
    return s;
  }

  /** Equal generated_at replaces (a redelivery or a republication of the same hour). */
  applyForecast(f: HeldForecast): ApplyOutcome {
    const s = this.entry(f.message.sku);
    if (s.forecast && f.generatedAtMs < s.forecast.generatedAtMs) return 'stale';
    s.forecast = f;
    return 'applied';
  }

  /** Equal ts replaces (the later message in offset order wins). */
  applyStock(st: HeldStock): ApplyOutcome {
    const s = this.entry(st.sku);
    if (s.stock && st.tsMs < s.stock.tsMs) return 'stale';
    s.stock = st;
    return 'applied';
  }

  /** SKUs with a forecast / with a stock position. */
  sizes(): { forecasts: number; stock: number; skus: number } {
    let forecasts = 0;
    let stock = 0;
    for (const s of this.skus.values()) {
      if (s.forecast) forecasts++;
      if (s.stock) stock++;
    }
    return { forecasts, stock, skus: this.skus.size };
  }
}

// Promotion gate: decides whether a freshly trained candidate may replace the champion (or become
// the first champion), from metrics measured on the same held-out cut-off. Pure, no I/O.
//   classification (propensity): AUC (higher is better) and log loss (lower is better);
//   forecasts (demand): mean weighted quantile loss (lower is better).

/** Classification metrics of one model on the latest held-out cut-off. */
export interface GateMetrics {
  auc: number;
  logLoss: number;
}

export interface GateConfig {
  /** Largest AUC drop (absolute) tolerated against the champion. Default 0.005. */
  maxAucDrop: number;
  /** Largest log-loss increase tolerated against the champion, relative (0.02 = +2 %). Default 0.02. */
  maxLogLossIncrease: number;
}

export interface GateDecision {
  promote: boolean;
  reason: string;
}

/** Forecast metrics of one model on the latest held-out cut-off. */
export interface ForecastGateMetrics {
  meanWql: number;
}

export interface ForecastGateConfig {
  /** Largest mean-WQL increase tolerated against the champion, relative (0.02 = +2 %). Default 0.02. */
  maxWqlIncrease: number;
}

export const DEFAULT_GATE_CONFIG: Readonly<GateConfig> = {
  maxAucDrop: 0.005,
  maxLogLossIncrease: 0.02,
};

export const DEFAULT_FORECAST_GATE_CONFIG: Readonly<ForecastGateConfig> = { maxWqlIncrease: 0.02 };

/**
 * Slack on tolerance comparisons, so that a candidate exactly at the tolerance passes despite the
 * rounding of `champion − drop` or `champion × (1 + tol)` in binary floating point.
 */
export const GATE_EPSILON = 1e-12;

/** Six significant digits: enough to tell "at the tolerance" from "just over" in a reason. */
function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

function checkTolerance(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`gate config: ${name} must be a finite number >= 0 (got ${value})`);
}

/** Why classification metrics cannot be compared, or null when they are valid. */
function invalidClassification(who: string, m: GateMetrics): string | null {
  if (!Number.isFinite(m.auc) || m.auc < 0 || m.auc > 1)
    return `${who} auc is ${fmt(m.auc)}, not a number in [0, 1]`;
  if (!Number.isFinite(m.logLoss) || m.logLoss < 0)
    return `${who} log loss is ${fmt(m.logLoss)}, not a finite number >= 0`;
  return null;
}

function invalidForecast(who: string, m: ForecastGateMetrics): string | null {
  if (!Number.isFinite(m.meanWql) || m.meanWql < 0)
    return `${who} mean WQL is ${fmt(m.meanWql)}, not a finite number >= 0`;
  return null;
}

/**
 * With a champion: promote only if candidate.auc >= champion.auc − maxAucDrop AND
 * candidate.logLoss <= champion.logLoss × (1 + maxLogLossIncrease).
 * Without a champion: promote only if the candidate beats the heuristic baseline: AUC strictly
 * higher AND log loss not higher (<=). No champion and no baseline: not promoted.
 * Invalid metrics (NaN, infinite, AUC outside [0, 1], negative log loss) are never promoted.
 */
export function decidePromotion(
  input: { candidate: GateMetrics; champion: GateMetrics | null; baseline: GateMetrics | null },
  cfg: GateConfig = DEFAULT_GATE_CONFIG,
): GateDecision {
  checkTolerance('maxAucDrop', cfg.maxAucDrop);
  checkTolerance('maxLogLossIncrease', cfg.maxLogLossIncrease);
  const { candidate, champion, baseline } = input;
  const bad = invalidClassification('candidate', candidate);
  if (bad) return { promote: false, reason: bad };

  if (champion) {
    const badChampion = invalidClassification('champion', champion);
    if (badChampion) return { promote: false, reason: `cannot compare: ${badChampion}` };
    const minAuc = champion.auc - cfg.maxAucDrop;
    const maxLogLoss = champion.logLoss * (1 + cfg.maxLogLossIncrease);
    const aucOk = candidate.auc >= minAuc - GATE_EPSILON;
    const logLossOk = candidate.logLoss <= maxLogLoss + GATE_EPSILON;
    const aucText = `auc ${fmt(candidate.auc)} ${aucOk ? '>=' : '<'} ${fmt(minAuc)} (champion ${fmt(champion.auc)} − ${fmt(cfg.maxAucDrop)})`;
    const logLossText = `log loss ${fmt(candidate.logLoss)} ${logLossOk ? '<=' : '>'} ${fmt(maxLogLoss)} (champion ${fmt(champion.logLoss)} × ${fmt(1 + cfg.maxLogLossIncrease)})`;
    if (aucOk && logLossOk) return { promote: true, reason: `${aucText} and ${logLossText}` };
    const failing = [aucOk ? null : aucText, logLossOk ? null : logLossText].filter(
      (s): s is string => s !== null,
    );
    return { promote: false, reason: `worse than the champion: ${failing.join('; ')}` };
  }

  if (!baseline)
    return {
      promote: false,
      reason: 'no champion and no baseline: a first model must beat the heuristic baseline',
    };
  const badBaseline = invalidClassification('baseline', baseline);
  if (badBaseline) return { promote: false, reason: `cannot compare: ${badBaseline}` };
  const aucOk = candidate.auc > baseline.auc;
  const logLossOk = candidate.logLoss <= baseline.logLoss;
  const aucText = `auc ${fmt(candidate.auc)} ${aucOk ? '>' : '<='} baseline ${fmt(baseline.auc)}`;
  const logLossText = `log loss ${fmt(candidate.logLoss)} ${logLossOk ? '<=' : '>'} baseline ${fmt(baseline.logLoss)}`;
  if (aucOk && logLossOk)
    return { promote: true, reason: `first champion: ${aucText} and ${logLossText}` };
  const failing = [aucOk ? null : aucText, logLossOk ? null : logLossText].filter(
    (s): s is string => s !== null,
  );
  return { promote: false, reason: `does not beat the baseline: ${failing.join('; ')}` };
}

/**
 * Forecasts, lower is better. With a champion: promote only if
 * candidate.meanWql <= champion.meanWql × (1 + maxWqlIncrease). Without a champion: promote only if
 * the candidate beats the seasonal-naive baseline (mean WQL strictly lower). No champion and no
 * baseline, or invalid metrics (NaN, infinite, negative): not promoted.
 */
export function decideForecastPromotion(
  input: {
    candidate: ForecastGateMetrics;
    champion: ForecastGateMetrics | null;
    baseline: ForecastGateMetrics | null;
  },
  cfg: ForecastGateConfig = DEFAULT_FORECAST_GATE_CONFIG,
): GateDecision {
  checkTolerance('maxWqlIncrease', cfg.maxWqlIncrease);
  const { candidate, champion, baseline } = input;
  const bad = invalidForecast('candidate', candidate);
  if (bad) return { promote: false, reason: bad };

  if (champion) {
    const badChampion = invalidForecast('champion', champion);
    if (badChampion) return { promote: false, reason: `cannot compare: ${badChampion}` };
    const maxWql = champion.meanWql * (1 + cfg.maxWqlIncrease);
    const ok = candidate.meanWql <= maxWql + GATE_EPSILON;
    const text = `mean WQL ${fmt(candidate.meanWql)} ${ok ? '<=' : '>'} ${fmt(maxWql)} (champion ${fmt(champion.meanWql)} × ${fmt(1 + cfg.maxWqlIncrease)})`;
    return ok
      ? { promote: true, reason: text }
      : { promote: false, reason: `worse than the champion: ${text}` };
  }

  if (!baseline)
    return {
      promote: false,
      reason: 'no champion and no baseline: a first model must beat the seasonal-naive baseline',
    };
  const badBaseline = invalidForecast('baseline', baseline);
  if (badBaseline) return { promote: false, reason: `cannot compare: ${badBaseline}` };
  const ok = candidate.meanWql < baseline.meanWql;
  const text = `mean WQL ${fmt(candidate.meanWql)} ${ok ? '<' : '>='} seasonal-naive baseline ${fmt(baseline.meanWql)}`;
  return ok
    ? { promote: true, reason: `first champion: ${text}` }
    : { promote: false, reason: `does not beat the baseline: ${text}` };
}

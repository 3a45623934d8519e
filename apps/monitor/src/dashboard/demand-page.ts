import { API_KEY_SCRIPT } from './api-key-script';
/**
 * The Demand page of the dashboard (served at /demand): one static HTML page whose inline script
 * polls the JSON endpoints under /api/dashboard/demand (skus, sku/:sku, model, reorder, loop) and
 * renders a SKU picker, the per-SKU fan chart (P10–P90 band, P50, 56 days of actuals before the
 * origin), the backtest per method with the champion highlighted next to the baselines, the demand
 * model versions and events, the reorder-now table and the simulated shop with vs without
 * StorePulse (KPIs per policy side by side, and the cumulative fill rate over time). Chart.js comes from /dashboard/chart.umd.min.js. The client script
 * avoids template literals and backslashes so it can live in this TypeScript string.
 */

/** Default polling interval of the page, in milliseconds. */
export const DEMAND_POLL_MS = 15_000;
/** How many SKUs the picker lists by forecast volume. */
export const DEMAND_TOP_SKUS = 12;

export interface DemandPageOptions {
  /** How often the page polls the APIs, in ms (integer >= 250; default DEMAND_POLL_MS). */
  pollMs?: number;
}

/** The HTML of the Demand page. Throws a RangeError for a pollMs that is not an integer >= 250. */
export function demandPageHtml(options: DemandPageOptions = {}): string {
  const pollMs = options.pollMs ?? DEMAND_POLL_MS;
  if (!Number.isInteger(pollMs) || pollMs < 250)
    throw new RangeError(`pollMs: ${String(pollMs)} must be an integer >= 250 (milliseconds)`);
  return PAGE_HEAD + SCRIPT.replace('__POLL_MS__', String(pollMs)) + PAGE_TAIL;
}

const PAGE_HEAD = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>StorePulse · Demand</title>
<style>
  :root {
    --bg: #0f1420; --panel: #171e2e; --panel2: #1d2638; --text: #e6ebf5; --muted: #8a97b1;
    --line: #2a3550; --ok: #2fbf71; --warn: #f2b134; --stall: #f07c2e; --stop: #e5484d; --accent: #5b9cff;
  }
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  body { margin: 0; background: var(--bg); color: var(--text);
    font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
  a { color: var(--accent); text-decoration: none; }
  a:hover { text-decoration: underline; }
  header { display: flex; align-items: center; gap: 16px; padding: 14px 24px; border-bottom: 1px solid var(--line);
    background: var(--panel); position: sticky; top: 0; z-index: 2; }
  header h1 { font-size: 18px; margin: 0; font-weight: 600; letter-spacing: .2px; }
  header .meta { color: var(--muted); font-size: 13px; }
  header .spacer { flex: 1; }
  header nav { display: flex; gap: 8px; }
  header nav a { font-size: 13px; padding: 4px 10px; border: 1px solid var(--line); border-radius: 6px; }
  main { padding: 18px 24px 40px; display: grid; gap: 16px; }
  .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; min-width: 0; }
  .panel h2 { font-size: 15px; margin: 0 0 10px; font-weight: 600; color: #e6ebf5; }
  .grid2 { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
  .layout { display: grid; grid-template-columns: 280px minmax(0, 1fr); gap: 16px; }
  .chart { position: relative; height: 320px; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; text-transform: uppercase; letter-spacing: .4px; }
  td.num, th.num { text-align: right; }
  tr.champion td { background: rgba(47, 191, 113, .16); font-weight: 600; }
  tr.champion td:first-child { border-left: 3px solid var(--ok); }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #0b0f18; }
  .b-champion, .b-promoted { background: var(--ok); }
  .b-candidate, .b-registered, .b-model { background: var(--accent); }
  .b-baseline, .b-retired { background: #9aa5b8; }
  .b-rejected { background: var(--stop); color: #fff; }
  .b-rolled_back, .b-cold { background: var(--warn); }
  .tag { color: var(--muted); font-size: 12px; }
  .empty { color: var(--muted); font-style: italic; }
  .notice { border-left: 4px solid var(--warn); background: var(--panel2); padding: 10px 14px; border-radius: 6px; }
  .reason { white-space: normal; }
  .scroll { overflow-x: auto; }
  input[type=search] { width: 100%; padding: 6px 10px; border-radius: 6px; border: 1px solid var(--line);
    background: var(--panel2); color: var(--text); font: inherit; }
  ul.skus { list-style: none; margin: 8px 0 0; padding: 0; display: grid; gap: 2px; }
  ul.skus li { display: flex; justify-content: space-between; gap: 8px; padding: 4px 8px; border-radius: 6px; cursor: pointer; }
  ul.skus li:hover { background: var(--panel2); }
  ul.skus li.selected { background: rgba(91, 156, 255, .22); }
  .figures { display: flex; gap: 24px; flex-wrap: wrap; margin: 0 0 8px; }
  .figure .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .5px; }
  .figure .value { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .kpis { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; }
  .kpi { background: var(--panel2); border-radius: 8px; padding: 10px 12px; }
  .kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .5px; }
  .kpi .value { font-size: 22px; font-weight: 600; margin-top: 4px; font-variant-numeric: tabular-nums; }
  .late { color: var(--stop); font-weight: 600; }
  td.better { color: var(--ok); font-weight: 600; }
  td.worse { color: var(--stop); font-weight: 600; }
  .loop { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; align-items: start; }
  .loop .chart { height: 240px; }
  @media (max-width: 1100px) { .grid2, .layout { grid-template-columns: 1fr; } .kpis { grid-template-columns: repeat(2, 1fr); } }
</style>
</head>
<body>
<header>
  <h1>StorePulse · Demand</h1>
  <nav><a href="/" id="nav-ops">← Ops monitor</a><a href="/models" id="nav-models">Models</a></nav>
  <span class="spacer"></span>
  <span class="meta">updated <span id="updated">–</span></span>
</header>
<main>
  <div id="demand-notice" class="notice" hidden></div>
  <section class="layout">
    <div class="panel">
      <h2>SKUs</h2>
      <input type="search" id="sku-search" placeholder="search SKU…" autocomplete="off">
      <div id="sku-matches-box" hidden>
        <div class="tag" id="sku-matches-label"></div>
        <ul class="skus" id="sku-matches"></ul>
      </div>
      <div class="tag" style="margin-top: 10px">top by forecast volume (Σ P50)</div>
      <ul class="skus" id="sku-top"><li class="empty">waiting for the first poll…</li></ul>
    </div>
    <div class="panel" id="fan-panel">
      <h2 id="fan-title">Forecast</h2>
      <div class="tag" id="fan-meta"></div>
      <div class="figures" id="fan-figures" hidden>
        <div class="figure"><div class="label" id="fan-actual-label">actual units</div><div class="value" id="fan-actual-units">–</div></div>
        <div class="figure"><div class="label" id="fan-p50-label">forecast P50 units</div><div class="value" id="fan-p50-units">–</div></div>
        <div class="figure"><div class="label">replenishment</div><div class="value" id="fan-rec">–</div></div>
      </div>
      <div class="chart"><canvas id="fan-chart"></canvas></div>
      <div class="empty" id="fan-empty" hidden></div>
    </div>
  </section>

  <section class="panel" id="loop-panel">
    <h2>With vs without StorePulse (simulated shop)</h2>
    <div class="tag" id="loop-meta"></div>
    <div id="loop-absent" class="empty">waiting for the first poll…</div>
    <div class="loop" id="loop-body" hidden>
      <table id="loop-table">
        <thead><tr><th>KPI</th><th class="num">with StorePulse</th><th class="num">without (fixed policy)</th><th class="num">difference</th></tr></thead>
        <tbody></tbody>
      </table>
      <div><div class="tag" id="loop-chart-label">cumulative fill rate</div><div class="chart"><canvas id="loop-chart"></canvas></div></div>
    </div>
  </section>

  <section class="panel">
    <h2>Reorder now</h2>
    <div class="tag" id="reorder-meta"></div>
    <div class="scroll">
    <table id="reorder">
      <thead><tr><th>SKU</th><th>Category</th><th>Projected stock-out</th><th class="num">In days</th>
        <th class="num">Order qty</th><th class="num">On hand</th><th class="num">On order</th>
        <th class="num">Reorder point</th><th class="num">Safety stock</th><th class="num">Lead time</th><th>Model</th></tr></thead>
      <tbody><tr><td colspan="11" class="empty">waiting for the first poll…</td></tr></tbody>
    </table>
    </div>
  </section>

  <section class="panel">
    <h2 id="backtest-title">Backtest per method</h2>
    <div class="tag" id="backtest-meta"></div>
    <div class="scroll">
    <table id="backtest">
      <thead><tr><th>Method</th><th>Role</th><th class="num">WAPE</th><th class="num">MASE</th>
        <th class="num">wQL10</th><th class="num">wQL50</th><th class="num">wQL90</th><th class="num">mean wQL</th>
        <th class="num">vs champion</th><th class="num">P10–P90 cov.</th><th class="num">Bias</th></tr></thead>
      <tbody><tr><td colspan="11" class="empty">waiting for the first poll…</td></tr></tbody>
    </table>
    </div>
  </section>

  <section class="grid2">
    <div class="panel">
      <h2>Demand model versions</h2>
      <div class="scroll">
      <table id="versions">
        <thead><tr><th>Version</th><th>Status</th><th>Method</th><th class="num">mean wQL</th><th>Created</th><th>Status since</th></tr></thead>
        <tbody><tr><td colspan="6" class="empty">waiting for the first poll…</td></tr></tbody>
      </table>
      </div>
    </div>
    <div class="panel">
      <h2>Events</h2>
      <div class="scroll">
      <table id="events">
        <thead><tr><th>When</th><th>Version</th><th>Event</th><th>By</th><th>Reason</th></tr></thead>
        <tbody></tbody>
      </table>
      </div>
    </div>
  </section>
</main>
${API_KEY_SCRIPT}
<script src="/dashboard/chart.umd.min.js"></script>
<script>
`;

const PAGE_TAIL = `
</script>
</body>
</html>
`;

const SCRIPT = `(function () {
  'use strict';
  var POLL_MS = __POLL_MS__;
  var TOP = ${DEMAND_TOP_SKUS};
  var API = '/api/dashboard/demand';
  var METRICS = ['wape', 'mase', 'wql10', 'wql50', 'wql90', 'meanWql'];

  function el(id) { return document.getElementById(id); }
  function node(tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = String(text);
    if (cls) n.className = cls;
    return n;
  }
  function isNum(x) { return typeof x === 'number' && isFinite(x); }
  function fmt(x, digits) { return isNum(x) ? x.toFixed(digits) : '–'; }
  function fmtInt(x) { return isNum(x) ? Math.round(x).toLocaleString('en-US') : '–'; }
  function fmtPct(x, digits) { return isNum(x) ? (x * 100).toFixed(digits) + '%' : '–'; }
  function fmtSigned(x) { return isNum(x) ? (x > 0 ? '+' : '') + (x * 100).toFixed(1) + '%' : '–'; }
  function fmtWhen(iso) { return typeof iso === 'string' && iso.length >= 16 ? iso.replace('T', ' ').substring(0, 16) + ' UTC' : '–'; }
  function td(tr, text, cls, field) {
    var c = node('td', text, cls);
    if (field) c.dataset.field = field;
    tr.appendChild(c);
    return c;
  }
  function emptyRow(body, cols, text) {
    body.textContent = '';
    var tr = node('tr'); var c = node('td', text, 'empty'); c.colSpan = cols; tr.appendChild(c); body.appendChild(tr);
  }
  function getJson(path) {
    return fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' }).then(function (r) {
      return r.json().then(function (b) { return { status: r.status, body: b }; }, function () { return { status: r.status, body: null }; });
    }, function (e) { return { status: 0, body: { message: String(e) } }; });
  }
  function errText(res) {
    var m = res.body && res.body.message;
    return 'HTTP ' + res.status + (m ? ': ' + (Array.isArray(m) ? m.join('; ') : m) : '');
  }

  Chart.defaults.color = '#8a97b1';
  Chart.defaults.borderColor = '#2a3550';
  Chart.defaults.font.family = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
  var fan = new Chart(el('fan-chart'), {
    type: 'line',
    data: { labels: [], datasets: [
      { label: 'P90', data: [], borderColor: 'rgba(91, 156, 255, .55)', backgroundColor: 'rgba(91, 156, 255, .22)', borderWidth: 1, fill: false, pointRadius: 0 },
      { label: 'P10', data: [], borderColor: 'rgba(91, 156, 255, .55)', backgroundColor: 'rgba(91, 156, 255, .22)', borderWidth: 1, fill: '-1', pointRadius: 0 },
      { label: 'P50', data: [], borderColor: '#5b9cff', backgroundColor: '#5b9cff', borderWidth: 2, fill: false, pointRadius: 0 },
      { label: 'actual', data: [], borderColor: '#f2b134', backgroundColor: '#f2b134', borderWidth: 2, fill: false, pointRadius: 2 }
    ] },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, spanGaps: false,
      interaction: { mode: 'index', intersect: false },
      scales: { x: { ticks: { maxTicksLimit: 12, autoSkip: true } }, y: { beginAtZero: true, title: { display: true, text: 'units / day' } } },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } }
    }
  });

  var loopChart = new Chart(el('loop-chart'), {
    type: 'line',
    data: { labels: [], datasets: [
      { label: 'with StorePulse', data: [], borderColor: '#2fbf71', backgroundColor: '#2fbf71', borderWidth: 2, fill: false, pointRadius: 0 },
      { label: 'without (fixed policy)', data: [], borderColor: '#9aa5b8', backgroundColor: '#9aa5b8', borderWidth: 2, borderDash: [6, 4], fill: false, pointRadius: 0 }
    ] },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false, spanGaps: true,
      interaction: { mode: 'index', intersect: false },
      scales: { x: { ticks: { maxTicksLimit: 8, autoSkip: true } },
        y: { title: { display: true, text: 'fill rate' }, ticks: { callback: function (v) { return (v * 100).toFixed(1) + '%'; } } } },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } }
    }
  });

  var selected = null;
  var lastSkus = null;
  var searchText = '';

  function skuFromHash() {
    var h = location.hash;
    if (h.indexOf('#sku=') !== 0) return null;
    try { return decodeURIComponent(h.substring(5)) || null; } catch (e) { return null; }
  }

  function skuList(ul, list, emptyText) {
    ul.textContent = '';
    if (list.length === 0) { ul.appendChild(node('li', emptyText, 'empty')); return; }
    list.forEach(function (s) {
      var li = node('li', null, s.sku === selected ? 'selected' : '');
      li.dataset.sku = s.sku;
      li.appendChild(node('span', s.sku));
      li.appendChild(node('span', fmtInt(s.volume) + ' u', 'tag'));
      li.title = s.category + ' · origin ' + s.origin + ' · ' + s.horizonDays + ' days';
      li.addEventListener('click', function () { select(s.sku); });
      ul.appendChild(li);
    });
  }

  function renderSkus(d) {
    lastSkus = d;
    skuList(el('sku-top'), d.top, 'no forecasts stored yet');
    var box = el('sku-matches-box');
    box.hidden = d.matches === null;
    if (d.matches !== null) {
      el('sku-matches-label').textContent = d.matches.length + ' match' + (d.matches.length === 1 ? '' : 'es') + ' for "' + d.query + '"';
      skuList(el('sku-matches'), d.matches, 'no SKU matches');
    }
  }

  function select(sku) {
    selected = sku;
    if (skuFromHash() !== sku) history.replaceState(null, '', '#sku=' + encodeURIComponent(sku));
    if (lastSkus) renderSkus(lastSkus);
    return loadSku();
  }

  function renderFan(d) {
    el('fan-empty').hidden = true;
    el('fan-figures').hidden = false;
    el('fan-title').textContent = 'Forecast · ' + d.sku;
    el('fan-meta').textContent = d.category + ' · origin ' + d.origin + ' (' + d.timeZone + ') · ' + d.model.name + ' v' + d.model.version +
      ' · ' + d.model.method + (d.coldStart ? ' · cold start (global model)' : '') + ' · generated ' + fmtWhen(d.generatedAt);
    el('fan-actual-label').textContent = 'actual units, last ' + d.totals.actualDays + ' days';
    el('fan-actual-units').textContent = fmtInt(d.totals.actualUnits);
    el('fan-p50-label').textContent = 'forecast P50 units, next ' + d.totals.horizonDays + ' days';
    el('fan-p50-units').textContent = fmt(d.totals.p50Units, 1);
    var r = d.recommendation;
    el('fan-rec').textContent = r ? r.action + (r.action === 'reorder' ? ' ' + fmtInt(r.recommendedOrderQty) : '') + ' · on hand ' + fmtInt(r.onHand) : 'none';
    fan.data.labels = d.labels;
    fan.data.datasets[0].data = d.p90;
    fan.data.datasets[1].data = d.p10;
    fan.data.datasets[2].data = d.p50;
    fan.data.datasets[3].data = d.actuals;
    fan.update('none');
    var c = el('fan-chart');
    c.dataset.sku = d.sku;
    c.dataset.origin = d.origin;
  }

  function clearFan(text) {
    el('fan-figures').hidden = true;
    el('fan-empty').hidden = false;
    el('fan-empty').textContent = text;
    fan.data.labels = [];
    fan.data.datasets.forEach(function (ds) { ds.data = []; });
    fan.update('none');
    el('fan-chart').dataset.sku = '';
  }

  function loadSku() {
    if (selected === null) { clearFan('no SKU selected'); return Promise.resolve(); }
    var want = selected;
    return getJson(API + '/sku/' + encodeURIComponent(want)).then(function (res) {
      if (want !== selected) return;
      if (res.status === 200) renderFan(res.body);
      else { el('fan-title').textContent = 'Forecast · ' + want; clearFan(errText(res)); }
    });
  }

  function renderModel(d) {
    var bt = d.backtest;
    var body = el('backtest').querySelector('tbody');
    if (!bt) {
      el('backtest-title').textContent = 'Backtest per method';
      el('backtest-meta').textContent = '';
      emptyRow(body, 11, d.versions.length === 0 ? 'no demand model in the registry yet' : 'no version with readable backtest metrics');
    } else {
      el('backtest-title').textContent = 'Backtest per method · ' + d.name + ' v' + bt.version + ' (' + bt.status + ')';
      el('backtest-meta').textContent = 'champion ' + bt.champion + ' (best mean wQL)' +
        (isNum(bt.origins) ? ' · ' + bt.origins + ' origins' : '') + (isNum(bt.horizonDays) ? ' × ' + bt.horizonDays + ' days' : '') +
        (isNum(bt.skus) ? ' · ' + fmtInt(bt.skus) + ' SKUs' : '');
      body.textContent = '';
      bt.rows.forEach(function (r) {
        var tr = node('tr', null, r.role === 'champion' ? 'champion' : '');
        tr.dataset.method = r.method; tr.dataset.role = r.role;
        td(tr, r.method, null, 'method');
        var rc = node('td'); rc.appendChild(node('span', r.role, 'badge b-' + r.role)); tr.appendChild(rc);
        METRICS.forEach(function (k) { td(tr, fmt(r[k], k === 'mase' ? 3 : 4), 'num', k); });
        td(tr, r.role === 'champion' ? '' : fmtSigned(r.meanWqlVsChampion), 'num', 'vsChampion');
        td(tr, fmtPct(r.coverage80, 1), 'num', 'coverage80');
        td(tr, fmtSigned(r.bias), 'num', 'bias');
        body.appendChild(tr);
      });
    }
    var vb = el('versions').querySelector('tbody');
    if (d.versions.length === 0) emptyRow(vb, 6, 'no versions');
    else {
      vb.textContent = '';
      d.versions.forEach(function (v) {
        var tr = node('tr'); tr.dataset.version = String(v.version); tr.dataset.status = v.status;
        td(tr, 'v' + v.version + (v.parentVersion ? ' ← v' + v.parentVersion : ''));
        var sc = node('td'); sc.appendChild(node('span', v.status, 'badge b-' + v.status)); tr.appendChild(sc);
        td(tr, v.method === null ? 'unreadable: ' + v.metricsError : v.method, v.method === null ? 'reason' : null, 'method');
        td(tr, fmt(v.meanWql, 4), 'num', 'meanWql');
        td(tr, fmtWhen(v.createdAt));
        td(tr, fmtWhen(v.updatedAt));
        vb.appendChild(tr);
      });
    }
    var eb = el('events').querySelector('tbody');
    if (d.events.length === 0) emptyRow(eb, 5, 'no events');
    else {
      eb.textContent = '';
      d.events.forEach(function (e) {
        var tr = node('tr'); tr.dataset.event = e.event; tr.dataset.version = String(e.version);
        td(tr, fmtWhen(e.at));
        td(tr, 'v' + e.version + (e.fromVersion ? ' (from v' + e.fromVersion + ')' : ''));
        var ec = node('td'); ec.appendChild(node('span', e.event, 'badge b-' + e.event)); tr.appendChild(ec);
        td(tr, e.actor, 'tag');
        td(tr, e.reason, 'reason');
        eb.appendChild(tr);
      });
    }
  }

  function renderReorder(d) {
    var body = el('reorder').querySelector('tbody');
    el('reorder-meta').textContent = d.rows.length + ' SKU' + (d.rows.length === 1 ? '' : 's') + ' to reorder · earliest projected stock-out first · today ' + d.today + ' (UTC)';
    if (d.rows.length === 0) { emptyRow(body, 11, 'nothing to reorder'); return; }
    body.textContent = '';
    d.rows.forEach(function (r) {
      var tr = node('tr'); tr.dataset.sku = r.sku;
      var sc = td(tr, r.sku, null, 'sku'); sc.style.cursor = 'pointer';
      sc.addEventListener('click', function () { select(r.sku); });
      td(tr, r.category, 'tag', 'category');
      td(tr, r.projectedStockout === null ? 'beyond horizon' : r.projectedStockout, null, 'stockout');
      td(tr, r.daysToStockout === null ? '–' : String(r.daysToStockout), r.daysToStockout !== null && r.daysToStockout <= 0 ? 'num late' : 'num', 'days');
      td(tr, fmtInt(r.recommendedOrderQty), 'num', 'qty');
      td(tr, fmtInt(r.onHand), 'num', 'onHand');
      td(tr, fmtInt(r.onOrder), 'num', 'onOrder');
      td(tr, fmt(r.reorderPoint, 1), 'num', 'reorderPoint');
      td(tr, fmt(r.safetyStock, 1), 'num', 'safetyStock');
      td(tr, isNum(r.leadTimeDays) ? r.leadTimeDays + ' d' : '–', 'num', 'leadTime');
      td(tr, 'v' + r.modelVersion, 'tag', 'model');
      body.appendChild(tr);
    });
  }

  // With vs without StorePulse: KPIs per policy (following | fixed policy) and following − fixed;
  // a difference is "better" for the shop when it raises the fill rate or lowers the others.
  var LOOP_ROWS = [
    { kpi: 'fillRate', label: 'Fill rate', fmt: function (x) { return fmtPct(x, 1); },
      diff: function (x) { return isNum(x) ? (x > 0 ? '+' : '') + (x * 100).toFixed(1) + ' pt' : '–'; }, higherIsBetter: true },
    { kpi: 'stockoutSkuDays', label: 'Stock-out SKU-days', fmt: function (x) { return fmt(x, 1); },
      diff: function (x) { return isNum(x) ? (x > 0 ? '+' : '') + x.toFixed(1) : '–'; }, higherIsBetter: false },
    { kpi: 'meanOnHandUnits', label: 'Mean units on hand', fmt: fmtInt,
      diff: function (x) { return isNum(x) ? (x > 0 ? '+' : '') + fmtInt(x) : '–'; }, higherIsBetter: false },
    { kpi: 'unitsLost', label: 'Units lost', fmt: fmtInt,
      diff: function (x) { return isNum(x) ? (x > 0 ? '+' : '') + fmtInt(x) : '–'; }, higherIsBetter: false },
    { kpi: 'unitsDemanded', label: 'Units demanded', fmt: fmtInt, diff: null },
    { kpi: 'purchaseOrdersPlaced', label: 'Purchase orders', fmt: fmtInt, diff: null }
  ];
  function renderLoop(res) {
    var run = res.status === 200 && res.body ? res.body.run : null;
    el('loop-body').hidden = !run;
    el('loop-absent').hidden = !!run;
    if (!run) {
      el('loop-meta').textContent = '';
      el('loop-absent').textContent = res.status === 200
        ? 'no simulator KPI snapshot stored yet (the simulator writes one every SIMULATOR_KPI_SNAPSHOT_MS when it has ClickHouse)'
        : 'simulator KPIs unavailable: ' + errText(res);
      return;
    }
    var days = run.following ? run.following.simulatedDays : run.fixed ? run.fixed.simulatedDays : null;
    el('loop-meta').textContent = 'since ' + fmtWhen(run.since) + ' · as of ' + fmtWhen(run.asOf) +
      (isNum(days) ? ' · ' + fmt(days, 2) + ' simulated days' : '') + ' · ' + fmtInt(run.skus) + ' SKUs' +
      (run.followsRecommendations
        ? ' · following the recommendations (' + fmtInt(run.skusOnFixedPolicy) + ' SKUs still on the fixed policy until their first one) · without = the fixed policy on the same demand (' + (run.fixed ? run.fixed.source : '–') + ')'
        : ' · the simulator does not follow the recommendations (SIMULATOR_FOLLOW_REPLENISHMENT=false): the fixed policy only');
    var body = el('loop-table').querySelector('tbody');
    body.textContent = '';
    LOOP_ROWS.forEach(function (r) {
      var tr = node('tr'); tr.dataset.kpi = r.kpi;
      td(tr, r.label);
      td(tr, run.following ? r.fmt(run.following[r.kpi]) : '–', 'num', 'following');
      td(tr, run.fixed ? r.fmt(run.fixed[r.kpi]) : '–', 'num', 'fixed');
      var d = run.difference && r.diff ? run.difference[r.kpi] : null;
      var cls = 'num';
      if (isNum(d) && Math.abs(d) > 1e-9) cls += (d > 0) === r.higherIsBetter ? ' better' : ' worse';
      td(tr, r.diff && run.difference ? r.diff(d) : '', cls, 'difference');
      body.appendChild(tr);
    });
    el('loop-chart-label').textContent = 'cumulative fill rate, per ' +
      (run.series.bucketMinutes >= 60 ? run.series.bucketMinutes / 60 + ' h' : run.series.bucketMinutes + ' min');
    loopChart.data.labels = run.series.labels.map(function (l) { return l.substring(5, 16).replace('T', ' '); });
    loopChart.data.datasets[0].data = run.series.following;
    loopChart.data.datasets[1].data = run.series.fixed;
    // A short run has a few points: draw them, a line alone would not show.
    loopChart.data.datasets.forEach(function (ds) { ds.pointRadius = run.series.labels.length < 20 ? 3 : 0; });
    loopChart.update('none');
    el('loop-chart').dataset.points = String(run.series.labels.length);
  }

  function notice(text) {
    var n = el('demand-notice');
    n.hidden = !text;
    n.textContent = text || '';
  }

  var polls = 0;
  function poll() {
    var q = searchText ? '&q=' + encodeURIComponent(searchText) : '';
    return Promise.all([
      getJson(API + '/skus?limit=' + TOP + q), getJson(API + '/model'), getJson(API + '/reorder'), getJson(API + '/loop')
    ]).then(function (rs) {
      var bad = rs.slice(0, 3).filter(function (r) { return r.status !== 200; });
      notice(bad.length ? 'Demand data unavailable: ' + errText(bad[0]) : '');
      if (rs[0].status === 200) {
        renderSkus(rs[0].body);
        if (selected === null && rs[0].body.top.length > 0) selected = rs[0].body.top[0].sku;
        if (lastSkus) renderSkus(lastSkus);
      }
      if (rs[1].status === 200) renderModel(rs[1].body);
      if (rs[2].status === 200) renderReorder(rs[2].body);
      renderLoop(rs[3]);
      return loadSku();
    }).then(function () {
      polls++;
      el('updated').textContent = new Date().toISOString().substring(11, 19) + ' UTC';
      document.body.dataset.polls = String(polls);
      delete document.body.dataset.renderError;
    }, function (e) {
      var msg = e && e.message ? e.message : String(e);
      document.body.dataset.renderError = msg;
      console.error(msg);
    });
  }

  var searchTimer = null;
  el('sku-search').addEventListener('input', function (ev) {
    searchText = ev.target.value.trim();
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      var q = searchText ? '&q=' + encodeURIComponent(searchText) : '';
      getJson(API + '/skus?limit=' + TOP + q).then(function (res) {
        if (res.status === 200) renderSkus(res.body);
        document.body.dataset.searched = searchText;
      });
    }, 200);
  });
  window.addEventListener('hashchange', function () {
    var s = skuFromHash();
    if (s && s !== selected) select(s);
  });

  selected = skuFromHash();
  var running = false;
  function tick() {
    if (running) return;
    running = true;
    poll().then(function () { running = false; });
  }
  tick();
  setInterval(tick, POLL_MS);
})();`;

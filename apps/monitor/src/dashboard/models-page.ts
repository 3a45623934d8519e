import { API_KEY_SCRIPT } from './api-key-script';
/**
 * The Models page of the ops dashboard (served at /models): one static HTML page whose inline script
 * polls the trainer's and scorer's JSON APIs (GET /api/models, /api/models/events, /api/models/runs,
 * /api/predictions/live) and the monitor's stored live AUC (/api/dashboard/models/live-auc, from
 * model_live_metrics) and renders, per model name, the champion against its baselines, test AUC
 * across versions, the champion's calibration, the live score distribution, feature drift, the
 * backtest of demand models and the promotion audit, plus training runs in progress. Any API that
 * does not answer 200 is shown as absent ("trainer not reachable in this process", "scorer not
 * running"), so the page also works in a standalone monitor. The live AUC comes from the scorer's
 * memory when it runs in this process, else from the stored row of the served (or champion) version. Chart.js comes from
 * /dashboard/chart.umd.min.js. The client script avoids template literals and backslashes so it can
 * live in this TypeScript string.
 */

/** PSI at or above this is "moderate" drift (below: "stable"). */
export const PSI_MODERATE = 0.1;
/** PSI at or above this is "significant" drift. */
export const PSI_SIGNIFICANT = 0.25;
/** Default polling interval of the page, in milliseconds. */
export const MODELS_POLL_MS = 5000;

export interface ModelsPageOptions {
  /** How often the page polls the APIs, in ms (integer >= 250; default MODELS_POLL_MS = 5000). */
  pollMs?: number;
}

/** The HTML of the Models page. Throws a RangeError for a pollMs that is not an integer >= 250. */
export function modelsPageHtml(options: ModelsPageOptions = {}): string {
  const pollMs = options.pollMs ?? MODELS_POLL_MS;
  if (!Number.isInteger(pollMs) || pollMs < 250)
    throw new RangeError(`pollMs: ${String(pollMs)} must be an integer >= 250 (milliseconds)`);
  return PAGE_HEAD + SCRIPT.replace('__POLL_MS__', String(pollMs)) + PAGE_TAIL;
}

const PAGE_HEAD = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>StorePulse · Models</title>
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
  header nav a { font-size: 13px; padding: 4px 10px; border: 1px solid var(--line); border-radius: 6px; }
  main { padding: 18px 24px 40px; display: grid; gap: 16px; }
  .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; min-width: 0; }
  .panel h2 { font-size: 16px; margin: 0; font-weight: 600; color: #e6ebf5; }
  .panel h3 { font-size: 13px; margin: 0 0 8px; font-weight: 600; color: #c9d3e8; }
  .grid2 { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
  .grid3 { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 16px; }
  .sub { background: var(--panel2); border-radius: 8px; padding: 10px 12px; min-width: 0; }
  .chart { position: relative; height: 220px; }
  .model { display: grid; gap: 12px; }
  .model-head { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; text-transform: uppercase; letter-spacing: .4px; }
  td.num, th.num { text-align: right; }
  tr.loses td { background: rgba(229, 72, 77, .16); }
  tr.beats td:first-child { border-left: 3px solid var(--warn); }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #0b0f18; }
  .b-champion, .b-succeeded, .b-promoted, .psi-stable { background: var(--ok); }
  .b-candidate, .b-running, .b-registered { background: var(--accent); }
  .b-retired { background: #9aa5b8; }
  .b-rejected, .b-failed, .psi-significant { background: var(--stop); color: #fff; }
  .b-rolled_back, .psi-moderate { background: var(--warn); }
  .b-loses { background: var(--stop); color: #fff; }
  .tag { color: var(--muted); font-size: 12px; }
  .empty { color: var(--muted); font-style: italic; }
  .notice { border-left: 4px solid var(--warn); background: var(--panel2); padding: 10px 14px; border-radius: 6px; }
  .reason { white-space: normal; }
  .stale { color: var(--warn); font-size: 12px; font-weight: 600; }
  .run { display: grid; grid-template-columns: 220px 1fr 70px; gap: 12px; align-items: center; padding: 6px 0; }
  .progress { height: 12px; background: var(--panel2); border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
  .progress .bar { height: 100%; background: var(--accent); }
  @media (max-width: 1100px) { .grid2, .grid3 { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header>
  <h1>StorePulse · Models</h1>
  <nav><a href="/" id="nav-ops">← Ops monitor</a> <a href="/demand" id="nav-demand">Demand →</a></nav>
  <span class="spacer"></span>
  <span class="meta" id="sources"></span>
  <span class="meta">updated <span id="updated">–</span></span>
</header>
<main>
  <div id="trainer-notice" class="notice" hidden></div>
  <section class="panel">
    <h3>Training runs</h3>
    <div id="runs-active"><div class="empty">waiting for the first poll…</div></div>
    <table id="runs-recent" hidden>
      <thead><tr><th>Started</th><th>Model</th><th>Trigger</th><th>Status</th><th class="num">Duration</th><th>Error</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <div id="models"></div>
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
  var PSI_MODERATE = ${PSI_MODERATE};
  var PSI_SIGNIFICANT = ${PSI_SIGNIFICANT};
  var BASELINES = ['logistic', 'heuristic'];
  var ROWS = [
    { key: 'mlp', label: 'MLP (champion)' },
    { key: 'logistic', label: 'logistic baseline' },
    { key: 'heuristic', label: 'heuristic baseline' },
    { key: 'champion', label: 'previous champion' }
  ];
  var BACKTEST_COLS = ['wape', 'mase', 'wql10', 'wql50', 'wql90', 'meanWql', 'coverage80', 'bias'];

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
  function fmtWhen(iso) { return typeof iso === 'string' && iso.length >= 16 ? iso.replace('T', ' ').substring(0, 16) + ' UTC' : '–'; }
  function fmtDur(ms) {
    if (!isNum(ms)) return '–';
    var s = ms / 1000;
    if (s < 60) return s.toFixed(0) + ' s';
    if (s < 3600) return (s / 60).toFixed(1) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }
  function obj(x) { return x !== null && typeof x === 'object' ? x : null; }
  function cell(tr, text, cls, field) {
    var td = node('td', text, cls);
    if (field) td.dataset.field = field;
    tr.appendChild(td);
    return td;
  }
  function emptyRow(tbody, cols, text) {
    var tr = node('tr'); var td = node('td', text, 'empty'); td.colSpan = cols; tr.appendChild(td); tbody.appendChild(tr);
  }
  function badge(text, kind) { return node('span', text, 'badge b-' + kind); }

  /** GET a JSON API: { ok, status, body } — status 0 when the request itself failed. */
  function getJson(path) {
    return fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' }).then(function (r) {
      if (!r.ok) return { ok: false, status: r.status, path: path };
      return r.json().then(function (b) { return { ok: true, status: r.status, body: b, path: path }; });
    }, function () { return { ok: false, status: 0, path: path }; });
  }
  function why(res) { return 'GET ' + res.path + ' → ' + (res.status === 0 ? 'no answer' : res.status); }

  Chart.defaults.color = '#8a97b1';
  Chart.defaults.borderColor = '#2a3550';
  Chart.defaults.font.family = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
  var baseOptions = function () {
    return { animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } } };
  };

  function versionsChart(canvas) {
    var o = baseOptions();
    o.interaction = { mode: 'index', intersect: false };
    o.scales = { y: { title: { display: true, text: 'test ROC AUC' } } };
    o.spanGaps = true;
    return new Chart(canvas, { type: 'line', data: { labels: [], datasets: [
      { label: 'MLP', data: [], borderColor: '#5b9cff', backgroundColor: '#5b9cff', borderWidth: 2 },
      { label: 'logistic', data: [], borderColor: '#f2b134', backgroundColor: '#f2b134', borderWidth: 1.5, borderDash: [5, 4], pointRadius: 2 },
      { label: 'heuristic', data: [], borderColor: '#9aa5b8', backgroundColor: '#9aa5b8', borderWidth: 1.5, borderDash: [2, 3], pointRadius: 2 }
    ] }, options: o });
  }
  function calibrationChart(canvas) {
    var o = baseOptions();
    o.scales = {
      x: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'mean predicted' } },
      y: { type: 'linear', min: 0, max: 1, title: { display: true, text: 'observed rate' } }
    };
    return new Chart(canvas, { type: 'scatter', data: { datasets: [
      { label: 'champion', data: [], showLine: true, borderColor: '#2fbf71', backgroundColor: '#2fbf71', pointRadius: 4 },
      { label: 'perfect calibration', data: [], showLine: true, borderColor: '#8a97b1', borderDash: [4, 4], borderWidth: 1, pointRadius: 0 }
    ] }, options: o });
  }
  function liveChart(canvas) {
    var o = baseOptions();
    o.plugins.legend.display = false;
    o.scales = { x: { title: { display: true, text: 'score' }, ticks: { maxTicksLimit: 6 } },
      y: { beginAtZero: true, title: { display: true, text: 'users' } } };
    return new Chart(canvas, { type: 'bar', data: { labels: [], datasets: [
      { label: 'live scores', data: [], backgroundColor: '#5b9cff', barPercentage: 1, categoryPercentage: 0.95 }
    ] }, options: o });
  }

  /** The DOM of one model name, built once and updated on every poll. */
  var cards = {};
  function card(name) {
    if (cards[name]) return cards[name];
    var root = node('section', null, 'panel model');
    root.dataset.model = name;
    var head = node('div', null, 'model-head');
    head.appendChild(node('h2', name));
    var kind = node('span', '', 'tag'); head.appendChild(kind);
    var champ = node('span', '', 'champ'); champ.dataset.field = 'champion'; head.appendChild(champ);
    var loses = node('span', 'loses to baseline', 'badge b-loses'); loses.dataset.field = 'loses'; loses.hidden = true; head.appendChild(loses);
    root.appendChild(head);

    var metricsBox = node('div', null, 'sub');
    metricsBox.appendChild(node('h3', 'Champion on the test set'));
    var mt = node('table'); mt.dataset.table = 'metrics';
    var mh = node('thead'); var mhr = node('tr');
    ['Model', 'ROC AUC', 'PR AUC', 'Log loss', 'Brier', 'ECE', 'Top-decile lift', 'Rows', 'Positives'].forEach(function (h, i) { mhr.appendChild(node('th', h, i === 0 ? '' : 'num')); });
    mh.appendChild(mhr); mt.appendChild(mh);
    var mb = node('tbody'); mt.appendChild(mb);
    metricsBox.appendChild(mt);
    var trainInfo = node('div', '', 'tag'); trainInfo.style.marginTop = '6px'; metricsBox.appendChild(trainInfo);
    root.appendChild(metricsBox);

    var backtestBox = node('div', null, 'sub'); backtestBox.hidden = true;
    backtestBox.appendChild(node('h3', 'Backtest of the champion (rolling origin)'));
    var bt = node('table'); bt.dataset.table = 'backtest';
    var bh = node('thead'); var bhr = node('tr'); bhr.appendChild(node('th', 'Model'));
    BACKTEST_COLS.forEach(function (c) { bhr.appendChild(node('th', c, 'num')); });
    bh.appendChild(bhr); bt.appendChild(bh);
    var bb = node('tbody'); bt.appendChild(bb); backtestBox.appendChild(bt);
    root.appendChild(backtestBox);

    var charts = node('div', null, 'grid3');
    function chartBox(title, key) {
      var box = node('div', null, 'sub');
      box.appendChild(node('h3', title));
      var note = node('div', '', 'tag'); note.dataset.field = key + '-note'; box.appendChild(note);
      var holder = node('div', null, 'chart');
      var canvas = node('canvas'); canvas.dataset.chart = key; holder.appendChild(canvas); box.appendChild(holder);
      var empty = node('div', '', 'empty'); empty.dataset.field = key + '-empty'; empty.hidden = true; box.appendChild(empty);
      charts.appendChild(box);
      return { box: box, note: note, holder: holder, canvas: canvas, empty: empty };
    }
    var vBox = chartBox('Test AUC across versions (◆ = was champion)', 'versions');
    var cBox = chartBox('Calibration of the champion (test set)', 'calibration');
    var lBox = chartBox('Live score distribution', 'live');
    var liveStale = node('div', '', 'stale'); liveStale.dataset.field = 'live-stale'; liveStale.hidden = true;
    lBox.note.after(liveStale);
    root.appendChild(charts);

    var lower = node('div', null, 'grid2');
    var driftBox = node('div', null, 'sub');
    driftBox.appendChild(node('h3', 'Feature drift (PSI, live vs training)'));
    var dt = node('table'); dt.dataset.table = 'drift';
    var dh = node('thead'); var dhr = node('tr');
    ['Feature', 'PSI', 'Level'].forEach(function (h, i) { dhr.appendChild(node('th', h, i === 1 ? 'num' : '')); });
    dh.appendChild(dhr); dt.appendChild(dh);
    var db = node('tbody'); dt.appendChild(db); driftBox.appendChild(dt);
    driftBox.appendChild(node('div', 'stable < ' + PSI_MODERATE + ' ≤ moderate < ' + PSI_SIGNIFICANT + ' ≤ significant', 'tag'));
    lower.appendChild(driftBox);
    var evBox = node('div', null, 'sub');
    evBox.appendChild(node('h3', 'Promotion events'));
    var et = node('table'); et.dataset.table = 'events';
    var eh = node('thead'); var ehr = node('tr');
    ['When', 'Version', 'Event', 'Reason', 'Actor'].forEach(function (h, i) { ehr.appendChild(node('th', h, i === 1 ? 'num' : '')); });
    eh.appendChild(ehr); et.appendChild(eh);
    var eb = node('tbody'); et.appendChild(eb); evBox.appendChild(et);
    lower.appendChild(evBox);
    root.appendChild(lower);

    el('models').appendChild(root);
    cards[name] = {
      root: root, kind: kind, champ: champ, loses: loses, metrics: mb, trainInfo: trainInfo,
      backtestBox: backtestBox, backtest: bb, drift: db, events: eb,
      versions: vBox, calibration: cBox, live: lBox, liveStale: liveStale,
      versionsChart: versionsChart(vBox.canvas), calibrationChart: calibrationChart(cBox.canvas), liveChart: liveChart(lBox.canvas)
    };
    return cards[name];
  }
  function dropCard(name) {
    var c = cards[name];
    [c.versionsChart, c.calibrationChart, c.liveChart].forEach(function (ch) { ch.destroy(); });
    c.root.remove();
    delete cards[name];
  }
  function showChart(box, message) {
    box.holder.hidden = message !== null;
    box.empty.hidden = message === null;
    box.empty.textContent = message === null ? '' : message;
  }

  function testOf(v) { var m = obj(v.metrics); return m && obj(m.test) ? m.test : null; }
  function auc(m) { return m && isNum(m.rocAuc) ? m.rocAuc : null; }

  function renderMetrics(c, champion) {
    var tb = c.metrics; tb.textContent = '';
    c.loses.hidden = true;
    var test = champion ? testOf(champion) : null;
    if (!champion) { emptyRow(tb, 9, 'no champion yet'); c.trainInfo.textContent = ''; return; }
    if (!test || !obj(test.mlp)) { emptyRow(tb, 9, 'no classifier test metrics for this model'); c.trainInfo.textContent = ''; return; }
    var mlpAuc = auc(test.mlp);
    var beaten = BASELINES.filter(function (b) { var a = auc(obj(test[b])); return mlpAuc !== null && a !== null && mlpAuc < a; });
    ROWS.forEach(function (r) {
      var m = obj(test[r.key]);
      if (!m) return;
      var tr = node('tr'); tr.dataset.row = r.key;
      if (r.key === 'mlp' && beaten.length > 0) tr.className = 'loses';
      if (beaten.indexOf(r.key) >= 0) tr.className = 'beats';
      var label = r.key === 'mlp' ? 'MLP v' + champion.version + ' (champion)' : r.label;
      if (beaten.indexOf(r.key) >= 0) label += ' — beats the MLP';
      cell(tr, label);
      cell(tr, fmt(m.rocAuc, 3), 'num', 'rocAuc');
      cell(tr, fmt(m.prAuc, 3), 'num', 'prAuc');
      cell(tr, fmt(m.logLoss, 4), 'num', 'logLoss');
      cell(tr, fmt(m.brier, 4), 'num', 'brier');
      cell(tr, fmt(m.ece, 4), 'num', 'ece');
      cell(tr, fmt(m.topDecileLift, 2), 'num', 'lift');
      cell(tr, fmtInt(m.n), 'num', 'n');
      cell(tr, fmtInt(m.positives), 'num', 'positives');
      tb.appendChild(tr);
    });
    if (beaten.length > 0) {
      c.loses.hidden = false;
      c.loses.textContent = 'loses to baseline: ' + beaten.join(', ');
    }
    var m = obj(champion.metrics) || {};
    var rows = obj(m.rows);
    var parts = [];
    if (rows) parts.push('rows train ' + fmtInt(rows.train) + ' · validation ' + fmtInt(rows.validation) + ' · test ' + fmtInt(rows.test));
    if (isNum(m.epochs)) parts.push(m.epochs + ' epochs' + (m.warmStart === true ? ' (warm start from v' + champion.parentVersion + ')' : ' (from scratch)'));
    if (isNum(m.trainMs)) parts.push('trained in ' + fmtDur(m.trainMs) + (isNum(m.samplesPerSec) ? ' at ' + fmtInt(m.samplesPerSec) + ' samples/s' : ''));
    if (isNum(m.threshold)) parts.push('threshold ' + fmt(m.threshold, 3));
    c.trainInfo.textContent = parts.join(' · ');
  }

  function renderBacktest(c, champion) {
    var m = champion ? obj(champion.metrics) : null;
    var b = m ? obj(m.backtest) : null;
    c.backtestBox.hidden = !b;
    c.backtest.textContent = '';
    if (!b) return;
    Object.keys(b).forEach(function (model) {
      var row = obj(b[model]) || {};
      var tr = node('tr'); tr.dataset.row = model;
      cell(tr, model);
      BACKTEST_COLS.forEach(function (k) { cell(tr, fmt(row[k], 3), 'num', k); });
      c.backtest.appendChild(tr);
    });
  }

  function everChampion(versions, events) {
    var set = {};
    versions.forEach(function (v) { if (v.status === 'champion') set[v.version] = true; });
    events.forEach(function (e) { if (e.event === 'promoted' || e.event === 'rolled_back') set[e.version] = true; });
    return set;
  }

  function renderVersions(c, versions, events) {
    var asc = versions.slice().sort(function (a, b) { return a.version - b.version; });
    var champs = everChampion(versions, events);
    var ch = c.versionsChart;
    ch.data.labels = asc.map(function (v) { return 'v' + v.version; });
    var pick = function (key) { return asc.map(function (v) { var t = testOf(v); return t ? auc(obj(t[key])) : null; }); };
    ch.data.datasets[0].data = pick('mlp');
    ch.data.datasets[0].pointStyle = asc.map(function (v) { return champs[v.version] ? 'rectRot' : 'circle'; });
    ch.data.datasets[0].pointRadius = asc.map(function (v) { return champs[v.version] ? 7 : 3; });
    ch.data.datasets[0].pointBackgroundColor = asc.map(function (v) { return v.status === 'champion' ? '#2fbf71' : champs[v.version] ? '#5b9cff' : '#171e2e'; });
    ch.data.datasets[1].data = pick('logistic');
    ch.data.datasets[2].data = pick('heuristic');
    c.versions.canvas.dataset.championVersions = Object.keys(champs).join(',');
    c.versions.note.textContent = asc.map(function (v) { return 'v' + v.version + ' ' + v.status; }).join(' · ');
    var any = ch.data.datasets[0].data.some(function (x) { return x !== null; });
    showChart(c.versions, any ? null : 'no test AUC recorded');
    ch.update('none');
  }

  function renderCalibration(c, champion) {
    var test = champion ? testOf(champion) : null;
    var mlp = test ? obj(test.mlp) : null;
    var bins = mlp && Array.isArray(mlp.reliability) ? mlp.reliability : [];
    var pts = bins.filter(function (b) { return isNum(b.meanPredicted) && isNum(b.observedRate) && b.count > 0; })
      .map(function (b) { return { x: b.meanPredicted, y: b.observedRate, count: b.count }; });
    var hi = 0.1;
    pts.forEach(function (p) { hi = Math.max(hi, p.x, p.y); });
    hi = Math.min(1, Math.ceil((hi + 0.02) * 10) / 10);
    var ch = c.calibrationChart;
    ch.data.datasets[0].label = champion ? 'MLP v' + champion.version : 'champion';
    ch.data.datasets[0].data = pts;
    ch.data.datasets[1].data = [{ x: 0, y: 0 }, { x: hi, y: hi }];
    ch.options.scales.x.max = hi;
    ch.options.scales.y.max = hi;
    c.calibration.note.textContent = mlp ? pts.length + ' of ' + bins.length + ' bins non-empty · ECE ' + fmt(mlp.ece, 4) : '';
    showChart(c.calibration, !champion ? 'no champion yet' : pts.length === 0 ? 'no reliability table recorded' : null);
    ch.update('none');
  }

  /** The stored live AUC row of one model version (GET /api/dashboard/models/live-auc), or null. */
  function storedAuc(stored, name, version) {
    if (!stored.ok || !obj(stored.body) || !Array.isArray(stored.body.models)) return null;
    return stored.body.models.find(function (r) { return r.model === name && r.version === version; }) || null;
  }
  function storedText(s) {
    return 'live AUC ' + fmt(s.auc, 3) + ' (n=' + fmtInt(s.n) + ', stored ' + fmtWhen(s.computedAt) + ')';
  }

  function renderLive(c, live, name, champion, stored) {
    var ch = c.liveChart;
    var db = c.drift; db.textContent = '';
    var entry = null;
    if (live.ok && obj(live.body) && Array.isArray(live.body.models))
      entry = live.body.models.find(function (m) { return m.name === name; }) || null;
    c.liveStale.hidden = true;
    var championStored = champion ? storedAuc(stored, name, champion.version) : null;
    var storedNote = championStored ? 'v' + champion.version + ' · ' + storedText(championStored) : '';
    if (!live.ok) {
      c.live.note.textContent = storedNote;
      showChart(c.live, 'scorer not running (' + why(live) + ')');
      emptyRow(db, 3, 'scorer not running');
      return;
    }
    if (!entry) {
      c.live.note.textContent = storedNote;
      showChart(c.live, 'not scored by the running scorer');
      emptyRow(db, 3, 'not scored by the running scorer');
      return;
    }
    var hist = Array.isArray(entry.histogram) ? entry.histogram : [];
    ch.data.labels = hist.map(function (b) { return fmt(b.lo, 2) + '–' + fmt(b.hi, 2); });
    ch.data.datasets[0].data = hist.map(function (b) { return b.count; });
    var la = obj(entry.liveAuc);
    var servedStored = la ? null : storedAuc(stored, name, entry.version);
    c.live.note.textContent = 'v' + entry.version + ' · ' + fmtInt(entry.scored) + ' scored · ' +
      (la ? 'live AUC ' + fmt(la.auc, 3) + ' (n=' + fmtInt(la.n) + ')' : servedStored ? storedText(servedStored) : 'live AUC not yet measurable');
    var stale = c.liveStale;
    var mismatch = champion !== null && entry.version !== champion.version;
    stale.hidden = !mismatch;
    stale.textContent = mismatch ? 'the scorer serves v' + entry.version + ', the registry champion is v' + champion.version : '';
    showChart(c.live, hist.length === 0 ? 'no scores yet' : null);
    ch.update('none');
    var drift = Array.isArray(entry.drift) ? entry.drift.slice() : [];
    drift.sort(function (a, b) { return b.psi - a.psi; });
    if (drift.length === 0) emptyRow(db, 3, 'no drift measured yet');
    drift.slice(0, 10).forEach(function (d) {
      var level = d.psi >= PSI_SIGNIFICANT ? 'significant' : d.psi >= PSI_MODERATE ? 'moderate' : 'stable';
      var tr = node('tr'); tr.dataset.feature = d.feature; tr.dataset.level = level;
      cell(tr, d.feature);
      cell(tr, fmt(d.psi, 3), 'num', 'psi');
      var td = cell(tr, null); td.appendChild(node('span', level, 'badge psi-' + level));
      db.appendChild(tr);
    });
  }

  function renderEvents(c, events) {
    var tb = c.events; tb.textContent = '';
    if (events.length === 0) emptyRow(tb, 5, 'no events');
    events.forEach(function (e) {
      var tr = node('tr'); tr.dataset.event = e.event; tr.dataset.version = String(e.version);
      cell(tr, fmtWhen(e.at));
      cell(tr, 'v' + e.version, 'num');
      var td = cell(tr, null);
      td.appendChild(badge(e.event.replace('_', ' '), e.event));
      if (isNum(e.fromVersion)) td.appendChild(node('span', ' from v' + e.fromVersion, 'tag'));
      cell(tr, e.reason, 'reason');
      cell(tr, e.actor, 'tag');
      tb.appendChild(tr);
    });
  }

  function renderModels(models, events, live, stored) {
    var names = [];
    var byName = {};
    models.forEach(function (v) {
      if (!byName[v.name]) { byName[v.name] = []; names.push(v.name); }
      byName[v.name].push(v);
    });
    names.sort();
    Object.keys(cards).forEach(function (n) { if (!byName[n]) dropCard(n); });
    names.forEach(function (name) {
      var versions = byName[name];
      var evs = events.filter(function (e) { return e.name === name; });
      var champion = versions.find(function (v) { return v.status === 'champion'; }) || null;
      var c = card(name);
      el('models').appendChild(c.root); // keeps the cards in name order
      var latest = versions.reduce(function (a, v) { return v.version > a.version ? v : a; }, versions[0]);
      c.kind.textContent = latest.kind + ' · horizon ' + latest.horizon + ' · ' + versions.length + ' version' + (versions.length === 1 ? '' : 's');
      c.champ.textContent = '';
      if (champion) {
        c.champ.appendChild(badge('champion v' + champion.version, 'champion'));
        c.champ.appendChild(node('span', ' since ' + fmtWhen(champion.updatedAt), 'tag'));
      } else c.champ.appendChild(node('span', 'no champion', 'empty'));
      renderMetrics(c, champion);
      renderBacktest(c, champion);
      renderVersions(c, versions, evs);
      renderCalibration(c, champion);
      renderLive(c, live, name, champion, stored);
      renderEvents(c, evs);
    });
  }

  function renderRuns(runs) {
    var act = el('runs-active'); act.textContent = '';
    var recent = el('runs-recent'); var rb = recent.querySelector('tbody'); rb.textContent = '';
    if (!runs.ok) {
      act.appendChild(node('div', 'trainer not reachable in this process (' + why(runs) + ')', 'empty'));
      recent.hidden = true;
      return;
    }
    var list = Array.isArray(runs.body) ? runs.body : [];
    var running = list.filter(function (r) { return r.status === 'running'; });
    if (running.length === 0) act.appendChild(node('div', 'no training run in progress', 'empty'));
    running.forEach(function (r) {
      var row = node('div', null, 'run'); row.dataset.run = r.id;
      var who = node('div');
      who.appendChild(node('div', r.model + ' · ' + r.kind));
      who.appendChild(node('div', 'started ' + fmtWhen(r.startedAt) + ' · ' + r.trigger, 'tag'));
      row.appendChild(who);
      var p = obj(r.progress) || { phase: '?', fraction: 0 };
      var frac = isNum(p.fraction) ? Math.max(0, Math.min(1, p.fraction)) : 0;
      var mid = node('div');
      var bar = node('div', null, 'progress'); var fill = node('div', null, 'bar');
      fill.style.width = (frac * 100).toFixed(1) + '%';
      bar.appendChild(fill); mid.appendChild(bar);
      var detail = obj(p.detail);
      var dtext = detail ? Object.keys(detail).map(function (k) { return k + ' ' + detail[k]; }).join(' · ') : '';
      mid.appendChild(node('div', p.phase + (dtext ? ' · ' + dtext : ''), 'tag'));
      row.appendChild(mid);
      var pct = node('div', (frac * 100).toFixed(0) + '%', 'num'); pct.dataset.field = 'fraction';
      row.appendChild(pct);
      act.appendChild(row);
    });
    var done = list.filter(function (r) { return r.status !== 'running'; }).slice(0, 5);
    recent.hidden = done.length === 0;
    done.forEach(function (r) {
      var tr = node('tr'); tr.dataset.run = r.id;
      cell(tr, fmtWhen(r.startedAt));
      cell(tr, r.model);
      cell(tr, r.trigger, 'tag');
      var td = cell(tr, null); td.appendChild(badge(r.status, r.status));
      cell(tr, r.finishedAt ? fmtDur(Date.parse(r.finishedAt) - Date.parse(r.startedAt)) : '–', 'num');
      cell(tr, r.error || '', 'reason');
      rb.appendChild(tr);
    });
  }

  var polls = 0;
  function poll() {
    return Promise.all([
      getJson('/api/models'), getJson('/api/models/events'), getJson('/api/models/runs'), getJson('/api/predictions/live'),
      getJson('/api/dashboard/models/live-auc')
    ]).then(function (r) {
      var models = r[0], events = r[1], runs = r[2], live = r[3], stored = r[4];
      var notice = el('trainer-notice');
      var trainerUp = models.ok && Array.isArray(models.body);
      notice.hidden = trainerUp;
      notice.textContent = trainerUp ? '' : 'trainer not reachable in this process (' + why(models) + '): start the trainer or the all-in-one platform to see models.';
      renderModels(trainerUp ? models.body : [], events.ok && Array.isArray(events.body) ? events.body : [], live, stored);
      if (trainerUp && models.body.length === 0) {
        el('models').textContent = '';
        el('models').appendChild(node('div', 'no model trained yet', 'panel empty'));
      } else {
        var stale = el('models').querySelector(':scope > .empty');
        if (stale) stale.remove();
      }
      renderRuns(runs);
      el('sources').textContent = 'trainer ' + (trainerUp ? 'up' : 'absent') + ' · scorer ' + (live.ok ? 'up' : 'absent');
      el('updated').textContent = new Date().toISOString().substring(11, 19) + ' UTC';
      polls++;
      document.body.dataset.polls = String(polls);
    }).catch(function (e) {
      var msg = e && e.message ? e.message : String(e);
      el('sources').textContent = 'render error: ' + msg;
      document.body.dataset.renderError = msg;
    });
  }
  function loop() { poll().then(schedule, schedule); }
  function schedule() { setTimeout(loop, POLL_MS); }
  loop();
})();`;

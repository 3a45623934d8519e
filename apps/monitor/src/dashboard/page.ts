import { API_KEY_SCRIPT } from './api-key-script';
/**
 * The ops dashboard: one static HTML page; Chart.js is served from node_modules at
 * /dashboard/chart.umd.min.js (no CDN). Data: GET /api/monitor/overview once, then SSE /api/stream.
 * The client script avoids template literals so it can live in this TypeScript string.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>StorePulse · Ops monitor</title>
<style>
  :root {
    --bg: #0f1420; --panel: #171e2e; --panel2: #1d2638; --text: #e6ebf5; --muted: #8a97b1;
    --line: #2a3550; --ok: #2fbf71; --warn: #f2b134; --stall: #f07c2e; --stop: #e5484d; --accent: #5b9cff;
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text);
    font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
  header { display: flex; align-items: center; gap: 16px; padding: 14px 24px; border-bottom: 1px solid var(--line);
    background: var(--panel); position: sticky; top: 0; z-index: 2; }
  header h1 { font-size: 18px; margin: 0; font-weight: 600; letter-spacing: .2px; }
  header .meta { color: var(--muted); font-size: 13px; }
  header .spacer { flex: 1; }
  header nav a { color: var(--accent); text-decoration: none; font-size: 13px; padding: 4px 10px; border: 1px solid var(--line); border-radius: 6px; }
  .dot { width: 10px; height: 10px; border-radius: 50%; display: inline-block; background: var(--stop); margin-right: 6px; }
  .dot.live { background: var(--ok); box-shadow: 0 0 8px var(--ok); }
  main { padding: 18px 24px 40px; display: grid; gap: 16px; }
  .kpis { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; }
  .kpi { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
  .kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .6px; }
  .kpi .value { font-size: 24px; font-weight: 600; margin-top: 4px; font-variant-numeric: tabular-nums; }
  .kpi .sub { color: var(--muted); font-size: 12px; }
  .grid2 { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
  .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; min-width: 0; }
  .panel h2 { font-size: 14px; margin: 0 0 10px; font-weight: 600; color: #c9d3e8; }
  .chart { position: relative; height: 220px; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; text-transform: uppercase; letter-spacing: .4px; }
  td.num, th.num { text-align: right; }
  tr.group-row td { background: var(--panel2); font-weight: 600; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #0b0f18; }
  .s-OK { background: var(--ok); } .s-WARNING { background: var(--warn); }
  .s-STALLED { background: var(--stall); } .s-STOPPED { background: var(--stop); color: #fff; }
  .tag { color: var(--muted); font-size: 12px; }
  .alerts { display: grid; gap: 8px; }
  .alert { border-left: 4px solid var(--warn); background: var(--panel2); padding: 8px 12px; border-radius: 6px; }
  .alert.critical { border-left-color: var(--stop); }
  .alert .rule { font-weight: 600; }
  .alert .when { color: var(--muted); font-size: 12px; }
  .empty { color: var(--muted); font-style: italic; }
  .reason { white-space: normal; }
  @media (max-width: 1100px) { .kpis { grid-template-columns: repeat(3, 1fr); } .grid2 { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header>
  <h1>StorePulse · Ops monitor</h1>
  <span class="meta" id="cluster"></span>
  <nav><a href="/models" id="nav-models">Models →</a> <a href="/demand" id="nav-demand">Demand →</a></nav>
  <span class="spacer"></span>
  <span class="meta"><span class="dot" id="live-dot"></span><span id="live-text">connecting…</span></span>
  <span class="meta">updated <span id="updated">–</span></span>
</header>
<main>
  <section class="kpis">
    <div class="kpi"><div class="label">Consumer groups</div><div class="value" id="kpi-groups">–</div><div class="sub" id="kpi-groups-sub"></div></div>
    <div class="kpi"><div class="label">Total lag</div><div class="value" id="kpi-lag">–</div><div class="sub">messages</div></div>
    <div class="kpi"><div class="label">Max time lag</div><div class="value" id="kpi-timelag">–</div><div class="sub">age of oldest unconsumed</div></div>
    <div class="kpi"><div class="label">Produced</div><div class="value" id="kpi-produced">–</div><div class="sub">messages / s</div></div>
    <div class="kpi"><div class="label">DLQ rate</div><div class="value" id="kpi-dlq">–</div><div class="sub" id="kpi-dlq-sub"></div></div>
    <div class="kpi"><div class="label">End-to-end p95</div><div class="value" id="kpi-e2e">–</div><div class="sub" id="kpi-e2e-sub">event → stored</div></div>
  </section>

  <section class="panel">
    <h2>Active alerts</h2>
    <div class="alerts" id="alerts"><div class="empty">none</div></div>
  </section>

  <section class="grid2">
    <div class="panel"><h2>Consumer lag (messages)</h2><div class="chart"><canvas id="chart-lag"></canvas></div></div>
    <div class="panel"><h2>Time lag (seconds)</h2><div class="chart"><canvas id="chart-timelag"></canvas></div></div>
    <div class="panel"><h2>Throughput (messages / s)</h2><div class="chart"><canvas id="chart-throughput"></canvas></div></div>
    <div class="panel"><h2>End-to-end latency (seconds)</h2><div class="chart"><canvas id="chart-latency"></canvas></div></div>
  </section>

  <section class="panel">
    <h2>Lag per group and partition</h2>
    <table id="lag-table">
      <thead><tr>
        <th>Group / topic</th><th>Partition</th><th>Status</th><th class="num">Committed</th>
        <th class="num">Log end</th><th class="num">Lag</th><th class="num">Time lag</th><th>Detail</th>
      </tr></thead>
      <tbody id="lag-body"><tr><td colspan="8" class="empty">waiting for the first poll…</td></tr></tbody>
    </table>
  </section>

  <section class="grid2">
    <div class="panel">
      <h2>Dead letters</h2>
      <div id="dlq-summary" class="tag"></div>
      <table><thead><tr><th>Reason (last hour)</th><th class="num">Count</th></tr></thead><tbody id="dlq-reasons"></tbody></table>
    </div>
    <div class="panel">
      <h2>Latest dead letters</h2>
      <table><thead><tr><th>When</th><th>Topic</th><th class="num">Offset</th><th>Reason</th></tr></thead><tbody id="dlq-latest"></tbody></table>
    </div>
  </section>
</main>
${API_KEY_SCRIPT}
<script src="/dashboard/chart.umd.min.js"></script>
<script>
(function () {
  'use strict';
  var MAX_POINTS = 360;
  var PALETTE = ['#5b9cff', '#2fbf71', '#f2b134', '#e5484d', '#b07cff', '#2ec4c7', '#f07c2e', '#ff7eb6', '#9aa5b8'];
  var colorOf = {};
  function color(name) {
    if (!colorOf[name]) colorOf[name] = PALETTE[Object.keys(colorOf).length % PALETTE.length];
    return colorOf[name];
  }
  function el(id) { return document.getElementById(id); }
  function fmtInt(x) { return Number(x).toLocaleString('en-US'); }
  function fmtSec(s) {
    if (s === null || s === undefined) return '–';
    if (s < 60) return s.toFixed(1) + ' s';
    if (s < 3600) return (s / 60).toFixed(1) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }
  function fmtRate(x) { return x === null || x === undefined ? '–' : x >= 100 ? fmtInt(Math.round(x)) : x.toFixed(1); }
  function timeLabel(ms) { return new Date(ms).toISOString().substring(11, 19); }
  function node(tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = String(text);
    if (cls) n.className = cls;
    return n;
  }

  Chart.defaults.color = '#8a97b1';
  Chart.defaults.borderColor = '#2a3550';
  Chart.defaults.font.family = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
  function lineChart(id, yTitle) {
    return new Chart(el(id), {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, spanGaps: true,
        interaction: { mode: 'index', intersect: false },
        elements: { point: { radius: 0 }, line: { borderWidth: 2, cubicInterpolationMode: 'monotone' } },
        scales: {
          x: { ticks: { maxTicksLimit: 8, autoSkip: true } },
          y: { beginAtZero: true, title: { display: true, text: yTitle } }
        },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } }
      }
    });
  }
  var charts = {
    lag: lineChart('chart-lag', 'messages'),
    timelag: lineChart('chart-timelag', 'seconds'),
    throughput: lineChart('chart-throughput', 'msg/s'),
    latency: lineChart('chart-latency', 'seconds')
  };

  function pointOf(v) {
    var groups = {};
    v.groups.forEach(function (g) {
      groups[g.groupId] = { lag: Number(g.totalLag), timeLagSeconds: g.maxTimeLagSeconds, consumedPerSec: g.consumedPerSec, status: g.consumerStatus };
    });
    var topics = {};
    v.topics.forEach(function (t) { topics[t.topic] = t.producedPerSec; });
    return { atMs: v.atMs, groups: groups, topics: topics, dlqRate: v.dlq.rate,
      latency: v.latency ? { p50: v.latency.p50, p95: v.latency.p95, p99: v.latency.p99 } : null };
  }

  function series(chart, label, value) {
    var ds = chart.data.datasets.find(function (d) { return d.label === label; });
    if (!ds) {
      // A series appears once it has something to show: all-zero groups/topics don't clutter the legend.
      if (value === null || value === undefined || value === 0) return;
      ds = { label: label, data: new Array(Math.max(0, chart.data.labels.length - 1)).fill(null), borderColor: color(label), backgroundColor: color(label) };
      chart.data.datasets.push(ds);
    }
    while (ds.data.length < chart.data.labels.length - 1) ds.data.push(null);
    ds.data.push(value === undefined ? null : value);
  }

  function addPoint(p) {
    [charts.lag, charts.timelag, charts.throughput, charts.latency].forEach(function (c) { c.data.labels.push(timeLabel(p.atMs)); });
    Object.keys(p.groups).forEach(function (g) {
      series(charts.lag, g, p.groups[g].lag);
      series(charts.timelag, g, p.groups[g].timeLagSeconds);
      series(charts.throughput, 'consumed · ' + g, p.groups[g].consumedPerSec);
    });
    Object.keys(p.topics).forEach(function (t) { series(charts.throughput, 'produced · ' + t, p.topics[t]); });
    var l = p.latency || { p50: null, p95: null, p99: null };
    ['p50', 'p95', 'p99'].forEach(function (q) { series(charts.latency, q, l[q]); });
    [charts.lag, charts.timelag, charts.throughput, charts.latency].forEach(function (c) {
      var n = c.data.labels.length;
      c.data.datasets.forEach(function (d) { while (d.data.length < n) d.data.push(null); });
      if (n > MAX_POINTS) {
        c.data.labels.splice(0, n - MAX_POINTS);
        c.data.datasets.forEach(function (d) { d.data.splice(0, d.data.length - MAX_POINTS); });
      }
    });
  }
  function redraw() { Object.keys(charts).forEach(function (k) { charts[k].update('none'); }); }

  var lastE2e = null;
  function render(v) {
    el('cluster').textContent = 'cluster ' + v.cluster;
    el('updated').textContent = timeLabel(v.atMs) + ' UTC';
    var totalLag = 0, maxT = null, stuck = 0, produced = null;
    v.groups.forEach(function (g) {
      totalLag += Number(g.totalLag);
      if (g.maxTimeLagSeconds !== null) maxT = Math.max(maxT || 0, g.maxTimeLagSeconds);
      if (g.consumerStatus !== 'OK') stuck++;
    });
    v.topics.forEach(function (t) { if (t.producedPerSec !== null) produced = (produced || 0) + t.producedPerSec; });
    el('kpi-groups').textContent = v.groups.length;
    el('kpi-groups-sub').textContent = stuck === 0 ? 'all OK' : stuck + ' not OK';
    el('kpi-lag').textContent = fmtInt(totalLag);
    el('kpi-timelag').textContent = fmtSec(maxT);
    el('kpi-produced').textContent = fmtRate(produced);
    el('kpi-dlq').textContent = v.dlq.rate === null ? '–' : (v.dlq.rate * 100).toFixed(2) + '%';
    el('kpi-dlq-sub').textContent = fmtInt(v.dlq.dead) + ' / ' + fmtInt(v.dlq.total) + ' in ' + Math.round(v.dlq.windowSeconds / 60) + ' min';
    if (v.latency && v.latency.p95 !== null) lastE2e = v.latency;
    el('kpi-e2e').textContent = lastE2e ? fmtSec(lastE2e.p95) : '–';
    el('kpi-e2e-sub').textContent = lastE2e ? 'p50 ' + fmtSec(lastE2e.p50) + ' · p99 ' + fmtSec(lastE2e.p99) : 'no samples in this process';

    var body = el('lag-body');
    body.textContent = '';
    if (v.groups.length === 0) {
      var tr0 = node('tr'); var td0 = node('td', 'no consumer groups on the cluster', 'empty'); td0.colSpan = 8; tr0.appendChild(td0); body.appendChild(tr0);
    }
    v.groups.forEach(function (g) {
      var gr = node('tr', null, 'group-row');
      gr.dataset.group = g.groupId;
      gr.appendChild(node('td', g.groupId));
      gr.appendChild(node('td', g.members + ' member' + (g.members === 1 ? '' : 's'), 'tag'));
      var st = node('td'); st.appendChild(node('span', g.consumerStatus, 'badge s-' + g.consumerStatus)); gr.appendChild(st);
      gr.appendChild(node('td', '', 'num'));
      gr.appendChild(node('td', '', 'num'));
      var tl = node('td', fmtInt(g.totalLag), 'num'); tl.dataset.field = 'totalLag'; gr.appendChild(tl);
      var tt = node('td', fmtSec(g.maxTimeLagSeconds), 'num'); tt.dataset.field = 'maxTimeLag'; gr.appendChild(tt);
      gr.appendChild(node('td', g.status + (g.state.toLowerCase() === g.status ? '' : ' (' + g.state + ')') + (g.consumerStatus !== 'OK' ? ' · ' + g.statusReason : ''), 'tag reason'));
      body.appendChild(gr);
      g.partitions.forEach(function (p) {
        var tr = node('tr');
        tr.dataset.group = g.groupId; tr.dataset.topic = p.topic; tr.dataset.partition = String(p.partition);
        tr.appendChild(node('td', '  ' + p.topic, 'tag'));
        tr.appendChild(node('td', p.partition));
        var s = node('td'); s.appendChild(node('span', p.consumerStatus, 'badge s-' + p.consumerStatus)); tr.appendChild(s);
        var c = node('td', p.committed === null ? '–' : fmtInt(p.committed), 'num'); c.dataset.field = 'committed'; c.dataset.raw = p.committed === null ? '' : p.committed; tr.appendChild(c);
        var e = node('td', p.logEnd === null ? '–' : fmtInt(p.logEnd), 'num'); e.dataset.field = 'logEnd'; e.dataset.raw = p.logEnd === null ? '' : p.logEnd; tr.appendChild(e);
        var l = node('td', fmtInt(p.lag), 'num'); l.dataset.field = 'lag'; l.dataset.raw = p.lag; tr.appendChild(l);
        var t = node('td', fmtSec(p.timeLagSeconds), 'num'); t.dataset.field = 'timeLag'; t.dataset.raw = p.timeLagSeconds === null ? '' : String(p.timeLagSeconds); tr.appendChild(t);
        tr.appendChild(node('td', p.status, 'tag'));
        body.appendChild(tr);
      });
    });

    var al = el('alerts');
    al.textContent = '';
    if (v.alerts.length === 0) al.appendChild(node('div', 'none', 'empty'));
    v.alerts.forEach(function (a) {
      var d = node('div', null, 'alert ' + a.severity);
      d.dataset.alert = a.id;
      d.appendChild(node('div', a.rule + (a.group ? ' · ' + a.group : ''), 'rule'));
      d.appendChild(node('div', a.summary));
      d.appendChild(node('div', 'firing since ' + a.startsAt.replace('T', ' ').substring(0, 19) + ' UTC', 'when'));
      al.appendChild(d);
    });

    el('dlq-summary').textContent = 'source: ' + v.dlq.source + ' counters · window ' + Math.round(v.dlq.windowSeconds) + ' s';
    var rs = el('dlq-reasons'); rs.textContent = '';
    if (!v.dlq.reasons) { var r0 = node('tr'); var c0 = node('td', 'ClickHouse not connected to this monitor', 'empty'); c0.colSpan = 2; r0.appendChild(c0); rs.appendChild(r0); }
    else if (v.dlq.reasons.length === 0) { var r1 = node('tr'); var c1 = node('td', 'no dead letters in the last hour', 'empty'); c1.colSpan = 2; r1.appendChild(c1); rs.appendChild(r1); }
    else v.dlq.reasons.forEach(function (x) { var tr = node('tr'); tr.appendChild(node('td', x.reason, 'reason')); tr.appendChild(node('td', fmtInt(x.count), 'num')); rs.appendChild(tr); });
    var lt = el('dlq-latest'); lt.textContent = '';
    if (!v.dlq.latest || v.dlq.latest.length === 0) { var r2 = node('tr'); var c2 = node('td', v.dlq.latest ? 'none' : 'ClickHouse not connected to this monitor', 'empty'); c2.colSpan = 4; r2.appendChild(c2); lt.appendChild(r2); }
    else v.dlq.latest.forEach(function (x) {
      var tr = node('tr');
      tr.appendChild(node('td', x.failedAt.replace('T', ' ').substring(0, 19)));
      tr.appendChild(node('td', x.topic + '[' + x.partition + ']'));
      tr.appendChild(node('td', x.offset, 'num'));
      tr.appendChild(node('td', x.reason, 'reason'));
      lt.appendChild(tr);
    });
    document.body.dataset.updatedAt = String(v.atMs);
  }

  var lastAt = 0;
  function onView(v) {
    if (v.atMs <= lastAt) return;
    lastAt = v.atMs;
    addPoint(pointOf(v));
    redraw();
    render(v);
  }
  function setLive(on) {
    el('live-dot').className = on ? 'dot live' : 'dot';
    el('live-text').textContent = on ? 'live' : 'reconnecting…';
  }

  fetch('/api/monitor/overview').then(function (r) { return r.json(); }).then(function (o) {
    o.history.forEach(function (p) { if (p.atMs < (o.view ? o.view.atMs : Infinity)) { addPoint(p); lastAt = p.atMs; } });
    if (o.view) onView(o.view); else redraw();
  }).catch(function () { /* the stream fills in */ }).then(function () {
    var es = new EventSource('/api/stream');
    es.onopen = function () { setLive(true); };
    es.onerror = function () { setLive(false); };
    es.onmessage = function (m) { setLive(true); onView(JSON.parse(m.data)); };
  });
})();
</script>
</body>
</html>
`;

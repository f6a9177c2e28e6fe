// Tally dashboard: vanilla JS, no build step. Every value from the server is put in the page with textContent
// (never innerHTML), so a job named <img src=x onerror=...> stays text. The page is served with a CSP that forbids
// inline scripts; this file is the only script.
'use strict';

const PAGE_SIZE = 25;
const STATES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED'];
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED']);

const ui = {
    token: localStorage.getItem('tallyToken') || '',
    view: null,           // 'list' | 'job' | 'defs'
    filters: { state: '', scope: '', name: '' },
    cursor: null,         // cursor of the page shown (null: first page)
    next: null,           // cursor of the next page
    rows: new Map(),      // job id -> row elements (list view and children)
    jobId: null,
    job: null,
    history: [],          // [{t, done, total, percent}] for the chart
    es: null,
    esOpened: false,
    timers: {},
};

const $ = (id) => document.getElementById(id);

/** Creates an element; text goes through textContent only. */
function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
}

// ------------------------------------------------------------------ API

async function api(path, options = {}) {
    const headers = Object.assign({ Accept: 'application/json' }, options.headers || {});
    if (ui.token) headers.Authorization = 'Bearer ' + ui.token;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, Object.assign({}, options, { headers, cache: 'no-store' }));
    if (res.status === 401) {
        $('auth').hidden = false;
    }
    if (res.status === 204) return null;
    let body = null;
    try {
        body = await res.json();
    } catch (e) {
        body = null;
    }
    if (!res.ok) {
        const err = new Error(body && body.error ? body.error.message : 'HTTP ' + res.status);
        err.status = res.status;
        throw err;
    }
    return body;
}

function notice(text) {
    const n = $('notice');
    n.textContent = text || '';
    n.hidden = !text;
}

// ------------------------------------------------------------------ formatting

function fmtRate(r) {
    if (!r) return '–';
    if (r >= 100) return Math.round(r) + '/s';
    return r.toFixed(r >= 10 ? 1 : 2) + '/s';
}

function fmtEta(s) {
    if (s === null || s === undefined) return '–';
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h > 0) return h + 'h ' + String(m).padStart(2, '0') + 'm';
    if (m > 0) return m + 'm ' + String(sec).padStart(2, '0') + 's';
    return sec + 's';
}

function fmtTime(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleString();
}

function fmtPct(p) {
    return (Math.round(p * 10) / 10) + '%';
}

// ------------------------------------------------------------------ progress bars

function makeBar() {
    const wrap = el('div', 'progress');
    const bar = el('div', 'bar');
    bar.append(el('span', 'ok'), el('span', 'bad'));
    wrap.append(bar, el('span', 'pct'));
    return wrap;
}

/** Sets the succeeded / failed segments; CSSOM style writes are allowed under the CSP. */
function setBar(bar, pctEl, job) {
    const total = job.total || 0;
    let ok = 0, bad = 0;
    if (job.state === 'SUCCEEDED' && total === 0) {
        ok = 100;
    } else if (total > 0) {
        ok = Math.min(100, (job.succeeded * 100) / total);
        bad = Math.min(100 - ok, (job.failed * 100) / total);
    }
    bar.querySelector('.ok').style.width = ok + '%';
    bar.querySelector('.bad').style.width = bad + '%';
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuenow', String(job.percent));
    bar.dataset.percent = String(job.percent);
    if (pctEl) pctEl.textContent = total > 0 || job.state === 'SUCCEEDED' ? fmtPct(job.percent) : job.succeeded + job.failed + ' done';
}

// ------------------------------------------------------------------ jobs list

function jobRow(job) {
    const tr = el('tr', 'job-row');
    tr.dataset.id = job.id;
    const c1 = el('td', 'c-name');
    const a = el('a', 'name job-link', job.name);
    a.href = '#/jobs/' + encodeURIComponent(job.id);
    const sub = el('p', 'sub');
    c1.append(a, sub);
    const c2 = el('td', 'c-state');
    c2.append(el('span', 'state'));
    const c3 = el('td', 'c-progress');
    const bar = makeBar();
    c3.append(bar, el('div', 'counts'));
    tr.append(c1, c2, c3, el('td', 'c-rate'), el('td', 'c-eta'), el('td', 'c-created'));
    updateRow(tr, job);
    return tr;
}

function updateRow(tr, job) {
    tr.dataset.state = job.state;
    tr.querySelector('.name').textContent = job.name;
    tr.querySelector('.sub').textContent = job.id + (job.scope ? ' · ' + job.scope : '') + (job.message ? ' · ' + job.message : '');
    const st = tr.querySelector('.state');
    st.textContent = job.state;
    st.className = 'state ' + job.state;
    setBar(tr.querySelector('.bar'), tr.querySelector('.pct'), job);
    tr.querySelector('.counts').textContent =
        job.succeeded + ' ok · ' + job.failed + ' failed' + (job.total ? ' · ' + job.total + ' total' : '');
    tr.querySelector('.c-rate').textContent = fmtRate(job.rate);
    tr.querySelector('.c-eta').textContent = TERMINAL.has(job.state) ? '–' : fmtEta(job.etaSeconds);
    tr.querySelector('.c-created').textContent = fmtTime(job.createdAt);
}

function matchesFilters(job) {
    const f = ui.filters;
    return (!f.state || job.state === f.state) && (!f.scope || job.scope === f.scope) && (!f.name || job.name === f.name);
}

async function loadStats() {
    try {
        const s = await api('/api/stats');
        const box = $('stats');
        box.replaceChildren();
        const all = el('button', 'stat' + (ui.filters.state ? '' : ' active'));
        all.type = 'button';
        all.append(el('b', null, s.total), document.createTextNode('ALL'));
        all.addEventListener('click', () => setStateFilter(''));
        box.append(all);
        for (const st of STATES) {
            const b = el('button', 'stat stat-' + st + (ui.filters.state === st ? ' active' : ''));
            b.type = 'button';
            b.dataset.state = st;
            b.append(el('b', null, s.states[st] || 0), document.createTextNode(st));
            b.addEventListener('click', () => setStateFilter(st));
            box.append(b);
        }
    } catch (e) {
        notice('Could not load counts: ' + e.message);
    }
}

function setStateFilter(st) {
    ui.filters.state = st;
    $('f-state').value = st;
    ui.cursor = null;
    loadList();
}

function query() {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(ui.filters)) if (v) p.set(k, v);
    p.set('limit', String(PAGE_SIZE));
    if (ui.cursor) p.set('cursor', ui.cursor);
    return p.toString();
}

async function loadList() {
    loadStats();
    try {
        const page = await api('/api/jobs?' + query());
        notice('');
        const body = $('job-rows');
        body.replaceChildren();
        ui.rows.clear();
        for (const job of page.jobs) {
            const tr = jobRow(job);
            ui.rows.set(job.id, tr);
            body.append(tr);
        }
        ui.next = page.next;
        $('next-page').disabled = !page.next;
        $('first-page').disabled = !ui.cursor;
        $('empty').hidden = page.jobs.length > 0;
    } catch (e) {
        notice('Could not load jobs: ' + e.message);
    }
}

function debounce(name, ms, fn) {
    if (ui.timers[name]) return;
    ui.timers[name] = setTimeout(() => {
        ui.timers[name] = null;
        fn();
    }, ms);
}

function onListEvent(type, ev) {
    const job = ev.job;
    if (!job) return;
    const tr = ui.rows.get(job.id);
    if (type === 'deleted') {
        if (tr) {
            tr.remove();
            ui.rows.delete(job.id);
        }
    } else if (tr) {
        updateRow(tr, job);
    } else if (type === 'created' && !ui.cursor && matchesFilters(job)) {
        const row = jobRow(job);
        ui.rows.set(job.id, row);
        $('job-rows').prepend(row);
        $('empty').hidden = true;
        while ($('job-rows').children.length > PAGE_SIZE) {
            const last = $('job-rows').lastElementChild;
            ui.rows.delete(last.dataset.id);
            last.remove();
        }
    }
    if (type !== 'progress' && type !== 'part') debounce('stats', 300, loadStats);
}

// ------------------------------------------------------------------ job page

function dlItem(dl, label, value) {
    const d = el('div');
    d.append(el('dt', null, label), el('dd', null, value === null || value === undefined || value === '' ? '–' : value));
    dl.append(d);
}

function renderJob(job) {
    ui.job = job;
    $('job-missing').hidden = true;
    $('job-body').hidden = false;
    document.title = job.name + ' · Tally';
    $('job-name').textContent = job.name;
    $('job-id').textContent = job.id + (job.scope ? ' · scope ' + job.scope : '') + (job.parent ? ' · parent ' + job.parent : '');
    const st = $('job-state');
    st.textContent = job.state;
    st.className = 'state ' + job.state;
    $('job-message').textContent = job.message || '';
    setBar($('job-bar'), $('job-pct'), job);
    const terminal = TERMINAL.has(job.state);
    $('cancel-job').hidden = terminal;
    if (terminal) $('cancel-confirm').hidden = true;

    const c = $('job-counters');
    c.replaceChildren();
    dlItem(c, 'Succeeded', job.succeeded);
    dlItem(c, 'Failed', job.failed);
    dlItem(c, 'Pending', job.pending);
    dlItem(c, 'Total', job.total || 'unknown');
    dlItem(c, 'Percent', fmtPct(job.percent));
    dlItem(c, 'Rate', fmtRate(job.rate));
    dlItem(c, 'ETA', terminal ? '–' : fmtEta(job.etaSeconds));
    if (job.parts) dlItem(c, 'Parts', job.parts + (job.settled ? ' (settled)' : ''));

    const d = $('job-details');
    d.replaceChildren();
    dlItem(d, 'Created', fmtTime(job.createdAt));
    dlItem(d, 'Started', fmtTime(job.startedAt));
    dlItem(d, 'Updated', fmtTime(job.updatedAt));
    dlItem(d, 'Finished', fmtTime(job.finishedAt));
    if (job.deadline) dlItem(d, 'Deadline', fmtTime(job.deadline));
    if (job.lease) dlItem(d, 'Heartbeat lease until', fmtTime(job.lease));
    if (job.retainUntil) dlItem(d, 'Kept until', fmtTime(job.retainUntil));
    if (job.timeout) dlItem(d, 'Timeout', job.timeout);
    if (job.heartbeat) dlItem(d, 'Heartbeat', job.heartbeat);
    $('job-metadata').textContent = JSON.stringify(job.metadata || {}, null, 2);

    $('result-box').hidden = job.result === null || job.result === undefined;
    $('job-result').textContent = $('result-box').hidden ? '' : JSON.stringify(job.result, null, 2);
    const err = job.error;
    $('error-box').hidden = !err;
    if (err) {
        $('job-error').textContent = (err.reason ? '[' + err.reason + '] ' : '') + (err.type ? err.type + ': ' : '') + err.message;
        $('stack-box').hidden = !err.stack;
        $('job-stack').textContent = err.stack || '';
    }
    if (job.rollup && ui.job) {
        const r = job.rollup;
        $('rollup').textContent = 'With all descendants: ' + r.succeeded + ' ok · ' + r.failed + ' failed · ' +
            (r.total ? r.total + ' total · ' + fmtPct(r.percent) : 'total unknown') + ' · ' + fmtRate(r.rate);
    }
    addHistory(job);
}

function addHistory(job) {
    // Points are placed at the server's write times, so a page opened late still draws the job's real pace.
    const h = ui.history;
    if (h.length === 0) {
        const begin = Date.parse(job.startedAt || job.createdAt);
        if (!isNaN(begin)) h.push({ t: begin, done: 0, total: job.total, percent: 0 });
    }
    let t = Date.parse(job.updatedAt);
    if (isNaN(t)) t = Date.now();
    const point = { t, done: job.succeeded + job.failed, total: job.total, percent: job.percent };
    const last = h[h.length - 1];
    if (last && last.t === point.t && last.done === point.done && last.percent === point.percent) return;
    if (last && point.t < last.t) point.t = last.t;
    h.push(point);
    if (h.length > 600) h.splice(1, 1);
    drawChart();
}

/** Draws done-over-time (as percent when the total is known) from the snapshots this page has received. */
function drawChart() {
    const cv = $('chart');
    const w = cv.clientWidth || cv.width;
    const ratio = window.devicePixelRatio || 1;
    cv.width = Math.round(w * ratio);
    cv.height = Math.round(160 * ratio);
    const g = cv.getContext('2d');
    g.scale(ratio, ratio);
    const H = 160, pad = 28;
    g.clearRect(0, 0, w, H);
    g.strokeStyle = '#d1d9e0';
    g.fillStyle = '#59636e';
    g.font = '11px system-ui, sans-serif';
    g.beginPath();
    g.moveTo(pad, 8);
    g.lineTo(pad, H - 18);
    g.lineTo(w - 8, H - 18);
    g.stroke();
    const h = ui.history;
    if (h.length === 0) return;
    const usePct = h[h.length - 1].total > 0;
    const val = (p) => (usePct ? p.percent : p.done);
    const maxY = usePct ? 100 : Math.max(1, ...h.map(val));
    const t0 = h[0].t, t1 = Math.max(h[h.length - 1].t, t0 + 1000);
    const x = (t) => pad + ((t - t0) / (t1 - t0)) * (w - pad - 10);
    const y = (v) => H - 18 - (v / maxY) * (H - 30);
    g.fillText(usePct ? '100%' : String(maxY), 2, 14);
    g.fillText('0', 2, H - 20);
    g.fillText(fmtEta((t1 - t0) / 1000), w - 48, H - 4);
    g.strokeStyle = '#1a7f37';
    g.lineWidth = 2;
    g.beginPath();
    h.forEach((p, i) => (i === 0 ? g.moveTo(x(p.t), y(val(p))) : g.lineTo(x(p.t), y(val(p)))));
    if (h.length === 1) g.lineTo(x(t1), y(val(h[0])));
    g.stroke();
}

function chips(box, numbers, more, cls) {
    box.replaceChildren();
    if (numbers.length === 0) box.append(el('span', 'sub', 'none'));
    for (const n of numbers) box.append(el('span', 'chip' + (cls ? ' ' + cls : ''), n));
    if (more) box.append(el('span', 'sub', '…and more'));
}

// Whether the job page still shows job `id`: an answer that arrives after the user moved on must not be drawn.
function showing(id) {
    return ui.view === 'job' && ui.jobId === id;
}

async function loadJobExtras(job) {
    const id = encodeURIComponent(job.id);
    const tasks = [];
    // Each answer is drawn only if the page still shows this job.
    const ifShown = (draw) => (p) => {
        if (showing(job.id)) draw(p);
    };
    $('parts-box').hidden = !job.parts;
    if (job.parts) {
        tasks.push(api('/api/jobs/' + id + '/parts?state=pending&limit=200').then(ifShown((p) => chips($('parts-pending'), p.parts, p.next !== null))));
        tasks.push(api('/api/jobs/' + id + '/parts?state=failed&limit=200').then(ifShown((p) => chips($('parts-failed'), p.parts, p.next !== null, 'bad'))));
    }
    tasks.push(api('/api/jobs/' + id + '/items?limit=100').then(ifShown((p) => {
        const body = $('item-rows');
        body.replaceChildren();
        for (const it of p.items) {
            const tr = el('tr');
            tr.append(el('td', null, it.key), el('td', 'outcome-' + it.outcome, it.outcome), el('td', null, it.reason || ''));
            body.append(tr);
        }
        $('items-box').hidden = p.items.length === 0;
    })));
    tasks.push(api('/api/jobs/' + id + '/logs?limit=500').then(ifShown((p) => {
        $('logs').textContent = p.logs.map((l) => l.at + ' ' + l.level + ' ' + (l.logger ? l.logger + ' ' : '') + l.message).join('\n');
        $('logs-box').hidden = p.logs.length === 0;
    })));
    tasks.push(api('/api/jobs?parent=' + id + '&limit=100').then(ifShown((p) => {
        const body = $('child-rows');
        body.replaceChildren();
        for (const [k, tr] of ui.rows) if (tr.dataset.child) ui.rows.delete(k);
        for (const c of p.jobs) {
            const tr = jobRow(c);
            tr.dataset.child = '1';
            ui.rows.set(c.id, tr);
            body.append(tr);
        }
        $('children-box').hidden = p.jobs.length === 0;
    })));
    try {
        await Promise.all(tasks);
    } catch (e) {
        notice('Could not load part of the job: ' + e.message);
    }
}

async function loadJob(id) {
    try {
        const job = await api('/api/jobs/' + encodeURIComponent(id));
        if (!showing(id)) return; // the user moved to another page meanwhile
        notice('');
        renderJob(job);
        loadJobExtras(job);
    } catch (e) {
        if (!showing(id)) return;
        if (e.status === 404 || e.status === 400) {
            $('job-missing').hidden = false;
            $('job-missing').textContent = 'No job with id ' + id;
            $('job-body').hidden = true;
        } else {
            notice('Could not load the job: ' + e.message);
        }
    }
}

function onJobEvent(type, ev) {
    const job = ev.job;
    if (!job) return;
    if (job.id === ui.jobId) {
        if (type === 'deleted') {
            $('job-missing').hidden = false;
            $('job-missing').textContent = 'This job was deleted.';
            $('job-body').hidden = true;
            return;
        }
        job.rollup = ui.job ? ui.job.rollup : null;
        renderJob(job);
        debounce('extras', type === 'progress' || type === 'part' ? 2000 : 200, () => loadJob(ui.jobId));
    } else {
        const tr = ui.rows.get(job.id);
        if (tr) updateRow(tr, job);
        else if (type === 'created') debounce('extras', 300, () => loadJob(ui.jobId));
        // A child's progress changes the parent's roll-up, which only a read of the parent computes.
        debounce('rollup', 1000, () => loadJob(ui.jobId));
    }
}

async function cancelJob() {
    $('cancel-confirm').hidden = true;
    try {
        const job = await api('/api/jobs/' + encodeURIComponent(ui.jobId) + '/cancel', { method: 'POST', body: '{}' });
        job.rollup = ui.job ? ui.job.rollup : null;
        renderJob(job);
    } catch (e) {
        notice('Could not cancel: ' + e.message);
    }
}

// ------------------------------------------------------------------ definitions page

const SVG_NS = 'http://www.w3.org/2000/svg';
const NODE_W = 170, NODE_H = 34, GAP_X = 70, GAP_Y = 16, PAD = 14;

/** Creates an SVG element; attribute values are set with setAttribute, text with textContent only. */
function svgEl(tag, attrs, text) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function loadDefinitions() {
    let body;
    try {
        body = await api('/api/definitions');
    } catch (e) {
        if (e.status === 404) {
            $('defs-missing').hidden = false;
            $('defs-missing').textContent = 'No job definitions: ' + e.message;
            $('defs-body').hidden = true;
        } else {
            notice('Could not load definitions: ' + e.message);
        }
        return;
    }
    if (ui.view !== 'defs') return;
    notice('');
    $('defs-missing').hidden = true;
    $('defs-body').hidden = false;
    renderDefRows(body.definitions);
    drawGraph(body.definitions);
}

function renderDefRows(defs) {
    const body = $('def-rows');
    body.replaceChildren();
    for (const d of defs) {
        const tr = el('tr', 'def-row');
        tr.dataset.id = d.id;
        const c1 = el('td', 'c-name');
        c1.append(el('span', 'name', d.title), el('p', 'sub', d.id));
        const c2 = el('td', 'c-status');
        c2.append(el('span', 'dstatus ' + d.status, d.status));
        const c5 = el('td', 'c-last');
        if (d.lastBuild) {
            const a = el('a', 'build-link', d.lastBuild);
            a.href = '#/jobs/' + encodeURIComponent(d.lastBuild);
            c5.append(a);
        } else {
            c5.textContent = '–';
        }
        const c6 = el('td', 'c-action');
        const b = el('button', 'build-btn', 'Build');
        b.type = 'button';
        b.dataset.id = d.id;
        b.addEventListener('click', () => startBuild(d.id, b));
        c6.append(b);
        tr.append(c1, c2, el('td', null, d.dependsOn.join(', ') || '–'), el('td', null, d.tags.join(', ') || '–'), c5, c6);
        body.append(tr);
    }
}

/** Draws the dependency graph: one column per topological layer, an arrow from each dependency to its dependent. */
function drawGraph(defs) {
    const box = $('dep-graph');
    box.replaceChildren();
    if (defs.length === 0) {
        box.append(el('p', 'empty', 'No definitions.'));
        return;
    }
    // The API lists definitions in dependency order, so every dependency's layer is known before its dependents'.
    const layerOf = new Map();
    const columns = [];
    for (const d of defs) {
        let layer = 0;
        for (const dep of d.dependsOn) {
            if (layerOf.has(dep)) layer = Math.max(layer, layerOf.get(dep) + 1);
        }
        layerOf.set(d.id, layer);
        (columns[layer] = columns[layer] || []).push(d);
    }
    const pos = new Map();
    let rows = 0;
    columns.forEach((col, layer) => {
        col.forEach((d, i) => pos.set(d.id, { x: PAD + layer * (NODE_W + GAP_X), y: PAD + i * (NODE_H + GAP_Y) }));
        rows = Math.max(rows, col.length);
    });
    const width = PAD * 2 + columns.length * (NODE_W + GAP_X) - GAP_X;
    const height = PAD * 2 + rows * (NODE_H + GAP_Y) - GAP_Y;
    const svg = svgEl('svg', { width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' });
    svg.append(svgEl('title', null, 'Dependency graph of ' + defs.length + ' definitions'));
    const marker = svgEl('marker', {
        id: 'dep-arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto',
    });
    marker.append(svgEl('path', { d: 'M0,0 L10,5 L0,10 z', class: 'garrow' }));
    const defsEl = svgEl('defs');
    defsEl.append(marker);
    svg.append(defsEl);
    const edges = svgEl('g', { class: 'gedges' });
    for (const d of defs) {
        const to = pos.get(d.id);
        for (const dep of d.dependsOn) {
            const from = pos.get(dep);
            if (!from) continue;
            edges.append(svgEl('line', {
                class: 'gedge', 'data-from': dep, 'data-to': d.id,
                x1: from.x + NODE_W, y1: from.y + NODE_H / 2, x2: to.x - 2, y2: to.y + NODE_H / 2,
                'marker-end': 'url(#dep-arrow)',
            }));
        }
    }
    svg.append(edges);
    const nodes = svgEl('g', { class: 'gnodes' });
    for (const d of defs) {
        const p = pos.get(d.id);
        const g = svgEl('g', { class: 'gnode ' + d.status, 'data-id': d.id, transform: 'translate(' + p.x + ',' + p.y + ')' });
        g.append(svgEl('title', null, d.title + ' (' + d.id + '): ' + d.status + (d.lastBuild ? ' · click for the last build' : '')));
        g.append(svgEl('rect', { width: NODE_W, height: NODE_H, rx: 6, ry: 6 }));
        const label = d.title.length > 20 ? d.title.slice(0, 19) + '…' : d.title;
        g.append(svgEl('text', { x: 10, y: 22 }, label));
        if (d.lastBuild) {
            g.addEventListener('click', () => {
                location.hash = '#/jobs/' + encodeURIComponent(d.lastBuild);
            });
        }
        nodes.append(g);
    }
    svg.append(nodes);
    box.append(svg);
}

async function startBuild(id, button) {
    button.disabled = true;
    const body = JSON.stringify({ buildDependencies: $('b-deps').checked, buildDependents: $('b-dependents').checked });
    try {
        const r = await api('/api/definitions/' + encodeURIComponent(id) + '/builds', { method: 'POST', body });
        // The build's job is created when it is about to run (after its dependencies): give it a moment to exist.
        for (let i = 0; i < 25; i++) {
            try {
                await api('/api/jobs/' + encodeURIComponent(r.id));
                break;
            } catch (e) {
                if (e.status !== 404) break;
                await sleep(200);
            }
        }
        location.hash = '#/jobs/' + encodeURIComponent(r.id);
    } catch (e) {
        notice('Could not start the build: ' + e.message);
    } finally {
        button.disabled = false;
    }
}

function onDefsEvent(type) {
    if (type !== 'progress' && type !== 'part') debounce('defs', 400, loadDefinitions);
}

// ------------------------------------------------------------------ live updates (SSE)

const EVENT_TYPES = ['created', 'started', 'progress', 'part', 'settled', 'finished', 'failed', 'cancelled', 'skipped', 'deleted'];

function connect(params) {
    if (ui.es) ui.es.close();
    ui.esOpened = false;
    const url = '/api/events' + (params ? '?' + params : '');
    const es = new EventSource(url);
    ui.es = es;
    const live = $('live');
    es.onopen = () => {
        live.textContent = 'live';
        live.classList.add('on');
    };
    es.onerror = () => {
        live.textContent = 'reconnecting…';
        live.classList.remove('on');
    };
    // A snapshot after the first means the server could not replay what we missed: reload the view.
    es.addEventListener('snapshot', () => {
        if (ui.esOpened) route();
        ui.esOpened = true;
    });
    for (const t of EVENT_TYPES) {
        es.addEventListener(t, (m) => {
            let data;
            try {
                data = JSON.parse(m.data);
            } catch (e) {
                return;
            }
            if (ui.view === 'job') onJobEvent(t, data);
            else if (ui.view === 'defs') onDefsEvent(t, data);
            else onListEvent(t, data);
        });
    }
}

// ------------------------------------------------------------------ routing

function route() {
    const hash = location.hash || '#/';
    const m = hash.match(/^#\/jobs\/(.+)$/);
    for (const k of Object.keys(ui.timers)) {
        clearTimeout(ui.timers[k]);
        ui.timers[k] = null;
    }
    ui.rows.clear();
    $('nav-defs').classList.toggle('active', hash.startsWith('#/definitions'));
    $('nav-jobs').classList.toggle('active', !m && !hash.startsWith('#/definitions'));
    if (hash === '#/definitions') {
        const changed = ui.view !== 'defs';
        ui.view = 'defs';
        ui.jobId = null;
        document.title = 'Definitions · Tally';
        $('job-view').hidden = true;
        $('list-view').hidden = true;
        $('defs-view').hidden = false;
        if (changed) connect('');
        loadDefinitions();
        return;
    }
    $('defs-view').hidden = true;
    let id = null;
    if (m) {
        try {
            id = decodeURIComponent(m[1]);
        } catch (e) {
            // A hand-edited or truncated link (#/jobs/%E0%A4%A): ask for it as it stands, so the server's answer
            // (not a valid id) is shown where the job would be, instead of a page that stops rendering.
            id = m[1];
        }
    }
    if (m) {
        const changed = ui.view !== 'job' || ui.jobId !== id;
        ui.view = 'job';
        $('list-view').hidden = true;
        $('job-view').hidden = false;
        if (changed) {
            ui.jobId = id;
            ui.job = null;
            ui.history = [];
            $('cancel-confirm').hidden = true;
            connect('parent=' + encodeURIComponent(id));
        }
        loadJob(id);
    } else {
        const changed = ui.view !== 'list';
        ui.view = 'list';
        ui.jobId = null;
        document.title = 'Tally';
        $('job-view').hidden = true;
        $('list-view').hidden = false;
        if (changed) connect(ui.filters.scope ? 'scope=' + encodeURIComponent(ui.filters.scope) : '');
        loadList();
    }
}

function init() {
    $('search').addEventListener('submit', (e) => {
        e.preventDefault();
        const id = $('search-id').value.trim();
        if (id) location.hash = '#/jobs/' + encodeURIComponent(id);
    });
    $('filters').addEventListener('submit', (e) => {
        e.preventDefault();
        const scopeBefore = ui.filters.scope;
        ui.filters = { state: $('f-state').value, scope: $('f-scope').value.trim(), name: $('f-name').value.trim() };
        ui.cursor = null;
        if (scopeBefore !== ui.filters.scope) connect(ui.filters.scope ? 'scope=' + encodeURIComponent(ui.filters.scope) : '');
        loadList();
    });
    $('f-clear').addEventListener('click', () => {
        $('f-state').value = '';
        $('f-scope').value = '';
        $('f-name').value = '';
        const hadScope = !!ui.filters.scope;
        ui.filters = { state: '', scope: '', name: '' };
        ui.cursor = null;
        if (hadScope) connect('');
        loadList();
    });
    $('next-page').addEventListener('click', () => {
        if (!ui.next) return;
        ui.cursor = ui.next;
        loadList();
    });
    $('first-page').addEventListener('click', () => {
        ui.cursor = null;
        loadList();
    });
    $('cancel-job').addEventListener('click', () => {
        $('cancel-confirm').hidden = false;
    });
    $('cancel-confirm').addEventListener('click', cancelJob);
    $('auth').addEventListener('submit', (e) => {
        e.preventDefault();
        ui.token = $('auth-token').value.trim();
        localStorage.setItem('tallyToken', ui.token);
        $('auth').hidden = true;
        ui.view = null;
        openSession().then(route);
    });
    window.addEventListener('hashchange', route);
    window.addEventListener('resize', () => debounce('chart', 200, drawChart));
    openSession().then(route);
}

/**
 * EventSource cannot send headers, so reads over it carry a cookie: the server sets it (HttpOnly, so no script, here or
 * on another page of this host, can read it) from the token this page holds. Without a token there is nothing to do.
 */
async function openSession() {
    if (!ui.token) return;
    try {
        await api('/api/session', { method: 'POST' });
    } catch (e) {
        // A wrong token: the next read answers 401 and shows the token form.
    }
}

document.addEventListener('DOMContentLoaded', init);

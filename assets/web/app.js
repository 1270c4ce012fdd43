// proximity dashboard: every page is drawn from the JSON API (/api/v1). No outside script.
'use strict';

const main = document.getElementById('app');
const page = main ? main.dataset.page : '';
const data = main ? main.dataset : {};

// ---- helpers -------------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function query(extra) {
  const p = new URLSearchParams();
  for (const k of ['map', 'days', 'server', 'player']) if (data[k]) p.set(k, data[k]);
  for (const [k, v] of Object.entries(extra || {})) {
    if (v === null || v === undefined || v === '') p.delete(k);
    else p.set(k, v);
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

async function api(path, extra) {
  const r = await fetch('/api/v1' + path + (extra === false ? '' : query(extra)));
  if (!r.ok) {
    let msg = r.status + '';
    try { msg = (await r.json()).error; } catch (_) { /* not JSON */ }
    throw new Error(msg);
  }
  return r.json();
}

function fmt(v, unit) {
  if (v === null || v === undefined) return '—';
  const n = Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
  return unit ? n + ' ' + unit : n;
}

function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
}

function playerLink(p) {
  return el('a', { href: '/players/' + encodeURIComponent(p.guid) }, p.name || p.guid);
}

function showError(where, err) {
  const box = where || main;
  box.append(el('p', { class: 'error' }, 'Could not load: ' + err.message));
}

function table(node, head, rows) {
  node.replaceChildren(el('tr', {}, ...head.map((h) => el('th', {}, h))));
  for (const r of rows) node.append(el('tr', {}, ...r.map((c) => el('td', {}, c))));
}

const TEAM = { 1: '#e04848', 2: '#4a8cff', 0: '#bbbbbb' };

// ---- filters and the player search -------------------------------------------------------

async function initFilters() {
  const form = document.getElementById('filters');
  if (!form) return;
  const set = (id, v) => { const i = document.getElementById(id); if (i && v) i.value = v; };
  set('f-days', data.days);
  set('f-player', data.player);
  set('f-kind', data.kind);
  const select = document.getElementById('f-map');
  try {
    const maps = await api('/maps', { map: null, days: null, player: null });
    for (const m of maps) select.append(el('option', { value: m.name }, m.name + ' (' + m.rounds + ')'));
    if (data.map) select.value = data.map;
  } catch (e) { showError(form, e); }
  // Another server is another set of rounds: choosing one shows them at once.
  const server = document.getElementById('f-server');
  if (server) server.addEventListener('change', () => form.requestSubmit());
  // Empty fields are left out of the address.
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (String(v).trim()) p.set(k, String(v).trim());
    const s = p.toString();
    location.href = location.pathname + (s ? '?' + s : '');
  });
}

function initSearch() {
  const input = document.getElementById('find-q');
  const list = document.getElementById('find-list');
  if (!input) return;
  let timer = 0;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) return;
    timer = setTimeout(async () => {
      try {
        const found = await api('/players', { map: null, days: null, server: null, player: null, q });
        list.replaceChildren(...found.map((p) => el('option', { value: p.name })));
      } catch (_) { /* suggestions are optional */ }
    }, 200);
  });
}

// ---- the map view: frame, zoom and pan ---------------------------------------------------

// A canvas showing a command map's frame. The frame fits the canvas (aspect kept, centred);
// the view's zoom and offset apply on top.
class MapView {
  constructor(canvas, frame, draw) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.frame = frame;
    this.draw = draw;
    this.zoom = 1; this.ox = 0; this.oy = 0;
    const fw = Math.abs(frame.maxs[0] - frame.mins[0]);
    const fh = Math.abs(frame.mins[1] - frame.maxs[1]);
    this.base = Math.min(canvas.width / fw, canvas.height / fh);
    this.bx = (canvas.width - fw * this.base) / 2;
    this.by = (canvas.height - fh * this.base) / 2;
    this.image = null;
    if (frame.image_url) {
      const img = new Image();
      img.onload = () => { this.image = img; this.render(); };
      img.src = frame.image_url;
    }
  }

  // World (x, y) to canvas pixels (north up: y grows downwards from mins.y).
  toCanvas(x, y) {
    const cx = this.bx + (x - this.frame.mins[0]) * this.base;
    const cy = this.by + (this.frame.mins[1] - y) * this.base;
    return [cx * this.zoom + this.ox, cy * this.zoom + this.oy];
  }

  scale() { return this.base * this.zoom; }

  render() {
    const c = this.ctx;
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.fillStyle = '#0d1117';
    c.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const [x0, y0] = this.toCanvas(this.frame.mins[0], this.frame.mins[1]);
    const [x1, y1] = this.toCanvas(this.frame.maxs[0], this.frame.maxs[1]);
    if (this.image) c.drawImage(this.image, x0, y0, x1 - x0, y1 - y0);
    else {
      c.fillStyle = '#1b2330';
      c.fillRect(x0, y0, x1 - x0, y1 - y0);
      c.strokeStyle = '#263042';
      c.lineWidth = 1;
      for (let gx = Math.ceil(this.frame.mins[0] / 512) * 512; gx < this.frame.maxs[0]; gx += 512) {
        const [px] = this.toCanvas(gx, 0);
        c.beginPath(); c.moveTo(px, y0); c.lineTo(px, y1); c.stroke();
      }
      for (let gy = Math.ceil(this.frame.maxs[1] / 512) * 512; gy < this.frame.mins[1]; gy += 512) {
        const [, py] = this.toCanvas(0, gy);
        c.beginPath(); c.moveTo(x0, py); c.lineTo(x1, py); c.stroke();
      }
    }
    this.draw(c, this);
  }

  // Wheel zooms around the pointer, dragging pans, a double click resets.
  interactive() {
    const cv = this.canvas;
    const at = (ev) => {
      const r = cv.getBoundingClientRect();
      return [(ev.clientX - r.left) * cv.width / r.width, (ev.clientY - r.top) * cv.height / r.height];
    };
    cv.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const [mx, my] = at(ev);
      const k = ev.deltaY < 0 ? 1.25 : 0.8;
      const zoom = Math.min(16, Math.max(1, this.zoom * k));
      const f = zoom / this.zoom;
      this.ox = mx - (mx - this.ox) * f;
      this.oy = my - (my - this.oy) * f;
      this.zoom = zoom;
      this.render();
    }, { passive: false });
    let drag = null;
    cv.addEventListener('pointerdown', (ev) => { drag = at(ev); cv.setPointerCapture(ev.pointerId); });
    cv.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      const [x, y] = at(ev);
      this.ox += x - drag[0]; this.oy += y - drag[1];
      drag = [x, y];
      this.render();
    });
    cv.addEventListener('pointerup', () => { drag = null; });
    cv.addEventListener('dblclick', () => { this.zoom = 1; this.ox = 0; this.oy = 0; this.render(); });
  }
}

// The fallback frame around a set of points, when the map is not known.
function boundsFrame(points) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of points) { x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]); y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]); }
  if (!isFinite(x0)) { x0 = -4096; y0 = -4096; x1 = 4096; y1 = 4096; }
  return { mins: [x0 - 256, y1 + 256], maxs: [x1 + 256, y0 - 256], image_url: null };
}

// ---- heatmaps ------------------------------------------------------------------------------

// Cold to hot: dark blue, cyan, yellow, white (the hottest cell is pure white).
const RAMP = [[20, 30, 120], [0, 170, 255], [255, 220, 0], [255, 255, 255]];
function heatColour(t) {
  const s = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(s));
  const f = s - i;
  const c = RAMP[i].map((v, k) => Math.round(v + (RAMP[i + 1][k] - v) * f));
  return 'rgb(' + c.join(',') + ')';
}

// Sums the points of every team per cell: [[x, y, weight]], and the largest weight.
function cells(points) {
  const sum = new Map();
  for (const [x, y, w] of points) {
    const k = x + ',' + y;
    sum.set(k, (sum.get(k) || 0) + w);
  }
  let max = 0;
  const out = [];
  for (const [k, w] of sum) {
    const [x, y] = k.split(',').map(Number);
    out.push([x, y, w]);
    max = Math.max(max, w);
  }
  out.sort((a, b) => a[2] - b[2]);
  return { cells: out, max };
}

async function heatView(canvas, map, kind, extra) {
  const params = Object.assign({ map, kind }, extra || {});
  const [detail, hot] = await Promise.all([api('/maps/' + encodeURIComponent(map), false), api('/proximity/hotzones', params)]);
  const frame = detail.frame || hot.frame || boundsFrame(hot.points);
  const grid = cells(hot.points);
  const view = new MapView(canvas, frame, (c, v) => {
    const size = Math.max(1, hot.cell * v.scale());
    // Coldest first, so the hottest cells are on top.
    for (const [x, y, w] of grid.cells) {
      const [px, py] = v.toCanvas(x, y);
      c.fillStyle = heatColour(w / grid.max);
      c.fillRect(px - size / 2, py - size / 2, size, size);
    }
  });
  view.render();
  const top = grid.cells[grid.cells.length - 1] || null;
  canvas.dataset.hottest = top ? top[0] + ',' + top[1] + ',' + top[2] : '';
  canvas.dataset.ready = '1';
  return { view, hot, top, total: grid.cells.reduce((a, c) => a + c[2], 0) };
}

async function heatmapPage() {
  const canvas = document.getElementById('heat');
  const info = document.getElementById('heat-info');
  if (!data.map) { info.append('No rounds imported yet.'); return; }
  const { view, hot, top, total } = await heatView(canvas, data.map, data.kind, {});
  view.interactive();
  info.replaceChildren(
    el('p', {}, hot.kind + ' on ' + data.map + (data.server ? ', server ' + data.server : '')),
    el('p', {}, total + ' in ' + hot.rounds + ' rounds'),
    el('p', { id: 'hottest' }, top ? 'Hottest cell: ' + top[2] + ' at (' + top[0] + ', ' + top[1] + ')' : 'Nothing recorded.'),
    el('div', { class: 'legend' }, 'cold', el('span', { class: 'ramp' }), 'hot'),
  );
}

// ---- overview ----------------------------------------------------------------------------

function drawTimeline(canvas, t) {
  const c = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height;
  c.fillStyle = '#0d1117'; c.fillRect(0, 0, W, H);
  const pts = t.points;
  if (!pts.length) { c.fillStyle = '#888'; c.fillText('No rounds in this period.', 10, 20); return; }
  const max = Math.max(...pts.map((p) => p.engagements), 1);
  const bw = W / pts.length;
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i];
    const h = (H - 24) * p.engagements / max;
    c.fillStyle = '#3d6fb6'; c.fillRect(i * bw + 1, H - 16 - h, Math.max(1, bw - 2), h);
    const hc = (H - 24) * p.crossfires / max;
    c.fillStyle = '#f0b429'; c.fillRect(i * bw + 1, H - 16 - hc, Math.max(1, bw - 2), hc);
  }
  c.fillStyle = '#aaa'; c.font = '11px sans-serif';
  c.fillText(pts[0].start.slice(0, 10), 2, H - 3);
  c.fillText(pts[pts.length - 1].start.slice(0, 10), W - 70, H - 3);
  c.fillText('engagements (blue), crossfires (gold) per ' + t.bucket + '; most ' + max, 4, 12);
}

function boards(node, b) {
  node.replaceChildren();
  for (const f of b.figures) {
    const t = el('table');
    table(t, ['#', 'Player', f.unit || 'value'], f.leaders.slice(0, 5).map((l, i) => [i + 1, playerLink(l), fmt(l.value)]));
    const box = el('div', { class: 'board', 'data-key': f.key }, el('h3', {}, f.title), t);
    if (f.player) box.append(el('p', {}, 'Player: ' + fmt(f.player.value, f.unit) + (f.player.rank ? ' (#' + f.player.rank + ' of ' + f.player.of + ')' : '')));
    node.append(box);
  }
}

// With several servers (the page has a server selector), each round says which it was on.
function roundsTable(node, rounds) {
  const servers = document.getElementById('f-server') !== null;
  const head = ['Round', 'Played', 'Engagements', 'Crossfires', 'Replay'];
  if (servers) head.splice(1, 0, 'Server');
  table(node, head, rounds.map((r) => {
    const row = [
      r.map + ' #' + r.round_number, r.played_at.slice(0, 16).replace('T', ' '), r.engagements, r.crossfires,
      el('a', { href: '/rounds/' + r.id }, 'watch'),
    ];
    if (servers) row.splice(1, 0, r.server);
    return row;
  }));
}

async function overviewPage() {
  const [s, t, mv, tp, rounds, maps] = await Promise.all([
    api('/proximity/summary'), api('/proximity/engagements'), api('/proximity/movers'),
    api('/proximity/teamplay'), api('/rounds', { limit: 10 }), api('/maps', { map: null, days: null, player: null }),
  ]);
  const tiles = [
    ['Rounds', s.rounds], ['Engagements', s.engagements], ['Kills', s.kills],
    ['Crossfires', s.crossfires], ['Escapes', s.escapes], ['Players', s.players],
    ['Support uptime', fmt(s.support_mean_pct, '%')],
  ];
  document.getElementById('summary').replaceChildren(...tiles.map(([k, v]) =>
    el('div', { class: 'tile', 'data-key': k.toLowerCase() }, el('b', {}, String(v)), el('span', {}, k))));
  drawTimeline(document.getElementById('timeline'), t);
  boards(document.getElementById('movers'), mv);
  boards(document.getElementById('teamplay'), tp);
  roundsTable(document.getElementById('rounds'), rounds);
  const map = data.map || (maps[0] && maps[0].name);
  if (map) {
    document.getElementById('hot-link').href = '/heatmap' + query({ map });
    await heatView(document.getElementById('hot'), map, 'kills', {});
  }
}

// ---- player ------------------------------------------------------------------------------

async function playerPage() {
  const p = await api('/players/' + encodeURIComponent(data.guid), { player: null });
  table(document.getElementById('figures'), ['Figure', 'Value', 'Median', 'Place'], p.figures.map((f) => [
    f.label, fmt(f.value, f.unit), fmt(f.median, f.unit), f.rank ? '#' + f.rank + ' of ' + f.of : '—',
  ]));
  table(document.getElementById('partners'), ['Partner', 'Crossfires', 'Crossfire kills'],
    p.partners.map((d) => [playerLink(d.a), d.crossfires, d.crossfire_kills]));
  roundsTable(document.getElementById('rounds'), p.rounds);
}

// ---- duos: the synergy graph ---------------------------------------------------------------

async function duosPage() {
  const d = await api('/proximity/duos', { limit: 30 });
  const canvas = document.getElementById('graph');
  const c = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height;
  const nodes = new Map();
  for (const x of d.duos) for (const p of [x.a, x.b]) if (!nodes.has(p.guid)) nodes.set(p.guid, { p, n: 0 });
  for (const x of d.duos) { nodes.get(x.a.guid).n += x.crossfire_kills; nodes.get(x.b.guid).n += x.crossfire_kills; }
  const list = [...nodes.values()];
  list.forEach((node, i) => {
    const a = 2 * Math.PI * i / Math.max(1, list.length) - Math.PI / 2;
    node.x = W / 2 + Math.cos(a) * (Math.min(W, H) / 2 - 70);
    node.y = H / 2 + Math.sin(a) * (Math.min(W, H) / 2 - 50);
  });
  c.fillStyle = '#0d1117'; c.fillRect(0, 0, W, H);
  const maxK = Math.max(1, ...d.duos.map((x) => x.crossfire_kills));
  for (const x of d.duos) {
    const a = nodes.get(x.a.guid), b = nodes.get(x.b.guid);
    c.strokeStyle = 'rgba(240,180,41,' + (0.3 + 0.7 * x.crossfire_kills / maxK) + ')';
    c.lineWidth = 1 + 7 * x.crossfire_kills / maxK;
    c.beginPath(); c.moveTo(a.x, a.y); c.lineTo(b.x, b.y); c.stroke();
  }
  c.font = '12px sans-serif';
  for (const node of list) {
    c.fillStyle = '#4a8cff';
    c.beginPath(); c.arc(node.x, node.y, 5 + Math.sqrt(node.n), 0, 2 * Math.PI); c.fill();
    c.fillStyle = '#e6e6e6';
    c.fillText(node.p.name, node.x + 8, node.y - 8);
  }
  if (!d.duos.length) { c.fillStyle = '#888'; c.fillText('No pair crossfired in this period.', 20, 30); }
  canvas.dataset.ready = '1';
  table(document.getElementById('duo-table'), ['Pair', 'Crossfire kills', 'Crossfires', 'Rounds together'],
    d.duos.map((x) => [el('span', {}, playerLink(x.a), ' + ', playerLink(x.b)), x.crossfire_kills, x.crossfires, x.rounds_together]));
}

// ---- round replay --------------------------------------------------------------------------

// Reads the replay's binary (layout in src/web/replay.rs): header JSON, then each life's
// positions as deltas.
function decodeReplay(buf) {
  const bytes = new Uint8Array(buf);
  const dv = new DataView(buf);
  if (String.fromCharCode(...bytes.slice(0, 4)) !== 'PXR1') throw new Error('not a replay');
  const len = dv.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  let o = 8 + len;
  const q = header.quantum;
  const lives = header.lives.map(([player, team, spawn, n]) => {
    const xs = new Float32Array(n), ys = new Float32Array(n);
    let x = 0, y = 0;
    for (let k = 0; k < n; k++) {
      let full = k === 0;
      if (!full) {
        const dx = dv.getInt8(o), dy = dv.getInt8(o + 1);
        o += 2;
        if (dx === -128) full = true; else { x += dx; y += dy; }
      }
      if (full) { x = dv.getInt16(o, true); y = dv.getInt16(o + 2, true); o += 4; }
      xs[k] = x * q; ys[k] = y * q;
    }
    return { player, team, spawn, n, xs, ys };
  });
  return { header, lives };
}

// The position of a life at time t, or null when it is not alive then.
function lifeAt(life, t, step) {
  if (t < life.spawn) return null;
  const k = Math.floor((t - life.spawn) / step);
  if (k >= life.n) return null;
  return [life.xs[k], life.ys[k]];
}

async function roundPage() {
  const r = await fetch('/api/v1/rounds/' + data.round + '/replay');
  if (!r.ok) throw new Error('replay: ' + r.status);
  const { header, lives } = decodeReplay(await r.arrayBuffer());
  const step = header.step_ms;
  const canvas = document.getElementById('replay');
  const slider = document.getElementById('slider');
  const clockEl = document.getElementById('clock');
  const followEl = document.getElementById('follow');
  const players = header.players;
  let t = 0, follow = -1, playing = false, last = 0;
  const events = [];
  for (const d of header.deaths) events.push({ t: d[0], x: d[1], y: d[2], kind: 'death', text: (players[d[4]] ? players[d[4]].name : '?') + ' killed ' + players[d[3]].name });
  for (const x of header.crossfires) events.push({ t: x[0], x: x[1], y: x[2], kind: 'crossfire', text: 'crossfire on ' + players[x[3]].name });
  for (const e of header.escapes) events.push({ t: e[0], x: e[1], y: e[2], kind: 'escape', text: players[e[3]].name + ' escaped' });
  for (const o of header.objectives) events.push({ t: o.t, x: o.x, y: o.y, kind: 'objective', text: o.action.replace(/_/g, ' ') + (o.name ? ' ' + o.name : '') + (o.player >= 0 ? ' by ' + players[o.player].name : '') });
  events.sort((a, b) => a.t - b.t);
  const view = new MapView(canvas, header.frame, (c, v) => {
    // Events of the last 3 s (objective actions: 10 s).
    for (const e of events) {
      const age = t - e.t;
      if (age < 0 || age > (e.kind === 'objective' ? 10000 : 3000)) continue;
      const [px, py] = v.toCanvas(e.x, e.y);
      c.globalAlpha = 1 - age / (e.kind === 'objective' ? 10000 : 3000);
      c.lineWidth = 2;
      if (e.kind === 'death') {
        c.strokeStyle = '#ffffff';
        c.beginPath(); c.moveTo(px - 5, py - 5); c.lineTo(px + 5, py + 5); c.moveTo(px + 5, py - 5); c.lineTo(px - 5, py + 5); c.stroke();
      } else if (e.kind === 'crossfire') {
        c.strokeStyle = '#f0b429'; c.beginPath(); c.arc(px, py, 12, 0, 2 * Math.PI); c.stroke();
      } else if (e.kind === 'escape') {
        c.strokeStyle = '#3ddc84'; c.beginPath(); c.arc(px, py, 9, 0, 2 * Math.PI); c.stroke();
      } else {
        c.fillStyle = '#c678dd'; c.beginPath(); c.moveTo(px, py - 9); c.lineTo(px + 9, py); c.lineTo(px, py + 9); c.lineTo(px - 9, py); c.fill();
      }
      c.globalAlpha = 1;
    }
    let followed = null;
    for (const life of lives) {
      const p = lifeAt(life, t, step);
      if (!p) continue;
      if (life.player === follow) { followed = p; continue; }
      const [px, py] = v.toCanvas(p[0], p[1]);
      c.fillStyle = TEAM[life.team] || TEAM[0];
      c.beginPath(); c.arc(px, py, 5, 0, 2 * Math.PI); c.fill();
    }
    // The followed player on top of everything.
    if (followed) {
      const [px, py] = v.toCanvas(followed[0], followed[1]);
      c.fillStyle = '#ffd800';
      c.beginPath(); c.arc(px, py, 7, 0, 2 * Math.PI); c.fill();
    }
    followEl.dataset.t = String(t);
    if (follow >= 0) {
      followEl.textContent = players[follow].name + (followed ? ' at (' + Math.round(followed[0]) + ', ' + Math.round(followed[1]) + ')' : ': not alive');
      followEl.dataset.x = followed ? String(followed[0]) : '';
      followEl.dataset.y = followed ? String(followed[1]) : '';
    }
    canvas.dataset.ready = '1';
  });
  view.interactive();
  const seek = (ms) => {
    t = Math.max(0, Math.min(Number(slider.max), ms));
    slider.value = String(t);
    clockEl.textContent = clock(t);
    view.render();
  };
  slider.addEventListener('input', () => seek(Number(slider.value)));
  const list = document.getElementById('players');
  players.forEach((p, i) => {
    if (!lives.some((l) => l.player === i)) return;
    const b = el('button', { type: 'button', class: 'team' + p.team, 'data-guid': p.guid }, p.name);
    b.addEventListener('click', () => { follow = i; view.render(); });
    list.append(el('li', {}, b));
  });
  const log = document.getElementById('events');
  for (const e of events) {
    const a = el('a', { href: '#', class: e.kind }, clock(e.t) + ' ' + e.text);
    a.addEventListener('click', (ev) => { ev.preventDefault(); seek(e.t); });
    log.append(el('li', {}, a));
  }
  const play = document.getElementById('play');
  const speed = document.getElementById('speed');
  const tick = (now) => {
    if (!playing) return;
    seek(t + (now - last) * Number(speed.value));
    last = now;
    if (t >= Number(slider.max)) { playing = false; play.textContent = 'Play'; return; }
    requestAnimationFrame(tick);
  };
  play.addEventListener('click', () => {
    playing = !playing;
    play.textContent = playing ? 'Pause' : 'Play';
    if (playing) { last = performance.now(); requestAnimationFrame(tick); }
  });
  seek(0);
}

// ---- start ---------------------------------------------------------------------------------

const pages = { overview: overviewPage, heatmap: heatmapPage, player: playerPage, duos: duosPage, round: roundPage };

initSearch();
initFilters();
if (pages[page]) {
  pages[page]().then(() => { main.dataset.loaded = '1'; }, (e) => { showError(null, e); main.dataset.loaded = 'error'; });
}

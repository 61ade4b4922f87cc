// Regent console: renders the state the agent streams (server-sent events) and acts through the
// REST API's own endpoints, with the credentials typed in the page. No framework, no build step.
'use strict';

const $ = (sel) => document.querySelector(sel);
let state = null;
const seen = new Map(); // members seen at least once, by name, so that a vanished one shows as gone
let operation = null;

// ---- the event stream ----

function connect() {
  const es = new EventSource('events');
  es.addEventListener('state', (e) => {
    state = JSON.parse(e.data);
    setLive(true);
    render();
    if (operation) operation.observe(state);
  });
  es.onerror = () => setLive(false);
}

function setLive(live) {
  const b = $('#live');
  b.dataset.live = String(live);
  b.textContent = live ? 'live' : 'reconnecting…';
  b.className = 'badge ' + (live ? 'ok' : 'warn');
}

// ---- rendering ----

function text(value) {
  return value === undefined || value === null ? '' : String(value);
}

function cell(tr, value, cls) {
  const td = document.createElement('td');
  td.textContent = text(value);
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function bytes(lag) {
  if (lag === undefined || lag === null) return '';
  if (typeof lag !== 'number') return String(lag);
  if (lag < 1024) return lag + ' B';
  if (lag < 1024 * 1024) return (lag / 1024).toFixed(1) + ' kB';
  return (lag / 1024 / 1024).toFixed(1) + ' MB';
}

function render() {
  $('#scope').textContent = state.scope;
  $('#self').textContent = state.self;
  const store = $('#store');
  store.textContent = state.store.reachable ? 'store reachable' : 'store unreachable';
  store.className = 'badge ' + (state.store.reachable ? 'ok' : 'bad');
  const pause = $('#pause');
  pause.textContent = state.pause ? 'paused (maintenance mode)' : '';
  pause.className = 'badge warn';
  pause.dataset.paused = String(!!state.pause);
  const fs = state.failsafe || {};
  const failsafe = $('#failsafe');
  failsafe.textContent = fs.mode ? 'failsafe mode' + (fs.members ? ': ' + fs.members.join(', ') : '') : '';
  failsafe.className = 'badge ' + (state.store.reachable ? 'muted' : 'bad');
  renderLock();
  renderMembers();
  renderCandidates();
  renderHistory();
  renderDecisions();
}

function renderLock() {
  const name = $('#leader-name');
  const detail = $('#leader-detail');
  if (state.leader) {
    name.textContent = state.leader.name;
    let d = 'holds the lock, ttl ' + state.leader.ttl + ' s';
    if (state.leader.lease_remaining_ms !== undefined) {
      d += ', lease ' + (state.leader.lease_remaining_ms / 1000).toFixed(1) + ' s left';
    }
    detail.textContent = d;
  } else {
    name.textContent = state.store.reachable === false ? '?' : 'no leader';
    detail.textContent = state.store.reachable === false ? '(store unreachable)' : '';
  }
  name.dataset.leader = state.leader ? state.leader.name : '';
  const f = $('#failover-pending');
  f.hidden = !state.failover;
  if (state.failover) {
    const x = state.failover;
    f.textContent = 'pending ' + (x.scheduled_at ? 'switchover at ' + x.scheduled_at : 'switchover/failover') +
      (x.leader ? ' from ' + x.leader : '') + (x.candidate ? ' to ' + x.candidate : '');
  }
  const s = $('#sync');
  s.hidden = !state.sync;
  if (state.sync) {
    s.textContent = 'synchronous mode ' + state.sync.mode + ': ' +
      ((state.sync.standbys || []).join(', ') || 'no standby') +
      (state.sync.quorum !== undefined ? ' (quorum ' + state.sync.quorum + ')' : '');
  }
}

// Redrawn only when what they show changed, so that a button being clicked or a list being
// scrolled is not replaced under the pointer at every event.
const drawn = {};
function changed(part, value) {
  const key = JSON.stringify(value);
  if (drawn[part] === key) return false;
  drawn[part] = key;
  return true;
}

function renderMembers() {
  if (!changed('members', [state.members, Array.from(seen.keys())])) return;
  const body = $('#members tbody');
  body.replaceChildren();
  const present = new Set();
  for (const m of state.members || []) {
    present.add(m.name);
    seen.set(m.name, m);
    body.appendChild(memberRow(m, false));
  }
  if (state.members) {
    for (const [name, m] of seen) {
      if (!present.has(name)) body.appendChild(memberRow(m, true));
    }
  }
}

function memberRow(m, gone) {
  const tr = document.createElement('tr');
  tr.dataset.member = m.name;
  tr.dataset.role = gone ? 'gone' : m.role;
  tr.dataset.gone = String(gone);
  tr.dataset.reachable = String(!gone && m.reachable !== false);
  cell(tr, m.name);
  cell(tr, m.host ? m.host + ':' + m.port : '');
  cell(tr, gone ? '' : m.role.replace('_', ' '), 'role-' + m.role);
  let st = gone ? 'gone (no member key)' : m.state;
  if (!gone && m.reachable === false) st += ' — not answering';
  cell(tr, st, 'state');
  cell(tr, m.timeline, 'num');
  cell(tr, m.role === 'leader' ? m.lsn : '', 'num');
  cell(tr, m.receive_lsn, 'num');
  cell(tr, bytes(m.receive_lag), 'num');
  cell(tr, m.replay_lsn, 'num');
  cell(tr, bytes(m.replay_lag), 'num');
  cell(tr, m.replay_lag_seconds === undefined ? '' : m.replay_lag_seconds.toFixed(1) + ' s', 'num lag-seconds');
  const tags = cell(tr, '');
  for (const [k, v] of Object.entries(m.tags || {})) {
    const t = document.createElement('span');
    t.className = 'tag';
    t.textContent = k + '=' + JSON.stringify(v);
    tags.appendChild(t);
  }
  const pending = cell(tr, m.pending_restart ? '*' : '');
  if (m.pending_restart_reason) pending.title = Object.keys(m.pending_restart_reason).join(', ');
  const act = cell(tr, '');
  if (!gone) {
    act.appendChild(button('Restart', () => memberAction(m.name, 'restart')));
    if (m.role !== 'leader') act.appendChild(button('Reinit', () => memberAction(m.name, 'reinitialize')));
  }
  return tr;
}

function button(label, onClick) {
  const b = document.createElement('button');
  b.className = 'small';
  b.textContent = label;
  b.dataset.action = label.toLowerCase();
  b.addEventListener('click', onClick);
  return b;
}

function renderCandidates() {
  const replicas = (state.members || []).filter((m) => state.leader ? m.name !== state.leader.name : true)
    .map((m) => m.name);
  fill($('#switchover-candidate'), replicas, true);
  fill($('#failover-candidate'), replicas, false);
}

function fill(select, names, withBest) {
  const wanted = (withBest ? [''] : []).concat(names);
  const have = Array.from(select.options).map((o) => o.value);
  if (JSON.stringify(have) === JSON.stringify(wanted)) return;
  const keep = select.value;
  select.replaceChildren();
  for (const n of wanted) {
    const o = document.createElement('option');
    o.value = n;
    o.textContent = n || '(best replica)';
    select.appendChild(o);
  }
  if (wanted.includes(keep)) select.value = keep;
}

function renderHistory() {
  if (!changed('history', state.history)) return;
  const body = $('#history tbody');
  body.replaceChildren();
  for (const h of (state.history || []).slice().reverse()) {
    const tr = document.createElement('tr');
    cell(tr, h.timeline, 'num');
    cell(tr, h.lsn, 'num');
    cell(tr, h.reason);
    cell(tr, text(h.timestamp).replace('T', ' ').replace(/\.\d+/, ''));
    cell(tr, h.new_leader);
    body.appendChild(tr);
  }
}

function renderDecisions() {
  if (!changed('decisions', (state.members || []).map((m) => [m.name, m.reachable, m.decisions]))) return;
  const box = $('#decisions');
  const scrolled = {};
  box.querySelectorAll('div[data-member]').forEach((d) => {
    scrolled[d.dataset.member] = d.querySelector('ul').scrollTop;
  });
  box.replaceChildren();
  for (const m of state.members || []) {
    const div = document.createElement('div');
    div.dataset.member = m.name;
    const h = document.createElement('h3');
    h.textContent = m.name + (m.reachable === false ? ' (not answering)' : '');
    div.appendChild(h);
    const ul = document.createElement('ul');
    for (const d of (m.decisions || []).slice(-15).reverse()) {
      const li = document.createElement('li');
      li.className = d.level;
      const when = new Date(d.last).toLocaleTimeString();
      li.textContent = when + '  ' + d.message + (d.count > 1 ? '  (×' + d.count + ')' : '');
      ul.appendChild(li);
    }
    div.appendChild(ul);
    box.appendChild(div);
    if (scrolled[m.name]) ul.scrollTop = scrolled[m.name];
  }
}

connect();

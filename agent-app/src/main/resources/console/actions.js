// Regent console, acting: through the REST API's own endpoints with the credentials typed in the
// page. Each operation asks for confirmation, shows its steps and ends with an outcome that says
// what happened: a switchover or failover draws the agent's event stream, the others follow the
// state the page streams. Loaded after console.js, whose globals ($, state, operation) it uses.
'use strict';

function authorization() {
  const user = $('#auth-user').value;
  const password = $('#auth-password').value;
  if (!user && !password) return null;
  const raw = new TextEncoder().encode(user + ':' + password);
  let bin = '';
  raw.forEach((b) => { bin += String.fromCharCode(b); });
  return 'Basic ' + btoa(bin);
}

// 'omit': the browser must not answer a 401 with its own login prompt or stored credentials;
// only what the user typed here is sent.
async function call(method, path, body) {
  const headers = { 'Content-Type': 'application/json' };
  const auth = authorization();
  if (auth) headers.Authorization = auth;
  try {
    const r = await fetch(path, { method, headers, credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, text: (await r.text()).trim() };
  } catch (e) {
    return { status: 0, text: 'no answer from the agent serving this page: ' + e.message };
  }
}

function confirmThen(message, action) {
  const dialog = $('#confirm');
  $('#confirm-text').textContent = message;
  dialog.returnValue = '';
  dialog.onclose = () => { if (dialog.returnValue === 'yes') action(); };
  dialog.showModal();
}

// The outcome line under the steps: its kind (empty while in progress) and what it says.
function showOutcome(kind, message) {
  const o = $('#outcome');
  o.dataset.outcome = kind;
  o.textContent = message;
}

// The steps as a list; each item carries its step id and status for the styles and the tests.
function drawSteps(steps, idOf) {
  const ol = $('#steps');
  ol.replaceChildren();
  for (const s of steps) {
    const li = document.createElement('li');
    li.dataset.step = idOf(s);
    li.dataset.status = s.status;
    li.textContent = s.label + (s.note ? ' — ' + s.note : '');
    ol.appendChild(li);
  }
}

// One operation: steps that the streamed state completes, one REST call, and an outcome that is
// always said: done, refused, failed, or which step is still pending and why.
class Operation {
  constructor(title, steps, boundSeconds) {
    this.title = title;
    this.steps = steps.map((s) => Object.assign({ status: 'pending' }, s));
    this.deadline = Date.now() + boundSeconds * 1000;
    this.finished = false;
    this.answer = null;
    this.timer = setInterval(() => this.check(), 1000);
    $('#operation-title').textContent = title;
    this.setOutcome('', 'in progress…');
    this.draw();
  }

  draw() {
    drawSteps(this.steps, (s) => s.id);
  }

  setOutcome(kind, message) {
    showOutcome(kind, message);
  }

  observe(st) {
    if (this.finished) return;
    let changed = false;
    for (const s of this.steps) {
      if (s.status !== 'done' && s.done && s.done(st, this)) {
        s.status = 'done';
        changed = true;
      }
    }
    const next = this.steps.find((s) => s.status !== 'done');
    if (next && next.status === 'pending') { next.status = 'active'; changed = true; }
    if (changed) this.draw();
    this.check();
  }

  pending() {
    return this.steps.find((s) => s.status !== 'done');
  }

  // The REST answer: a refusal or an error ends the operation, unless the operation says the
  // answer leaves the outcome open (a switchover whose REST call stopped waiting); success ends
  // it once the streamed state agrees.
  answered(r) {
    this.answer = r;
    if (r.status === 401 || r.status === 403) {
      this.fail('refused', 'Refused by the REST API (' + r.status + '): ' + r.text);
    } else if (r.status === 0) {
      this.fail('failed', r.text);
    } else if (r.status >= 400 && !(this.stillOpen && this.stillOpen(r))) {
      this.fail('failed', 'Not done (' + r.status + '): ' + r.text);
    }
    if (state) this.observe(state);
    this.check();
  }

  check() {
    if (this.finished) return;
    const next = this.pending();
    if (!next && this.answer) {
      this.finish('success', this.successText ? this.successText(state, this.answer) : this.answer.text);
      return;
    }
    if (Date.now() > this.deadline) {
      const why = next && next.why ? next.why(state || {}) : '';
      this.finish('incomplete', 'Not completed after ' + Math.round((Date.now() - this.started) / 1000) +
        ' s: step "' + (next ? next.label : 'REST answer') + '" is pending' + (why ? ' (' + why + ')' : '') +
        (this.answer ? '; the REST API answered ' + this.answer.status + ': ' + this.answer.text : ''));
    }
  }

  fail(kind, message) {
    const s = this.pending();
    if (s) { s.status = 'failed'; this.draw(); }
    this.finish(kind, message);
  }

  finish(kind, message) {
    this.finished = true;
    clearInterval(this.timer);
    this.setOutcome(kind, message);
    this.draw();
  }

  start(call) {
    this.started = Date.now();
    if (state) this.observe(state);
    call().then((r) => this.answered(r));
  }
}

function member(st, name) {
  return (st.members || []).find((m) => m.name === name);
}

function leaderName(st) {
  return st && st.leader ? st.leader.name : null;
}

function ttl() {
  return state && state.config ? state.config.ttl : 30;
}

// Reads a server-sent event stream from a fetch response: calls onEvent(name, data) per event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

// A switchover or failover: the agent streams each step as the store shows it and the outcome
// (POST with Accept: text/event-stream); the page draws them as they come.
class StreamedOperation {
  constructor(title) {
    this.steps = [];
    this.finished = false;
    $('#operation-title').textContent = title;
    this.setOutcome('', 'in progress…');
    $('#steps').replaceChildren();
  }

  setOutcome(kind, message) {
    showOutcome(kind, message);
  }

  draw() {
    drawSteps(this.steps, (s) => s.step);
  }

  event(name, data) {
    if (name === 'operation') {
      this.steps = data.steps.map((s) => ({ step: s.step, label: s.label, status: 'pending' }));
    } else if (name === 'step') {
      const s = this.steps.find((x) => x.step === data.step);
      if (s) { s.status = 'done'; s.note = data.message; }
    } else if (name === 'pending') {
      const s = this.steps.find((x) => x.step === data.step);
      if (s) { s.status = 'active'; s.note = data.why; }
    } else if (name === 'outcome') {
      this.finished = true;
      const s = data.pending && this.steps.find((x) => x.step === data.pending);
      if (s && data.result !== 'success') s.status = data.result === 'failed' ? 'failed' : 'active';
      this.setOutcome(data.result, data.message);
    }
    this.draw();
  }

  async start(path, body) {
    const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
    const auth = authorization();
    if (auth) headers.Authorization = auth;
    let r;
    try {
      r = await fetch(path, { method: 'POST', headers, credentials: 'omit', body: JSON.stringify(body) });
    } catch (e) {
      this.setOutcome('failed', 'no answer from the agent serving this page: ' + e.message);
      return;
    }
    if (!(r.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
      const text = (await r.text()).trim();
      if (r.status === 401 || r.status === 403) this.setOutcome('refused', 'Refused by the REST API (' + r.status + '): ' + text);
      else if (r.status === 202) this.setOutcome('success', text);
      else this.setOutcome('failed', 'Not done (' + r.status + '): ' + text);
      return;
    }
    try {
      await readEvents(r, (name, data) => this.event(name, data));
    } catch (e) {
      // fall through: the stream broke
    }
    if (!this.finished) {
      const s = this.steps.find((x) => x.status !== 'done');
      this.setOutcome('incomplete', 'The agent\'s event stream ended before the outcome' +
        (s ? ': step "' + s.label + '" was pending' + (s.note ? ' (' + s.note + ')' : '') : '') +
        '; the page shows ' + (leaderName(state) || 'no one') + ' holding the leader lock.');
    }
  }
}

function switchover(kind) {
  const old = leaderName(state);
  const candidate = $(kind === 'failover' ? '#failover-candidate' : '#switchover-candidate').value;
  const at = kind === 'switchover' ? $('#switchover-at').value : '';
  if (kind === 'failover' && !candidate) return;
  const target = candidate || 'the best replica';
  const when = at ? new Date(at).toISOString() : null;
  const message = kind === 'failover'
    ? 'Fail over to ' + candidate + '? The current leader' + (old ? ' (' + old + ')' : '') + ' is stopped.'
    : 'Switch over from ' + old + ' to ' + target + (when ? ' at ' + when : ' now') + '?';
  confirmThen(message, () => {
    const body = kind === 'failover' ? { candidate } : { leader: old };
    if (kind === 'switchover' && candidate) body.candidate = candidate;
    if (when) body.scheduled_at = when;
    const title = (kind === 'failover' ? 'Failover' : 'Switchover') + ' from ' + (old || '(none)') + ' to ' +
      target + (when ? ' at ' + when : '');
    if (operation && operation.timer) clearInterval(operation.timer);
    operation = null;
    new StreamedOperation(title).start('../' + kind, body);
  });
}

function memberAction(name, action) {
  const verb = action === 'restart' ? 'Restart PostgreSQL on' : 'Reinitialize (re-clone from the leader)';
  confirmThen(verb + ' ' + name + '?', () => {
    const before = member(state, name) || {};
    const steps = action === 'restart' ? [
      { id: 'requested', label: 'Restart requested on ' + name, done: (st, o) => !!o.answer,
        why: () => 'PostgreSQL on ' + name + ' is still restarting' },
      { id: 'running', label: name + ' running again', done: (st) => {
          const m = member(st, name);
          return !!m && (m.state === 'running' || m.state === 'streaming');
        }, why: (st) => name + ' is ' + ((member(st, name) || {}).state || 'absent') },
    ] : [
      { id: 'requested', label: 'Reinitialize started on ' + name, done: (st, o) => !!o.answer,
        why: () => 'no answer yet' },
      { id: 'streaming', label: name + ' re-cloned and streaming', done: (st, o) => {
          const m = member(st, name);
          o.sawDown = o.sawDown || (m && m.state !== 'streaming');
          return !!o.answer && o.sawDown && !!m && m.state === 'streaming';
        }, why: (st) => name + ' is ' + ((member(st, name) || {}).state || 'absent') },
    ];
    const op = new Operation((action === 'restart' ? 'Restart ' : 'Reinitialize ') + name, steps, 10 * ttl() + 120);
    op.before = before;
    operation = op;
    op.start(() => call('POST', 'members/' + encodeURIComponent(name) + '/' + action,
      action === 'reinitialize' ? { force: true } : {}));
  });
}

function pause(on) {
  confirmThen(on ? 'Pause the cluster (maintenance mode: no automatic failover)?' : 'Resume automatic failover?', () => {
    const op = new Operation(on ? 'Pause' : 'Resume', [
      { id: 'requested', label: 'Configuration change accepted', done: (st, o) => !!o.answer && o.answer.status === 200,
        why: () => 'no answer yet' },
      { id: 'applied', label: on ? 'The store shows the cluster paused' : 'The store shows the cluster running',
        done: (st) => !!st.pause === on, why: () => 'the dynamic configuration has not changed yet' },
    ], 3 * ttl());
    op.successText = () => on ? 'Paused: the agents take no automatic action.' : 'Resumed: automatic failover is on.';
    operation = op;
    op.start(() => call('PATCH', '../config', { pause: on ? true : null }));
  });
}

$('#switchover-btn').addEventListener('click', () => switchover('switchover'));
$('#failover-btn').addEventListener('click', () => switchover('failover'));
$('#pause-btn').addEventListener('click', () => pause(true));
$('#resume-btn').addEventListener('click', () => pause(false));

// The control panel of the host console: the commands (start, next, skip, pause, lock, end),
// the players with their Kick buttons (kicking is done from here only), the status line
// (confirmations fade, errors stay until the next command works), the per-question report
// and the results export, and the links that open the presenter view or this panel alone.

import { t, num, dec1 } from '../i18n.js';
import { $, make, setText, qType, rightIndexes, LETTERS } from '../common.js';
import { H, quiz, hub, phaseLabel } from './state.js';

const END_CONFIRM_MS = 4000;
const OK_FADE_MS = 4000;
const ERRORS = ['not_now', 'unknown_player', 'not_hosted', 'not_a_player', 'rate_limited'];
const TYPE_LABELS = {
  single: 'type.single', multi: 'type.multi', true_false: 'type.true_false', poll: 'type.poll', type_answer: 'type.type_answer',
};

const el = {
  status: $('h-status'),
  btnStart: $('btn-start'), btnNext: $('btn-next'), btnSkip: $('btn-skip'), btnPause: $('btn-pause'),
  btnLock: $('btn-lock'), btnEnd: $('btn-end'),
  answered: $('c-answered'), phase: $('c-phase'),
  presentLink: $('present-link'), controlLink: $('control-link'), fullscreen: $('btn-fullscreen'),
  exportCsv: $('export-csv'), exportJson: $('export-json'),
  players: $('players'), playersEmpty: $('players-empty'), playersTitle: $('players-title'),
  report: $('report'), reportBody: $('report-body'), reportStatus: $('report-status'), reportRetry: $('report-retry'),
  reportWrap: $('report-section'),
};

const C = {
  kicks: [],          // player ids of kick commands waiting for their reply
  endArmed: null,     // timer while "End" waits for its confirmation click
  reportSeq: null,    // the podium seq the report was loaded for
  report: null,       // the report's questions, re-rendered on a change of language
  status: null,       // {text, kind}
  statusTimer: null,
  going: false,       // a "get ready" countdown runs before a command
};

/** The status line: `kind` "ok" fades after a few seconds, "error" and "warn" stay. */
export function showStatus(text, kind) {
  clearTimeout(C.statusTimer);
  C.status = text ? { text, kind } : null;
  if (!text) {
    el.status.classList.add('faded');
    C.statusTimer = setTimeout(() => { if (!C.status) el.status.hidden = true; }, 600);
    return;
  }
  el.status.textContent = text;
  el.status.className = 'notice banner' + (kind ? ' ' + kind : '');
  el.status.hidden = false;
  if (kind === 'ok') {
    C.statusTimer = setTimeout(() => { if (C.status && C.status.kind === 'ok') showStatus(''); }, OK_FADE_MS);
  }
}

export function connected() {
  if (!C.status || C.status.kind !== 'error') showStatus('');
}

export function connectionLost() { C.kicks = []; }

/** @param {import('@contracts').Frame<'phase'> | null} prev
 * @param {import('@contracts').Frame<'phase'>} msg */
export function phaseChanged(prev, msg) {
  if (msg.phase === 'podium' && C.reportSeq !== msg.seq) {
    C.reportSeq = msg.seq;
    loadReport();
  }
}

/** @param {import('@contracts').Frame<'host_ok'>} msg */
export function onHostOk(msg) {
  if (msg.command === 'kick') {
    const player = C.kicks.shift();
    const name = player ? H.roster.get(player) : null;
    if (player) { H.roster.delete(player); H.kicked.add(player); }
    showStatus(name ? t('done.kick', { name }) : t('done.kick_someone'), 'ok');
    renderRoster();
    return;
  }
  showStatus(t('done.' + msg.command), 'ok');
}

/** @param {import('@contracts').Frame<'error'>} msg */
export function onError(msg) {
  if (msg.code === 'unknown_player' && C.kicks.length) {
    H.roster.delete(C.kicks.shift());
    renderRoster();
  }
  if (msg.code === 'not_hosted') { hub.stop(t('host_error.not_hosted')); return; }
  const known = ERRORS.includes(msg.code);
  const text = known ? t('host_error.' + msg.code) : (msg.message || t('host_error.other', { code: msg.code }));
  const detail = known && msg.message ? ' (' + msg.message + ')' : '';
  showStatus(text + detail, 'error');
}

/** The commands that apply now, by button. */
function applicable() {
  const ph = H.phase;
  const live = !!(H.link && H.link.open() && ph) && !C.going;
  const p = ph ? ph.phase : '';
  return {
    start: live && p === 'lobby',
    next: live && (p === 'reveal' || p === 'board'),
    skip: live && p === 'question',
    pause: live && (p === 'question' || p === 'reveal' || p === 'board' || p === 'paused'),
    lock: live && p === 'lobby', // the lobby only: joining stays open during the game
    end: live && p !== 'podium',
  };
}

/** Whether "next" now opens a question (so the "get ready" countdown runs first). */
function nextOpensQuestion() {
  const ph = H.phase;
  if (!ph || ph.phase !== 'board' || !ph.question) return false;
  return ph.question.index + 1 < (ph.question_count || 0);
}

/** Runs action `which` (a button's or a key's): start, next, skip, pause, lock, end. */
export function act(which) {
  const a = applicable();
  if (!a[which]) return false;
  const ph = H.phase;
  switch (which) {
    case 'pause':
      hub.command(ph && ph.phase === 'paused' ? 'resume' : 'pause');
      break;
    case 'lock':
      hub.command(ph && ph.locked ? 'unlock' : 'lock');
      break;
    case 'end':
      if (!C.endArmed) {
        C.endArmed = setTimeout(() => { C.endArmed = null; hub.render(); }, END_CONFIRM_MS);
        showStatus(t('end.confirm_hint'), 'warn');
        hub.render();
        return true;
      }
      clearTimeout(C.endArmed);
      C.endArmed = null;
      hub.command('end');
      break;
    case 'start':
    case 'next':
      if (which === 'start' || nextOpensQuestion()) {
        C.going = true;
        hub.render();
        hub.getReady(() => {
          C.going = false;
          hub.command(which);
          hub.render();
        });
        return true;
      }
      hub.command(which);
      break;
    default:
      hub.command(which);
      break;
  }
  hub.render();
  return true;
}

function onButton(ev) {
  const b = ev.currentTarget;
  if (b.getAttribute('aria-disabled') === 'true') return;
  act(b.dataset.command);
}

function kick(player) {
  if (!H.roster.has(player)) return;
  if (hub.command('kick', { player })) C.kicks.push(player);
}

// ---------- report ----------
async function loadReport() {
  el.reportRetry.hidden = true;
  setText(el.reportStatus, t('report.loading'));
  try {
    const res = await fetch('/api/quizzes/' + encodeURIComponent(quiz) + '/report', { headers: { Accept: 'application/json' } });
    /** @type {import('@contracts').Api<'ReportOut'> & Partial<import('@contracts').Api<'ApiError'>>} */
    let body = null;
    try { body = await res.json(); } catch (_) { body = null; }
    if (!res.ok || !body || !Array.isArray(body.questions)) throw new Error((body && body.message) || 'HTTP ' + res.status);
    C.report = body.questions;
    renderReport();
    setText(el.reportStatus, body.questions.length ? '' : t('report.none'));
  } catch (e) {
    setText(el.reportStatus, t('report.failed', { message: e.message }));
    el.reportRetry.hidden = false;
  }
}

function cell(text, cls) {
  return make('td', cls || '', text);
}

/** A report line's right answer: option letters, True/False, the accepted texts; none for a poll. */
function reportAnswer(q, type) {
  if (type === 'poll') return t('report.poll');
  if (type === 'type_answer') return Array.isArray(q.accepted) ? q.accepted.map(String).join(' · ') : '';
  const right = rightIndexes(q);
  if (type === 'true_false') return right.map((i) => t(i === 0 ? 'tf.true' : 'tf.false')).join(', ');
  return right.map((i) => LETTERS[i] || String(i + 1)).join(', ');
}

function renderReport() {
  const rows = (C.report || []).map((q) => {
    const tr = make('tr');
    const type = qType(q);
    let given;
    if (type === 'type_answer') {
      given = (Array.isArray(q.texts) ? q.texts : [])
        .map((x) => '"' + String(x.text) + '" × ' + num(x.count | 0) + (x.correct ? ' ✓' : ' ✗')).join(' · ');
    } else {
      const names = type === 'true_false' ? [t('tf.true'), t('tf.false')] : LETTERS;
      given = Array.isArray(q.counts) ? q.counts.map((c, i) => (names[i] || i + 1) + ': ' + num(c)).join(' · ') : '';
    }
    const poll = type === 'poll';
    const pct = !poll && Number.isFinite(q.percent_correct) ? t('report.percent', { p: dec1(q.percent_correct) }) : '–';
    const mean = Number.isFinite(q.mean_answer_ms) ? t('report.secs', { s: dec1(q.mean_answer_ms / 1000) }) : '–';
    const head = make('th', '', num((q.index | 0) + 1));
    head.scope = 'row';
    tr.append(head, cell(String(q.prompt || q.id || '')), cell(num(q.answered | 0), 'num'),
      cell(poll ? '–' : num(q.correct | 0), 'num'), cell(pct, 'num'), cell(mean, 'num'), cell(given),
      cell(t(TYPE_LABELS[type])), cell(reportAnswer(q, type)));
    return tr;
  });
  el.reportBody.replaceChildren(...rows);
  el.report.hidden = rows.length === 0;
}

// ---------- rendering ----------
function setEnabled(button, on) {
  // aria-disabled (not disabled) keeps the button focusable, so keyboard focus stays put
  // when the phase changes under it.
  if (on) button.removeAttribute('aria-disabled');
  else button.setAttribute('aria-disabled', 'true');
}

export function render() {
  const a = applicable();
  const ph = H.phase;
  setEnabled(el.btnStart, a.start);
  setEnabled(el.btnNext, a.next);
  setEnabled(el.btnSkip, a.skip);
  setEnabled(el.btnPause, a.pause);
  setEnabled(el.btnLock, a.lock);
  setEnabled(el.btnEnd, a.end);
  const p = ph ? ph.phase : '';
  const last = ph && ph.question && ph.question.index + 1 >= (ph.question_count || 0);
  setText(el.btnNext, t(p === 'board' && last ? 'cmd.next_podium' : p === 'reveal' ? 'cmd.next_board'
    : p === 'board' ? 'cmd.next_question' : 'cmd.next'));
  setText(el.btnPause, t(p === 'paused' ? 'cmd.resume' : 'cmd.pause'));
  setText(el.btnLock, t(ph && ph.locked ? 'cmd.unlock' : 'cmd.lock'));
  el.btnLock.setAttribute('aria-pressed', ph && ph.locked ? 'true' : 'false');
  el.btnPause.setAttribute('aria-pressed', p === 'paused' ? 'true' : 'false');
  if (!a.end && C.endArmed && !C.going) { clearTimeout(C.endArmed); C.endArmed = null; }
  setText(el.btnEnd, t(C.endArmed ? 'cmd.really_end' : 'cmd.end'));
  const c = H.counts;
  setText(el.answered, p === 'question' && c ? t('count.answered', { k: c.answered, n: c.expected }) : '');
  // The PIN here too: a host on a second device reads it out.
  setText(el.phase, (ph ? phaseLabel(ph) : '') + (ph && H.pin && p !== 'podium' ? ' · ' + t('control.pin', { pin: H.pin }) : ''));
  el.reportWrap.hidden = p !== 'podium';
  renderRoster();
}

function renderRoster() {
  const entries = Array.from(H.roster);
  const count = H.phase ? Math.max(H.players | 0, 0) : entries.length;
  const key = JSON.stringify(entries) + '|' + (H.phase ? H.phase.phase : '') + '|' + document.documentElement.lang;
  setText(el.playersTitle, t('players.title', { n: count }));
  // "Nobody has joined yet" only when nobody has: a console opened mid-game knows the
  // count before the names (they come from the leaderboard a moment later).
  el.playersEmpty.hidden = entries.length > 0 || count > 0;
  if (el.players.dataset.key === key) return;
  el.players.dataset.key = key;
  const focused = document.activeElement && el.players.contains(document.activeElement)
    ? /** @type {HTMLElement} */ (document.activeElement).dataset.player : null;
  const over = H.phase && H.phase.phase === 'podium';
  const items = entries.map(([player, name]) => {
    const li = make('li');
    li.dataset.player = player;
    li.append(make('span', 'pname', name));
    if (!over) {
      const b = make('button', 'kick', t('players.kick'));
      b.type = 'button';
      b.dataset.player = player;
      b.setAttribute('aria-label', t('players.kick_name', { name }));
      b.addEventListener('click', () => kick(player));
      li.append(b);
    }
    return li;
  });
  el.players.replaceChildren(...items);
  if (focused) {
    const again = el.players.querySelector('button[data-player="' + CSS.escape(focused) + '"]');
    (again || el.btnStart).focus();
  }
}

export function relabel() {
  if (C.report) renderReport();
}

export function start() {
  hub.act = act;
  for (const b of [el.btnStart, el.btnNext, el.btnSkip, el.btnPause, el.btnLock, el.btnEnd]) {
    b.addEventListener('click', onButton);
  }
  el.reportRetry.addEventListener('click', loadReport);
  const base = '/api/quizzes/' + encodeURIComponent(quiz);
  el.exportCsv.href = base + '/results.csv';
  el.exportJson.href = base + '/results.json';
  el.controlLink.href = '/host/' + encodeURIComponent(quiz) + '?view=control';
  // The presenter view in a new window carries the key in its fragment (never sent to the
  // server, taken out of the address bar at once).
  el.presentLink.addEventListener('click', (ev) => {
    ev.preventDefault();
    const url = '/host/' + encodeURIComponent(quiz) + '?view=present#key=' + encodeURIComponent(H.key || '');
    window.open(url, '_blank', 'noopener');
  });
  el.presentLink.href = '/host/' + encodeURIComponent(quiz) + '?view=present';
  el.fullscreen.addEventListener('click', () => hub.fullscreen());
}

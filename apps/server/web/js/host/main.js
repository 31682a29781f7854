// The host console of a hosted game (`/host/{quiz}`): one WebSocket with the host key,
// `phase` frames in, `host` commands out. The page has two parts: the presenter view
// (stage.js: what the class sees on the projector, no admin controls) and the control
// panel (control.js: commands, players and kicks, the report and the results export).
// `?view=present` shows only the first (a second window or the projector's machine),
// `?view=control` only the second (a phone or laptop); without it both are shown and "Full
// screen" puts the presenter view alone on the screen. The host key works on every one.

import { initI18n, onLangChange, t } from '../i18n.js';
import { Link, BACKOFF_MIN_MS, wsUrl } from '../net.js';
import { $, showConn } from '../common.js';
import { quiz, H, hub } from './state.js';
import * as stage from './stage.js';
import * as control from './control.js';

const SILENT_MS = 3000;
const QUIZ_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ROSTER_PAGES = 10; // up to 1,000 names from the leaderboard for a console opened mid-game

const STORE_KEY = 'quiz.host.' + quiz;

const el = {
  conn: $('conn'),
  keyView: $('key-view'), keyForm: $('key-form'), keyInput: $('host-key'), keyError: $('key-error'),
  console: $('console'),
};



// ---------- the host key ----------
function keyFromFragment() {
  const m = /(?:^#|&)key=([^&]*)/.exec(location.hash || '');
  if (!m) return null;
  let key;
  try { key = decodeURIComponent(m[1]); } catch (_) { key = m[1]; }
  // Keep the key out of the address bar (the console is usually on a shared screen).
  try { history.replaceState(null, '', location.pathname + location.search); } catch (_) { /* ignore */ }
  return key || null;
}
function saveKey(key) {
  try { sessionStorage.setItem(STORE_KEY, key); } catch (_) { /* storage off */ }
}
function loadKey() {
  try { return sessionStorage.getItem(STORE_KEY); } catch (_) { return null; }
}
function forgetKey() {
  try { sessionStorage.removeItem(STORE_KEY); } catch (_) { /* ignore */ }
  H.key = null;
}

function showKeyForm(messageKey) {
  el.console.hidden = true;
  el.keyView.hidden = false;
  showConn(el.conn, 'idle');
  el.keyError.textContent = messageKey ? t(messageKey) : '';
  el.keyError.hidden = !messageKey;
  el.keyInput.focus();
}

function onKeySubmit(ev) {
  ev.preventDefault();
  const key = el.keyInput.value.trim();
  if (!key) {
    el.keyError.textContent = t('key.empty');
    el.keyError.hidden = false;
    el.keyInput.focus();
    return;
  }
  el.keyInput.value = '';
  H.key = key;
  saveKey(key);
  H.stopped = false;
  showConsole();
  H.link.connect();
}

function showConsole() {
  el.keyView.hidden = true;
  el.console.hidden = false;
  stage.showJoinInfo();
  render();
}

// ---------- WebSocket ----------
function onOpen() {
  // A socket that stays silent is not a game's (a self-paced quiz): ask the HTTP API why.
  clearTimeout(H.silentTimer);
  const gen = H.link.gen;
  H.silentTimer = setTimeout(() => { if (gen === H.link.gen && !H.phaseOnSocket) diagnose(); }, SILENT_MS);
}

async function onClose(ev) {
  const hadPhase = H.phaseOnSocket;
  H.phaseOnSocket = false;
  clearTimeout(H.silentTimer);
  control.connectionLost();
  render();
  if (ev.code === 4001) {
    // Wrong or missing host key (or no such quiz: the server says 4001 then too). Asking
    // again beats retrying.
    if (await diagnose()) return;
    forgetKey();
    H.stopped = true;
    showKeyForm('key.refused');
    return;
  }
  if (H.stopped) { showConn(el.conn, 'idle'); return; }
  if (!hadPhase) diagnose();
  H.link.retry();
}

/**
 * The socket gave no phase: say why when the HTTP API knows (no such quiz, not a hosted
 * game) and stop reconnecting. True when it found such a reason.
 */
async function diagnose() {
  try {
    const res = await fetch('/api/quizzes/' + encodeURIComponent(quiz) + '/game', { headers: { Accept: 'application/json' } });
    if (res.ok) return false;
    /** @type {import('@contracts').Api<'ApiError'>} */
    let body = null;
    try { body = await res.json(); } catch (_) { body = null; }
    const code = body && body.code;
    if (code === 'unknown_quiz' || code === 'not_hosted') {
      stop(code === 'unknown_quiz' ? t('host.unknown_quiz', { quiz }) : t('host_error.not_hosted'));
      return true;
    }
  } catch (_) { /* offline: keep retrying */ }
  return false;
}

/** No more reconnecting: the console cannot work for this quiz. */
function stop(message) {
  H.stopped = true;
  clearTimeout(H.silentTimer);
  H.link.disconnect();
  showConn(el.conn, 'idle');
  el.keyView.hidden = true;
  el.console.hidden = false;
  control.showStatus(message, 'error');
  render();
}

/** @param {import('@contracts').Frame<'phase'>} msg */
function onPhase(msg) {
  if (!Number.isFinite(msg.seq)) return;
  const first = !H.phaseOnSocket;
  H.phaseOnSocket = true;
  if (first) {
    H.link.ready();
    H.everConnected = true;
    control.connected();
  }
  // Keep the highest seq shown; after a reconnect the first frame is the current phase
  // again (same seq, fresh time left), which is taken for its clock.
  if (!(msg.seq > H.seq) && !(first && msg.seq === H.seq)) return;
  const prev = H.phase;
  H.seq = msg.seq;
  H.link.syncClock(msg.server_time);
  H.phase = msg;
  if (msg.phase !== 'paused') H.content = msg;
  H.counts = Number.isFinite(msg.answered) && Number.isFinite(msg.expected)
    ? { answered: msg.answered, expected: msg.expected } : null;
  if (Number.isFinite(msg.players)) H.players = msg.players;
  if (Array.isArray(msg.lobby)) {
    H.roster = new Map(msg.lobby.filter((p) => !H.kicked.has(p.player)).map((p) => [p.player, p.name]));
  }
  if (msg.board) addToRoster(msg.board.top);
  if (Array.isArray(msg.podium)) addToRoster(msg.podium);
  // Opened mid-game (a reload, a second device): the phase frame lists no lobby, so the
  // names come from the leaderboard (every player is on it from their join).
  if (msg.phase !== 'lobby' && !H.rosterFetched && H.players > H.roster.size) fetchRoster();
  if (!H.gameFetched || (msg.phase === 'lobby' && !H.pin)) fetchGame();
  stage.phaseChanged(prev, msg);
  control.phaseChanged(prev, msg);
  render();
}

/** The game's PIN and the server's join link (the phase frames carry neither). */
async function fetchGame() {
  H.gameFetched = true;
  try {
    const res = await fetch('/api/quizzes/' + encodeURIComponent(quiz) + '/game', { headers: { Accept: 'application/json' } });
    if (!res.ok) return;
    const body = await res.json();
    H.pin = body && typeof body.pin === 'string' ? body.pin : null;
    H.joinUrl = body && typeof body.join_url === 'string' ? body.join_url : null;
  } catch (_) { return; /* offline: the next phase frame asks again */ }
  stage.showJoinInfo();
  render();
}

async function fetchRoster() {
  H.rosterFetched = true;
  try {
    for (let page = 0; page < ROSTER_PAGES; page++) {
      const res = await fetch('/api/quizzes/' + encodeURIComponent(quiz) + '/leaderboard?limit=100&offset=' + page * 100,
        { headers: { Accept: 'application/json' } });
      if (!res.ok) break;
      /** @type {import('@contracts').Api<'LeaderboardOut'>} */
      const body = await res.json();
      const entries = body && Array.isArray(body.entries) ? body.entries : [];
      addToRoster(entries);
      if (entries.length < 100) break;
    }
  } catch (_) { /* the next board frame brings the names too */ }
  render();
}

function addToRoster(entries) {
  if (!Array.isArray(entries)) return;
  for (const e of entries) {
    if (e && typeof e.player === 'string' && !H.roster.has(e.player) && !H.kicked.has(e.player)) {
      H.roster.set(e.player, String(e.name));
    }
  }
}

/** @param {import('@contracts').Frame<'answered'>} msg */
function onAnswered(msg) {
  if (!H.phase || msg.seq !== H.seq) return; // counts of another phase
  if (Number.isFinite(msg.answered) && Number.isFinite(msg.expected)) {
    H.counts = { answered: msg.answered, expected: msg.expected };
    render();
  }
}

/** Joins and removals within a phase: the count, the lobby's list, a question's expected. */
/** @param {import('@contracts').Frame<'roster'>} msg */
function onRoster(msg) {
  if (!H.phase || msg.seq !== H.seq) return; // another phase's
  if (Number.isFinite(msg.players)) H.players = msg.players;
  if (Array.isArray(msg.lobby)) {
    H.roster = new Map(msg.lobby.filter((p) => !H.kicked.has(p.player)).map((p) => [p.player, p.name]));
  }
  if (Number.isFinite(msg.expected) && H.counts) H.counts = { answered: H.counts.answered, expected: msg.expected };
  render();
}

/** @param {import('@contracts').Frame<'board'>} msg */
function onBoard(msg) {
  // The live board is not shown (the host shows the board between questions), but it
  // follows joins and kicks, which send no phase frame: the lobby's phase frame lists the
  // players at connect time only. So the roster and the count also come from here.
  addToRoster(msg.top);
  if (Number.isFinite(msg.players)) H.players = msg.players;
  render();
}

/** Sends host command `name` (with `extra` fields); false when not connected. */
function command(name, extra) {
  const frame = Object.assign({ type: 'host', command: name }, extra || {});
  if (!H.link.send(frame)) {
    control.showStatus(t('host.not_connected'), 'error');
    return false;
  }
  return true;
}

function render() {
  if (el.console.hidden) return;
  control.render();
  stage.render();
}

// ---------- start ----------
function start() {
  initI18n();
  const view = new URLSearchParams(location.search).get('view');
  document.body.dataset.layout = view === 'present' || view === 'control' ? view : 'both';
  if (view === 'control') {
    // The presenter view (with the page's h1) is not shown: the panel's headings go up a
    // level, its title becoming the first (aria-level, so the elements the modules hold
    // stay in place).
    for (const h of document.querySelectorAll('#control h2, #control h3')) {
      h.setAttribute('aria-level', h.tagName === 'H2' ? '1' : '2');
    }
  }
  H.link = new Link({
    url: () => {
      const u = new URL(wsUrl('/ws/' + encodeURIComponent(quiz)));
      u.searchParams.set('host_key', H.key);
      return u.href;
    },
    handlers: {
      phase: onPhase, answered: onAnswered, roster: onRoster, board: onBoard,
      host_ok: control.onHostOk, error: control.onError,
    },
    onState: (state) => showConn(el.conn, state),
    onOpen,
    onClose,
  });
  stage.start();
  control.start();
  onLangChange(() => {
    stage.showJoinInfo();
    stage.relabel();
    control.relabel();
    if (el.conn.dataset.state) showConn(el.conn, el.conn.dataset.state);
    render();
  });
  el.keyForm.addEventListener('submit', onKeySubmit);
  window.addEventListener('online', () => { if (H.key && !H.link.ws && !H.stopped) H.link.connect(); });
  window.addEventListener('hashchange', () => {
    const key = keyFromFragment();
    if (!key) return;
    saveKey(key);
    H.key = key;
    H.stopped = false;
    H.link.backoff = BACKOFF_MIN_MS;
    control.showStatus('');
    showConsole();
    H.link.connect();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && H.key) H.link.hurry();
  });
  setInterval(() => stage.tick(), 250);

  if (!quiz || !QUIZ_ID.test(quiz)) {
    el.console.hidden = false;
    control.showStatus(t('host.no_quiz'), 'error');
    return;
  }
  const fromLink = keyFromFragment();
  if (fromLink) saveKey(fromLink);
  H.key = fromLink || loadKey();
  if (!H.key) {
    showKeyForm(null);
    return;
  }
  showConsole();
  H.link.connect();
}

Object.assign(hub, { command, render, stop });
start();

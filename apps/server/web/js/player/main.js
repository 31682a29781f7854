// The player page: join, answer over a WebSocket, live leaderboard (self-paced quizzes);
// hosted games are drawn by hosted.js. Every server-provided string goes through
// textContent (never innerHTML), so names and prompts cannot inject markup.

import { initI18n, onLangChange, t } from '../i18n.js';
import { Link, BACKOFF_MAX_MS, randomId, wsUrl } from '../net.js';
import { outcomeOf, payload, showConn } from '../common.js';
import { Sound } from '../sound.js';
import {
  S, el, hub, RETRY_ANSWER_MS, REPLY_TIMEOUT_MS, serverNow, isHosted, isPending,
  loadSession, saveSession, savePending, loadPending, clearSession,
} from './state.js';
import { setResult, showResult, relabelAnswerUI } from './answers.js';
import { renderBoard, renderScore, currentQuestion, render, tickCountdown } from './view.js';
import {
  onPhase, onAnswered, onRoster, onHostedAnswerResult, renderHosted, renderHostedScore, hostedOpenQuestion,
} from './hosted.js';

const QUIZ_ID = /^[A-Za-z0-9_-]{1,64}$/;
const PIN = /^[1-9][0-9]{5,6}$/;
const FATAL_CLOSE = { 4001: 'close.4001', 4003: 'close.4003', 4004: 'close.4004', 4009: 'close.4009' };
const JOIN_ERRORS = [
  'name_taken', 'bad_name', 'bad_quiz_id', 'unknown_quiz', 'quiz_closed', 'quiz_full', 'rate_limited',
  'lobby_locked', 'game_over',
];
const ANSWER_ERRORS = [
  'too_late', 'quiz_closed', 'unknown_quiz', 'unknown_question', 'option_out_of_range', 'no_open_question',
  'not_the_open_question', 'wrong_answer_type', 'empty_answer', 'duplicate_option', 'answer_too_long',
  'invalid_message',
];

/** Sound effects: off by default on a phone (the switch turns them on). */
const sound = new Sound({ defaultOn: false, storeKey: 'quiz.sound.player' });

let notice = null; // {key, kind}

function showNotice(key, kind, params) {
  notice = key ? { key, kind, params } : null;
  el.notice.hidden = !key;
  el.notice.textContent = key ? t(key, params) : '';
  el.notice.className = 'notice' + (kind ? ' ' + kind : '');
}

function showJoinError(text) {
  el.joinError.textContent = text || '';
  el.joinError.hidden = !text;
}

// ---------- views ----------
function showJoin(message) {
  el.playView.hidden = true;
  el.joinView.hidden = false;
  showConn(el.conn, 'idle');
  showJoinError(message || '');
  document.title = t('title.page');
  if (!el.quiz.value) el.quiz.focus();
  else if (!el.name.value) el.name.focus();
}

function showPlay() {
  el.joinView.hidden = true;
  el.playView.hidden = false;
  el.meName.textContent = S.session.name;
}

function resetGame() {
  Object.assign(S, {
    quizTitle: '', status: 'open', questions: [], answered: new Map(), skipped: new Set(), picks: new Map(),
    total: 0, me: null, players: 0, lastSeq: -Infinity, currentId: null, rendered: '',
    mode: '', phase: null, content: null, phaseSeq: -Infinity, counts: null, hRank: null, chosen: new Map(),
    hQuestion: null, ui: null, note: null, readyUntil: 0,
  });
  setResult(null);
  el.options.replaceChildren();
  delete el.options.dataset.key;
  el.qHint.textContent = '';
  el.board.replaceChildren();
  el.around.replaceChildren();
  showNotice(null);
  el.hosted.hidden = true;
  el.hosted.classList.remove('visually-hidden');
  el.hCount.hidden = true;
  el.boardCard.hidden = false;
  el.qStatus.textContent = '';
  el.qCard.classList.remove('hosted-q');
  el.hPhase.textContent = '';
  renderScore();
}

// ---------- join / leave ----------
/**
 * The quiz a game PIN names: its id, `null` when no live game has that PIN (it may still
 * be a quiz id made of digits), or `false` after showing why it could not be asked.
 */
async function resolvePin(pin) {
  const res = await fetch('/api/pins/' + pin, { headers: { Accept: 'application/json' } });
  if (res.ok) {
    const body = await res.json();
    return body && typeof body.quiz === 'string' && QUIZ_ID.test(body.quiz) ? body.quiz : null;
  }
  if (res.status === 404) return null;
  showJoinError(t(res.status === 429 ? 'join.rate_limited' : 'join.failed_http', { status: res.status }));
  return false;
}

async function join(ev) {
  ev.preventDefault();
  let quiz = el.quiz.value.trim();
  const name = el.name.value.trim();
  if (!quiz || !QUIZ_ID.test(quiz)) {
    showJoinError(t(quiz ? 'join.bad_quiz_id' : 'join.no_quiz'));
    el.quiz.focus();
    return;
  }
  if (!name) {
    showJoinError(t('join.no_name'));
    el.name.focus();
    return;
  }
  showJoinError('');
  el.join.disabled = true;
  el.join.textContent = t('join.joining');
  try {
    // The one field takes a game PIN or a quiz id: a PIN that names a live game wins.
    let byPin = false;
    if (PIN.test(quiz)) {
      const found = await resolvePin(quiz);
      if (found === false) { el.quiz.focus(); return; }
      if (found) quiz = found;
      else byPin = true;
    }
    const res = await fetch('/api/quizzes/' + encodeURIComponent(quiz) + '/join', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ name }),
    });
    /** @type {import('@contracts').Api<'JoinOut'> & Partial<import('@contracts').Api<'ApiError'>>} */
    let body = null;
    try { body = await res.json(); } catch (_) { body = null; }
    if (!res.ok || !body || typeof body.token !== 'string') {
      const code = body && body.code;
      const msg = byPin && code === 'unknown_quiz' ? t('join.unknown_pin')
        : code && JOIN_ERRORS.includes(code) ? t('join.' + code)
        : body && body.message ? t('join.failed_message', { message: body.message })
          : t('join.failed_http', { status: res.status });
      showJoinError(msg);
      (code === 'name_taken' || code === 'bad_name' ? el.name : el.quiz).focus();
      return;
    }
    S.session = { quiz: body.quiz, token: body.token, ws_path: body.ws_path, name: body.name, player: body.player_id };
    saveSession(S.session);
    // A reload (or a PIN link opened again) comes back to this game, not to the join form.
    try { history.replaceState(null, '', '/?quiz=' + encodeURIComponent(body.quiz)); } catch (_) { /* ignore */ }
    S.pending.clear();
    savePending();
    resetGame();
    showPlay();
    // The OpenAPI document leaves the snapshot's shape to the socket's `snapshot` frame.
    const snap = /** @type {import('@contracts').Frame<'snapshot'>} */ (body.snapshot);
    if (snap && Array.isArray(snap.questions)) applySnapshot(snap);
    S.link.connect();
  } catch (err) {
    showJoinError(t('join.offline'));
  } finally {
    el.join.disabled = false;
    el.join.textContent = t('join.button');
  }
}

/** Leave asks first: the confirmation replaces the button until answered. */
function askLeave() {
  el.leave.hidden = true;
  el.leaveConfirm.hidden = false;
  el.leaveNo.focus();
}

function cancelLeave() {
  el.leaveConfirm.hidden = true;
  el.leave.hidden = false;
  el.leave.focus();
}

function leave() {
  const s = S.session;
  el.leaveConfirm.hidden = true;
  el.leave.hidden = false;
  S.leaving = true;
  S.link.disconnect();
  clearSession();
  S.pending.clear();
  resetGame();
  sound.stopMusic();
  if (s) { el.quiz.value = s.quiz; el.name.value = ''; }
  showJoin('');
  S.leaving = false;
}

// ---------- WebSocket ----------
function onClose(ev) {
  for (const p of S.pending.values()) p.sent = false; // in flight: resend after reconnect
  S.phaseOnSocket = false;
  if (S.leaving || !S.session) return;
  if (FATAL_CLOSE[ev.code]) {
    el.quiz.value = S.session.quiz;
    clearSession();
    S.pending.clear();
    resetGame();
    showJoin(t(FATAL_CLOSE[ev.code]));
    return;
  }
  if (ev.code === 4010) {
    // Another tab or device of this player took over: do not fight it back.
    showConn(el.conn, 'elsewhere');
    showNotice('notice.elsewhere', 'warn');
    return;
  }
  if (ev.code === 4029) {
    showNotice('notice.slow_down_reconnect', 'warn');
    S.link.retry(BACKOFF_MAX_MS);
    return;
  }
  S.link.retry();
}

/** @param {import('@contracts').Frame<'snapshot'>} msg */
function onSnapshot(msg) {
  S.link.ready();
  showNotice(null);
  applySnapshot(msg);
  flushPending();
}

/** @param {import('@contracts').Frame<'snapshot'>} msg */
function applySnapshot(msg) {
  S.quizTitle = String(msg.title || msg.quiz || t('title.page'));
  S.status = msg.status || 'open';
  S.mode = msg.mode === 'hosted' ? 'hosted' : 'self_paced';
  S.questions = Array.isArray(msg.questions) ? msg.questions : [];
  S.answered = new Map();
  for (const a of msg.answered || []) {
    S.answered.set(a.question, { correct: !!a.correct, outcome: outcomeOf(a), points: a.points | 0, streak: a.streak | 0 });
  }
  // Pending answers the server already has are done (their result is in `answered`).
  let changed = false;
  for (const [id, p] of S.pending) {
    if (S.answered.has(p.question)) { S.pending.delete(id); changed = true; }
  }
  if (changed) savePending();
  if (S.session && msg.name) {
    S.session.name = msg.name;
    if (msg.player) S.session.player = msg.player;
    el.meName.textContent = msg.name;
  }
  const board = msg.board || /** @type {Partial<import('@contracts').BoardMsg>} */ ({});
  let sum = 0;
  for (const a of S.answered.values()) sum += a.points;
  S.total = board.me && Number.isFinite(board.me.score) ? board.me.score : sum;
  S.lastSeq = -Infinity; // a snapshot resets the baseline
  renderBoard(board, true);
  // A rank means something once points were scored (at join everybody ties at 0).
  if (isHosted() && board.me && board.me.rank && board.me.score > 0) {
    S.hRank = { rank: board.me.rank, players: board.players | 0 };
  }
  el.quizTitle.textContent = S.quizTitle;
  document.title = t('title.quiz', { title: S.quizTitle });
  renderScore();
  render(true);
}

function flushPending() {
  for (const [id, p] of S.pending) if (!p.sent) sendAnswer(id);
}

function sendAnswer(answerId) {
  const p = S.pending.get(answerId);
  if (!p) return;
  // The same answer_id and payload on every resend, so a retry is recognised as one.
  p.sent = S.link.send(Object.assign({ type: 'answer', answer_id: answerId, question: p.question }, p.answer));
  p.sentAt = Date.now();
}

/** Answers `question` with `given` ({option: n}, {options: [..]} or {text: '..'}). */
function answer(question, given) {
  const a = payload(given);
  if (!a || S.answered.has(question) || S.status === 'closed') return;
  for (const p of S.pending.values()) if (p.question === question) return; // already chosen
  if (isHosted()) {
    const open = hostedOpenQuestion();
    if (!open || open.id !== question) return;
    S.chosen.set(question, a);
  }
  const id = 'a' + randomId(12);
  S.pending.set(id, { question, answer: a, sent: false });
  savePending();
  sendAnswer(id);
  sound.play('lock');
  render(true);
  if (!S.pending.get(id) || !S.pending.get(id).sent) setResult('result.saved_offline', {}, 'neutral');
}

/** @param {import('@contracts').Frame<'answer_result'>} msg */
function onAnswerResult(msg) {
  if (isHosted()) { onHostedAnswerResult(msg); return; }
  const known = S.pending.has(msg.answer_id);
  if (known) { S.pending.delete(msg.answer_id); savePending(); }
  const wasAnswered = S.answered.has(msg.question);
  const outcome = outcomeOf(msg);
  S.answered.set(msg.question, { correct: !!msg.correct, outcome, points: msg.points | 0, streak: msg.streak | 0 });
  S.picks.delete(msg.question);
  if (Number.isFinite(msg.total)) S.total = msg.total;
  if (Number.isFinite(msg.rank) && msg.rank > 0) {
    S.me = Object.assign({}, S.me || {}, { rank: msg.rank, score: S.total });
    S.players = Math.max(S.players, msg.rank);
  }
  if (known || !wasAnswered) {
    const idx = S.questions.findIndex((x) => x.id === msg.question);
    const params = { q: idx + 1, points: msg.points | 0, streak: msg.streak | 0 };
    const key = outcome === 'correct' ? (msg.streak > 1 ? 'result.correct_streak' : 'result.correct')
      : outcome === 'partial' ? 'result.partial' : outcome === 'counted' ? 'result.counted' : 'result.wrong';
    setResult(idx >= 0 ? key + '_q' : key, params,
      outcome === 'wrong' ? 'incorrect' : outcome === 'counted' ? 'neutral' : outcome);
    sound.play(outcome === 'wrong' ? 'wrong' : 'right');
  }
  renderScore();
  render(true);
}

/** @param {import('@contracts').Frame<'error'>} msg */
function onError(msg) {
  const id = msg.answer_id;
  const p = id ? S.pending.get(id) : null;
  if (msg.code === 'try_again' || msg.code === 'unavailable' || msg.code === 'rate_limited') {
    if (p) {
      p.sent = false;
      const delay = msg.code === 'rate_limited' ? 1000 : RETRY_ANSWER_MS + Math.random() * 400;
      setTimeout(() => { if (S.pending.has(id) && !S.pending.get(id).sent) sendAnswer(id); }, delay);
    } else if (msg.code === 'rate_limited') {
      showNotice('notice.slow_down', 'warn');
    }
    return;
  }
  if (p) {
    S.pending.delete(id);
    savePending();
    S.chosen.delete(p.question); // refused: nothing was recorded, the question may be answered again
    if (msg.code === 'too_late') S.skipped.add(p.question);
    if (ANSWER_ERRORS.includes(msg.code)) setResult('answer_error.' + msg.code, {}, 'incorrect');
    else setResult('answer_error.other', { message: msg.message || msg.code }, 'incorrect');
    if (msg.code === 'quiz_closed') S.status = 'closed';
    render(true);
  } else if (msg.code === 'quiz_closed' || msg.code === 'unknown_quiz') {
    S.status = 'closed';
    render(true);
  } else if (isHosted()) {
    showNotice('notice.refused', 'error', { message: msg.message || msg.code });
  }
}

/** @param {import('@contracts').Frame<'board'>} msg */
function onBoard(msg) {
  // In a hosted game the board is shown when the host shows it (phase frames), so the
  // live board does not give away who answered right before the reveal...
  if (isHosted()) {
    // ...but it follows joins (which send no phase frame): the lobby's player count.
    if (Number.isFinite(msg.players) && msg.seq > S.lastSeq && S.phase && S.phase.phase === 'lobby') {
      S.lastSeq = msg.seq;
      S.players = msg.players;
      renderHosted();
    }
    return;
  }
  if (!(msg.seq > S.lastSeq)) return; // stale or repeated
  renderBoard(msg, false);
  renderScore();
}

function tick() {
  if (!S.session || el.playView.hidden) return;
  if (S.link.isReady) {
    for (const [id, p] of S.pending) {
      if (p.sent && Date.now() - p.sentAt > REPLY_TIMEOUT_MS) sendAnswer(id);
    }
  }
  if (isHosted()) { renderHosted(); return; }
  const now = serverNow();
  const prev = S.currentId;
  const q = currentQuestion(now);
  if (!q || q.id !== prev) {
    if (prev && !S.answered.has(prev) && !isPending(prev)) {
      setResult('result.time_up_q', { q: S.questions.findIndex((x) => x.id === prev) + 1 }, 'neutral');
    }
    render(false);
  } else {
    tickCountdown(q, now);
  }
}

function relabel() {
  if (notice) showNotice(notice.key, notice.kind, notice.params);
  showResult();
  if (el.joinView.hidden && S.session) {
    document.title = t('title.quiz', { title: S.quizTitle || S.session.quiz });
    S.rendered = '';
    relabelAnswerUI(S.ui && S.ui.q);
    renderScore();
    render(true);
  } else {
    document.title = t('title.page');
  }
  if (el.conn.dataset.state) showConn(el.conn, el.conn.dataset.state);
}

// ---------- start ----------
function start() {
  initI18n();
  onLangChange(relabel);
  sound.bindToggle(el.sound);
  S.link = new Link({
    url: () => wsUrl(S.session.ws_path),
    handlers: {
      snapshot: onSnapshot, answer_result: onAnswerResult, board: onBoard, error: onError,
      phase: onPhase, answered: onAnswered, roster: onRoster,
    },
    onState: (state) => showConn(el.conn, state),
    onClose,
  });
  // `/?quiz=ID`, `/?pin=PIN` and `/join/PIN` open the page ready for a name.
  const params = new URLSearchParams(location.search);
  const wanted = params.get('quiz');
  const fromPath = /^\/join\/([0-9]+)\/?$/.exec(location.pathname);
  const pin = params.get('pin') || (fromPath && fromPath[1]);
  if (wanted && QUIZ_ID.test(wanted)) el.quiz.value = wanted;
  else if (pin && PIN.test(pin)) el.quiz.value = pin;
  el.joinForm.addEventListener('submit', join);
  el.leave.addEventListener('click', askLeave);
  el.leaveYes.addEventListener('click', leave);
  el.leaveNo.addEventListener('click', cancelLeave);
  window.addEventListener('online', () => { if (S.session && !S.link.ws) S.link.connect(); });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && S.session) S.link.hurry();
  });
  setInterval(tick, 250);

  const saved = loadSession();
  if (saved && !wanted && pin && PIN.test(pin)) {
    // A PIN link opened again by a player of that game resumes it.
    resolvePin(pin).then((q) => {
      if (q === saved.quiz && !S.session) resume(saved); else showJoin('');
    }, () => showJoin(''));
    return;
  }
  if (saved && (!wanted || wanted === saved.quiz) && !pin) {
    resume(saved);
  } else {
    showJoin('');
  }
}

/** Back into the game this browser joined (a reload). */
function resume(saved) {
  S.session = saved;
  loadPending();
  resetGame();
  showPlay();
  el.quizTitle.textContent = saved.quiz;
  S.link.connect();
}

// What the other modules call back into (see `hub` in state.js).
Object.assign(hub, { answer, sound, renderBoard, renderScore, renderHosted, renderHostedScore });
start();

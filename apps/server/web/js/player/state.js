// The player page's state, elements and session storage, shared by its modules (main.js: join, socket and
// self-paced play; answers.js: the answer controls; hosted.js: a hosted game's phases).

import { $, payload } from '../common.js';

const SESSION_KEY = 'quiz.session';
const PENDING_KEY = 'quiz.pending';

/**
 * What one module of the page calls in another that imports it (the answer controls send
 * an answer through main.js, a hosted phase draws the board of view.js, …), filled in by
 * main.js as it starts: the modules import this one and one another in one direction only,
 * never in a circle.
 */
export const hub = {
  /** main.js: sends an answer to the open question. */
  answer: (_question, _given) => {},
  /** main.js: the page's sound effects. */
  sound: { play: (_name) => {} },
  /** view.js: the live board. */
  renderBoard: (_board, _live) => {},
  /** view.js: the score line. */
  renderScore: () => {},
  /** hosted.js: the hosted game's phase view. */
  renderHosted: () => {},
  /** hosted.js: the score line of a hosted game. */
  renderHostedScore: () => {},
};

export const TEXT_MAX = 64; // characters of a typed answer, when the question does not say
export const RETRY_ANSWER_MS = 400;
export const REPLY_TIMEOUT_MS = 8000; // no reply by then: resend (same answer_id, so it is safe)

export const el = {
  conn: $('conn'),
  joinView: $('join-view'), joinForm: $('join-form'), quiz: $('quiz'), name: $('name'),
  join: $('join'), joinError: $('join-error'),
  playView: $('play-view'), quizTitle: $('quiz-title'), meName: $('me-name'), leave: $('leave'),
  leaveConfirm: $('leave-confirm'), leaveYes: $('leave-yes'), leaveNo: $('leave-no'),
  myScore: $('my-score'), myRank: $('my-rank'), notice: $('play-notice'),
  sound: $('sound'),
  qCard: $('question-card'), qProgress: $('q-progress'), qPoints: $('q-points'),
  prompt: $('prompt'), qHint: $('q-hint'), countdown: $('countdown'), timerFill: $('timer-fill'), options: $('options'),
  finished: $('finished'), finalScore: $('final-score'), finalDetail: $('final-detail'),
  result: $('result'),
  board: $('leaderboard'), boardEmpty: $('board-empty'), aroundWrap: $('around-wrap'), around: $('around'),
  boardCard: $('board-card'), qStatus: $('q-status'),
  // hosted games
  hosted: $('hosted'), hPhase: $('h-phase'), hPaused: $('h-paused'), hCount: $('h-count'),
  hLobby: $('h-lobby'), hPlayers: $('h-players'),
  hReveal: $('h-reveal'), hResult: $('h-result'), hAnswer: $('h-answer'), hYours: $('h-yours'),
  hDetail: $('h-detail'), hTotal: $('h-total'), hExplanation: $('h-explanation'),
  hBoard: $('h-board'), hRank: $('h-rank'), hMove: $('h-move'),
  hPodium: $('h-podium'), hFinalRank: $('h-final-rank'), hFinalScore: $('h-final-score'),
  hPodiumList: $('h-podium-list'),
};

export const S = {
  session: null,        // {quiz, token, ws_path, name, player}
  link: null,           // the Link (net.js) of the session
  leaving: false,
  quizTitle: '',
  status: 'open',
  /** @type {import('@contracts').QuestionMsg[]} */
  questions: [],        // [{id, type, prompt, options, points, time_limit_ms, opens_at, closes_at}]
  answered: new Map(),  // question id -> {correct, outcome, points, streak}
  skipped: new Set(),   // question ids refused as too late
  pending: new Map(),   // answer_id -> {question, answer: {option}|{options}|{text}, sent: bool}
  picks: new Map(),     // multi question id -> Set of the options toggled on (not sent yet)
  total: 0,
  me: null,             // latest board line of this player
  players: 0,
  lastSeq: -Infinity,
  currentId: null,      // question shown
  rendered: '',         // key of the rendered question (id + state)
  result: null,         // {key, params, kind}: the line under the question, re-rendered on a language change
  // Hosted games (the snapshot says mode "hosted"): the host drives the phases.
  mode: '',             // '' until a snapshot arrives, then 'self_paced' or 'hosted'
  /** @type {import('@contracts').Frame<'phase'>} */
  phase: null,          // the latest phase frame shown
  /** @type {import('@contracts').Frame<'phase'>} */
  content: null,        // the latest phase frame that is not "paused" (what a pause keeps on screen)
  phaseSeq: -Infinity,  // highest phase seq shown
  phaseOnSocket: false, // a phase frame arrived on the current socket
  counts: null,         // {answered, expected} of the open question
  hRank: null,          // {rank, players} from the latest board the host showed
  chosen: new Map(),    // question id -> the answer this page gave ({option}|{options}|{text})
  hQuestion: null,      // question id whose option buttons are rendered
  readyUntil: 0,        // local time the "get ready" countdown of the open question ends
  ui: null,             // {q, canAnswer, chosen, reveal}: what the answer controls show
  note: null,           // {question, key, params}: a hint under the controls ("Type an answer first")
};

export const serverNow = () => (S.link ? S.link.serverNow() : Date.now());

export function isHosted() { return S.mode === 'hosted'; }

export function isPending(qid) {
  for (const p of S.pending.values()) if (p.question === qid) return true;
  return false;
}

/** The answer on its way for question `qid`, or null. */
export function waitingAnswer(qid) {
  for (const p of S.pending.values()) if (p.question === qid) return p.answer;
  return null;
}

// ---------- session storage ----------
export function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    if (s && typeof s.quiz === 'string' && typeof s.token === 'string' && typeof s.ws_path === 'string') return s;
  } catch (_) { /* ignore corrupt storage */ }
  return null;
}
export function saveSession(s) {
  try { sessionStorage.setItem(SESSION_KEY, JSON.stringify(s)); } catch (_) { /* storage full or off */ }
}
export function savePending() {
  try {
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(Array.from(S.pending, ([id, p]) => [id, p.question, p.answer])));
  } catch (_) { /* ignore */ }
}
export function loadPending() {
  S.pending.clear();
  try {
    const list = JSON.parse(sessionStorage.getItem(PENDING_KEY) || '[]');
    if (!Array.isArray(list)) return;
    for (const item of list) {
      if (!Array.isArray(item)) continue;
      const [id, question, stored] = item;
      // Stored before question types: a bare option index.
      const answer = Number.isInteger(stored) ? payload({ option: stored }) : payload(stored);
      if (typeof id === 'string' && typeof question === 'string' && answer) {
        S.pending.set(id, { question, answer, sent: false });
      }
    }
  } catch (_) { /* ignore */ }
}
export function clearSession() {
  try { sessionStorage.removeItem(SESSION_KEY); sessionStorage.removeItem(PENDING_KEY); } catch (_) { /* ignore */ }
  S.session = null;
}

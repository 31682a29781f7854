// The host console's state and the pieces its modules share (main.js: the key and the
// socket; stage.js: the presenter view; control.js: the control panel). The modules import
// this one and never one another in a circle: what one calls in another goes through `hub`,
// which each fills in with its own functions as it starts.

import { t } from '../i18n.js';

export const quiz = decodeURIComponent((location.pathname.split('/')[2] || '').trim());

export const H = {
  key: null,
  link: null,
  phaseOnSocket: false, // a phase frame arrived on the current socket
  everConnected: false, // a phase frame arrived on any socket
  stopped: false,       // no more reconnecting (bad key, unknown quiz)
  seq: -Infinity,       // highest phase seq shown
  /** @type {import('@contracts').Frame<'phase'>} */
  phase: null,          // latest phase frame
  /** @type {import('@contracts').Frame<'phase'>} */
  content: null,        // latest phase frame that is not "paused"
  counts: null,         // {answered, expected} of the open question
  roster: new Map(),    // player id -> name, in join order
  kicked: new Set(),    // player ids removed by this console (never listed again)
  players: 0,           // players in the game, from the latest phase or board frame
  rosterFetched: false, // the names of a game joined mid-way were asked for
  pin: null,            // the game PIN, from GET /api/quizzes/{quiz}/game
  joinUrl: null,        // the join link from the server's --public-url, if it has one
  gameFetched: false,   // the PIN was asked for since the console connected
  silentTimer: null,
};

export const serverNow = () => H.link.serverNow();

/**
 * Calls across the modules, late-bound: main.js sets `command`, `render`, `stop`;
 * control.js `act`; stage.js `getReady` and `fullscreen`.
 */
export const hub = {
  /** Sends host command `name` (with `extra` fields); false when not connected. */
  command: (_name, _extra) => false,
  /** Draws both parts of the console. */
  render: () => {},
  /** No more reconnecting: the console cannot work for this quiz. */
  stop: (_message) => {},
  /** Runs a control as its button would (the presenter's keys). */
  act: (_which) => false,
  /** The 3-2-1 "get ready" on the presenter view, then `then`. */
  getReady: (then) => then(),
  /** The presenter view alone on the screen. */
  fullscreen: () => {},
};

/** "Question 2 of 5", "Lobby: waiting for players", "Paused · …". */
/** @param {import('@contracts').Frame<'phase'>} ph */
export function phaseLabel(ph) {
  const paused = ph.phase === 'paused';
  const view = paused ? (ph.paused_from || 'question') : ph.phase;
  const q = ph.question;
  const n = ph.question_count || 0;
  let text;
  switch (view) {
    case 'lobby': text = t('phase.lobby_host'); break;
    case 'question': text = q ? t('q.progress', { i: q.index + 1, n }) : ''; break;
    case 'reveal': text = q ? t('phase.reveal', { i: q.index + 1, n }) : ''; break;
    case 'board': text = q ? t('phase.board_after', { i: q.index + 1, n }) : t('phase.board'); break;
    case 'podium': text = t('phase.podium_host'); break;
    default: text = view; break;
  }
  return paused ? t('phase.paused', { what: text }) : text;
}

// What the player page and the host console share: DOM helpers, question types and
// answers, the answer tiles (a colour AND a shape AND a letter per option, never colour
// alone), board rows, the podium, the time left of a question, the connection pill.

import { t, num, ordinal } from './i18n.js';

/** The page's element with that id (typed loosely: each page knows its own elements). */
export const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));

export function setText(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

export function make(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

/** Question types (a question without one is "single"). */
export const TYPES = ['single', 'multi', 'true_false', 'poll', 'type_answer'];
export const LETTERS = 'ABCDEFGHIJ';
/** The shape of each tile, in order: the same on phones and on the projector. */
export const SHAPES = ['▲', '◆', '●', '■', '★', '⬟'];

export function qType(q) {
  return q && TYPES.includes(q.type) ? q.type : 'single';
}

/** A copy of an answer payload with exactly one of option / options / text, or null. */
export function payload(a) {
  if (!a || typeof a !== 'object' || Array.isArray(a)) return null;
  const fields = ['option', 'options', 'text'].filter((k) => a[k] !== undefined && a[k] !== null);
  if (fields.length !== 1) return null;
  if (Number.isInteger(a.option) && a.option >= 0) return { option: a.option };
  if (Array.isArray(a.options) && a.options.length > 0 &&
      a.options.every((i) => Number.isInteger(i) && i >= 0) && new Set(a.options).size === a.options.length) {
    return { options: a.options.slice() };
  }
  if (typeof a.text === 'string' && a.text.trim() !== '') return { text: a.text };
  return null;
}

/** The option indexes an answer picked (none for a typed answer). */
export function pickedIndexes(a) {
  if (!a) return [];
  if (Number.isInteger(a.option)) return [a.option];
  if (Array.isArray(a.options)) return a.options;
  return [];
}

/** The result of an answer: "correct", "partial", "wrong" or "counted". */
export function outcomeOf(m) {
  const o = m && m.outcome;
  if (o === 'correct' || o === 'partial' || o === 'wrong' || o === 'counted') return o;
  return m && m.correct ? 'correct' : 'wrong';
}

/** The right option indexes of a reveal or a report line (single, true_false, multi). */
export function rightIndexes(r) {
  if (Array.isArray(r.correct_options) && r.correct_options.length) return r.correct_options;
  if (Number.isInteger(r.correct_option)) return [r.correct_option];
  return Number.isInteger(r.correct) ? [r.correct] : [];
}

/** The label of option `i` of `q`: "True"/"False" are translated, others as written. */
export function optionText(q, i, text) {
  if (qType(q) === 'true_false' && (i === 0 || i === 1)) return t(i === 0 ? 'tf.true' : 'tf.false');
  return String(text);
}

/** The colour-shape-letter badge of option `i` (decorative: the letter is read out). */
export function tileBadge(i) {
  const badge = make('span', 'tile-badge');
  const shape = make('span', 'tile-shape', SHAPES[i % SHAPES.length]);
  shape.setAttribute('aria-hidden', 'true');
  const letter = make('span', 'letter', LETTERS[i] || String(i + 1));
  badge.append(shape, letter);
  return badge;
}

/** Time left of the question of phase frame `ph`, in ms (frozen while paused). */
/** @param {import('@contracts').Frame<'phase'>} ph
 * @param {number} serverNow */
export function timeLeft(ph, serverNow) {
  const q = ph && ph.question;
  if (!q) return 0;
  if (ph.phase === 'paused') {
    return Math.max(0, Number.isFinite(ph.remaining_ms) ? ph.remaining_ms : q.closes_at - ph.server_time);
  }
  return Math.max(0, q.closes_at - serverNow);
}

/** Sets a timer bar (`fill`) and its text (`label`) for `left` ms of `limit`. */
export function showTimer(fill, label, left, limit, text) {
  const secs = Math.ceil(left / 1000);
  setText(label, text !== undefined ? text : t('timer.secs', { n: secs }));
  const frac = Math.max(0, Math.min(1, left / (limit > 0 ? limit : 1)));
  fill.style.width = (frac * 100).toFixed(1) + '%';
  fill.classList.toggle('low', secs <= 5);
}

/** A board line: rank, name, score; `opts.mine` marks this player's, `opts.mover` a move. */
/** @param {import('@contracts').EntryMsg} e
 * @param {{mine?: boolean, mover?: {from: number, to: number}}} [opts] */
export function entryRow(e, opts) {
  const o = opts || {};
  const li = make('li');
  li.dataset.player = e.player;
  if (o.mine) { li.className = 'me'; li.setAttribute('aria-current', 'true'); }
  const name = make('span', 'pname', String(e.name));
  if (o.mine) name.append(' ', t('board.you'));
  const mv = o.mover;
  if (mv && Number.isFinite(mv.from) && Number.isFinite(mv.to) && mv.from !== mv.to) {
    const up = mv.to < mv.from;
    const m = make('span', 'mover ' + (up ? 'up' : 'down'),
      t(up ? 'board.moved_up' : 'board.moved_down', { from: mv.from }));
    name.append(' ', m);
  }
  li.append(make('span', 'rank', '#' + num(e.rank)), name, make('span', 'score', num(e.score)));
  return li;
}

/** The podium's lines (first, second, third), `mine` marking this player's. */
/** @param {import('@contracts').EntryMsg[]} podium
 * @param {string | null} mine */
export function podiumRows(podium, mine) {
  return podium.map((e) => {
    const li = make('li', 'place place-' + e.rank + (e.player === mine ? ' me' : ''));
    li.dataset.player = e.player;
    const name = make('span', 'pname', String(e.name));
    if (e.player === mine) name.append(' ', t('board.you'));
    li.append(make('span', 'rank', ordinal(e.rank)), name, make('span', 'score', num(e.score)));
    return li;
  });
}

/** Shows the connection state in the pill `node` ("connected", "reconnecting", …). */
export function showConn(node, state) {
  node.dataset.state = state;
  setText(node, t('conn.' + state));
}

/** Whether the user asked for less motion. */
export function reducedMotion() {
  return window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

// The player page's board, score line and self-paced question (a hosted game's phases are
// drawn by hosted.js).

import { t, num } from '../i18n.js';
import { setText, entryRow } from '../common.js';
import { S, el, serverNow, isHosted, isPending, waitingAnswer } from './state.js';
import { pointsLabel, answerUIKey, buildAnswerUI, updateAnswerUI, setNote } from './answers.js';
import { renderHosted, renderHostedScore } from './hosted.js';
import { questionImage } from '../media.js';

/** @param {Partial<import('@contracts').BoardMsg>} b
 * @param {boolean} [fromSnapshot] */
export function renderBoard(b, fromSnapshot) {
  if (Number.isFinite(b.seq)) S.lastSeq = b.seq;
  if (fromSnapshot && S.link) S.link.syncClock(b.server_time);
  const mine = S.session && S.session.player;
  const top = Array.isArray(b.top) ? b.top : [];
  el.board.replaceChildren(...top.map((e) => entryRow(e, { mine: e.player === mine })));
  el.boardEmpty.hidden = top.length > 0;
  const around = Array.isArray(b.around) ? b.around : [];
  const meInTop = top.some((e) => e.player === mine);
  el.around.replaceChildren(...around.map((e) => entryRow(e, { mine: e.player === mine })));
  el.aroundWrap.hidden = around.length === 0 || (meInTop && around.every((e) => top.some((x) => x.player === e.player)));
  if (Number.isFinite(b.players)) S.players = b.players;
  if (b.me) {
    S.me = b.me;
    if (Number.isFinite(b.me.score) && b.me.score > S.total) S.total = b.me.score; // scores only grow
  }
}

/**
 * The compact score line: "1,200 pts · You are #2 of 5". A rank is shown only once it
 * means something (points were scored), never "not ranked" next to a score.
 */
export function renderScore() {
  if (isHosted()) { renderHostedScore(); return; }
  setText(el.myScore, num(S.total));
  setText(el.finalScore, num(S.total));
  const ranked = S.me && S.me.rank && S.total > 0;
  setText(el.myRank, ranked ? t('score.rank', { rank: S.me.rank, n: Math.max(S.players, S.me.rank) }) : '');
}

/** The self-paced question to show at server time `now`, or null when none is left. */
export function currentQuestion(now) {
  for (const q of S.questions) {
    if (S.answered.has(q.id) || S.skipped.has(q.id)) continue;
    if (isPending(q.id)) return q; // chosen, waiting for the server
    if (q.closes_at > now) return q;
  }
  return null;
}

export function render(force) {
  if (!S.session || el.playView.hidden) return;
  if (isHosted()) { renderHosted(); return; }
  const now = serverNow();
  const finishedAll = S.questions.length > 0 && !currentQuestion(now);
  const closed = S.status === 'closed';
  if (closed || finishedAll) {
    const key = 'finished:' + (closed ? 'closed' : 'done');
    if (force || S.rendered !== key) {
      S.rendered = key;
      S.currentId = null;
      el.qCard.hidden = true;
      el.finished.hidden = false;
      const count = { correct: 0, partial: 0, counted: 0 };
      for (const a of S.answered.values()) if (count[a.outcome] !== undefined) count[a.outcome]++;
      let text = (closed ? t('finished.closed') + ' ' : '') +
        t('finished.summary', { k: S.answered.size, n: S.questions.length, c: count.correct });
      if (count.partial) text += t('finished.partial', { n: count.partial });
      if (count.counted) text += t('finished.votes', { n: count.counted });
      el.finalDetail.textContent = text + t('finished.end');
    }
    return;
  }
  el.finished.hidden = true;
  const q = currentQuestion(now);
  if (!q) { el.qCard.hidden = true; return; }
  el.qCard.hidden = false;
  const waiting = isPending(q.id);
  const key = q.id + (waiting ? ':waiting' : ':open');
  if (force || S.rendered !== key) {
    const changedQuestion = S.currentId !== q.id;
    S.rendered = key;
    S.currentId = q.id;
    el.qCard.dataset.question = q.id;
    const idx = S.questions.indexOf(q);
    el.qProgress.textContent = t('q.progress', { i: idx + 1, n: S.questions.length });
    el.qPoints.textContent = pointsLabel(q);
    el.prompt.textContent = q.prompt;
    questionImage(el.prompt, q.image);
    if (changedQuestion) setNote(null, '');
    if (changedQuestion || el.options.dataset.key !== answerUIKey(q, false)) buildAnswerUI(q, false);
    // While an answer is on its way the controls stay in place (so keyboard focus is
    // kept) but are marked disabled; answer() ignores a second choice anyway.
    updateAnswerUI(q, { canAnswer: !waiting, chosen: waitingAnswer(q.id), reveal: null });
  }
  tickCountdown(q, now);
}

export function tickCountdown(q, now) {
  const left = Math.max(0, q.closes_at - now);
  const secs = Math.ceil(left / 1000);
  setText(el.countdown, isPending(q.id) ? t('timer.sending') : t('timer.secs', { n: secs }));
  const limit = q.time_limit_ms > 0 ? q.time_limit_ms : 1;
  el.timerFill.style.width = (Math.max(0, Math.min(1, left / limit)) * 100).toFixed(1) + '%';
  el.timerFill.className = secs <= 5 ? 'low' : '';
}

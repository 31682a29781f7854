// A hosted game on the player page: the snapshot says mode "hosted" and the host moves
// everyone through lobby, question, reveal, board and podium; each change arrives as a
// `phase` frame with a growing `seq`.

import { t, num, ordinal } from '../i18n.js';
import { questionImage } from '../media.js';
import { make, setText, qType, TYPES, outcomeOf, payload, rightIndexes, optionText, podiumRows } from '../common.js';
import { S, el, hub, serverNow, isPending, waitingAnswer, savePending } from './state.js';
import { setResult, pointsLabel, answerUIKey, buildAnswerUI, updateAnswerUI } from './answers.js';

/** The question that takes answers now, or null. */
export function hostedOpenQuestion() {
  const ph = S.phase;
  if (!ph || ph.phase !== 'question' || !ph.question) return null;
  if (ph.question.closes_at <= serverNow()) return null;
  return ph.question;
}

/** The question whose answer is not revealed yet (open or paused), or null. */
function unrevealedQuestion() {
  const ph = S.phase;
  if (!ph || !ph.question) return null;
  if (ph.phase === 'question' || (ph.phase === 'paused' && ph.paused_from === 'question')) return ph.question;
  return null;
}

/** The total shown: the points of an answer not revealed yet are kept back until the reveal. */
function shownTotal() {
  const q = unrevealedQuestion();
  const a = q ? S.answered.get(q.id) : null;
  return a ? Math.max(0, S.total - a.points) : S.total;
}

/** @param {import('@contracts').Frame<'phase'>} msg */
export function onPhase(msg) {
  if (!Number.isFinite(msg.seq)) return;
  const first = !S.phaseOnSocket;
  S.phaseOnSocket = true;
  // Keep the highest seq shown; after a reconnect the first frame is the current phase
  // again (same seq, fresh time left), which is taken for its clock.
  if (!(msg.seq > S.phaseSeq) && !(first && msg.seq === S.phaseSeq)) return;
  const fresh = msg.seq > S.phaseSeq && S.phaseSeq !== -Infinity;
  S.phaseSeq = msg.seq;
  S.mode = 'hosted';
  S.link.syncClock(msg.server_time);
  const prevQuestion = S.phase && S.phase.question ? S.phase.question.id : null;
  S.phase = msg;
  if (msg.phase !== 'paused') S.content = msg;
  if (Number.isFinite(msg.players)) S.players = msg.players;
  S.counts = Number.isFinite(msg.answered) && Number.isFinite(msg.expected)
    ? { answered: msg.answered, expected: msg.expected } : null;
  if (msg.title) {
    S.quizTitle = String(msg.title);
    el.quizTitle.textContent = S.quizTitle;
    document.title = t('title.quiz', { title: S.quizTitle });
  }
  const q = msg.question;
  const you = msg.reveal && msg.reveal.you;
  if (you && q) {
    if (Number.isFinite(you.total)) S.total = you.total;
    if (you.answered) {
      const old = S.answered.get(q.id);
      S.answered.set(q.id, { correct: !!you.correct, outcome: outcomeOf(you), points: you.points | 0, streak: old ? old.streak : 0 });
      // What this page sent wins: the reveal gives a typed answer normalised ("cafe noir").
      const given = payload({ option: you.option, options: you.options, text: you.text });
      if (given && !S.chosen.has(q.id)) S.chosen.set(q.id, given);
    }
  }
  if (msg.board) {
    hub.renderBoard(msg.board, false);
    if (msg.board.me && msg.board.me.rank) {
      S.hRank = { rank: msg.board.me.rank, players: msg.board.players | 0 };
      if (Number.isFinite(msg.board.me.score)) S.total = msg.board.me.score;
    }
  }
  // Answers to a question that is no longer open would only be refused: drop them.
  const open = msg.phase === 'question' || msg.phase === 'paused' ? q && q.id : null;
  let dropped = false;
  for (const [id, p] of S.pending) {
    if (p.question !== open) { S.pending.delete(id); dropped = true; }
  }
  if (dropped) savePending();
  if (!q || q.id !== prevQuestion) setResult(null);
  if (fresh) {
    if (msg.phase === 'reveal' && you) hub.sound.play(you.answered && outcomeOf(you) !== 'wrong' ? 'right' : 'wrong');
    else if (msg.phase === 'question' && q && q.id !== prevQuestion) hub.sound.play('go');
    else if (msg.phase === 'podium') hub.sound.play('fanfare');
  }
  hub.renderScore();
  renderHosted();
}

/** @param {import('@contracts').Frame<'answered'>} msg */
export function onAnswered(msg) {
  if (!S.phase || msg.seq !== S.phaseSeq) return; // counts of another phase
  if (Number.isFinite(msg.answered) && Number.isFinite(msg.expected)) {
    S.counts = { answered: msg.answered, expected: msg.expected };
    renderHosted();
  }
}

/** Joins and removals within a phase: the player count and a question's expected. */
/** @param {import('@contracts').Frame<'roster'>} msg */
export function onRoster(msg) {
  if (!S.phase || msg.seq !== S.phaseSeq) return; // another phase's
  if (Number.isFinite(msg.players)) S.players = msg.players;
  if (Number.isFinite(msg.expected) && S.counts) S.counts = { answered: S.counts.answered, expected: msg.expected };
  renderHosted();
}

/** @param {import('@contracts').Frame<'answer_result'>} msg */
export function onHostedAnswerResult(msg) {
  const p = S.pending.get(msg.answer_id);
  if (p) {
    S.pending.delete(msg.answer_id);
    savePending();
    S.chosen.set(msg.question, p.answer);
  }
  S.answered.set(msg.question, { correct: !!msg.correct, outcome: outcomeOf(msg), points: msg.points | 0, streak: msg.streak | 0 });
  S.picks.delete(msg.question);
  if (Number.isFinite(msg.total)) S.total = msg.total;
  // Right or wrong is shown at the reveal, for everyone at once.
  hub.renderScore();
  renderHosted();
}

/** The compact score line; the rank only once the host showed a board with this player on it. */
export function renderHostedScore() {
  setText(el.myScore, num(shownTotal()));
  setText(el.finalScore, num(shownTotal()));
  const r = S.hRank;
  setText(el.myRank, r && r.rank ? t('score.rank', { rank: r.rank, n: Math.max(r.players || 0, r.rank) }) : '');
}

/** @param {import('@contracts').Frame<'phase'>} ph */
function phaseLabel(ph, view) {
  const q = ph.question;
  const n = ph.question_count || 0;
  let text;
  switch (view) {
    case 'lobby': text = t('phase.lobby_player'); break;
    case 'question': text = q ? t('q.progress', { i: q.index + 1, n }) : ''; break;
    case 'reveal': text = q ? t('phase.reveal', { i: q.index + 1, n }) : ''; break;
    case 'board': text = q ? t('phase.board_after', { i: q.index + 1, n }) : t('phase.board'); break;
    case 'podium': text = t('phase.podium_player'); break;
    default: text = ''; break;
  }
  return ph.phase === 'paused' ? t('phase.paused', { what: text }) : text;
}

export function renderHosted() {
  if (!S.session || el.playView.hidden) return;
  el.hosted.hidden = false;
  el.finished.hidden = true;
  const ph = S.phase;
  if (!ph) {
    setText(el.hPhase, t('phase.connecting'));
    el.hosted.classList.remove('visually-hidden');
    el.hPaused.hidden = true;
    el.hCount.hidden = true;
    el.hLobby.hidden = el.hReveal.hidden = el.hBoard.hidden = el.hPodium.hidden = true;
    el.qCard.hidden = true;
    el.boardCard.hidden = true;
    return;
  }
  const paused = ph.phase === 'paused';
  const view = paused ? (ph.paused_from || 'question') : ph.phase;
  // What a pause keeps on screen: the paused frame's own reveal or board when it has one,
  // else the frame shown before the pause (when it is of the same view).
  const content = !paused || ph[view] ? ph : (S.content && S.content.phase === view ? S.content : null);
  setText(el.hPhase, phaseLabel(ph, view));
  el.hPaused.hidden = !paused;
  // While a question runs, the question card says it all: the phase line stays for
  // screen readers (it is the live region) but takes no room.
  el.hosted.classList.toggle('visually-hidden', view === 'question' && !paused);
  document.body.dataset.view = view;

  el.hLobby.hidden = view !== 'lobby';
  if (view === 'lobby') {
    const n = S.players | 0;
    setText(el.hPlayers, t('lobby.players_in', { n }) + (ph.locked ? ' · ' + t('lobby.locked_note') : ''));
  }

  // The question: open (or paused) in the question view, with the answer marked at the reveal.
  const q = view === 'question' ? ph.question : view === 'reveal' && content ? content.question : null;
  if (q) renderHostedQuestion(q, view, paused, content);
  else {
    el.qCard.hidden = true;
    el.qCard.classList.remove('hosted-q');
    S.hQuestion = null;
    delete el.options.dataset.key;
  }

  const counts = view === 'question' ? S.counts : null;
  el.hCount.hidden = !counts;
  if (counts) setText(el.hCount, t('count.players_answered', { k: counts.answered, n: counts.expected }));

  el.hReveal.hidden = !(view === 'reveal' && content && content.reveal);
  if (!el.hReveal.hidden) renderHostedReveal(content.question, content.reveal);

  el.hBoard.hidden = !(view === 'board' && content && content.board);
  if (!el.hBoard.hidden) renderHostedBoard(content.board);

  el.hPodium.hidden = !(view === 'podium');
  if (view === 'podium') renderHostedPodium(ph);

  el.boardCard.hidden = !((view === 'board' || view === 'podium') && content && content.board);
}

function renderHostedQuestion(q, view, paused, content) {
  el.qCard.hidden = false;
  el.qCard.classList.add('hosted-q');
  el.qCard.dataset.question = q.id;
  setText(el.qProgress, t('q.progress', { i: q.index + 1, n: S.phase.question_count || 0 }));
  setText(el.qPoints, pointsLabel(q));
  setText(el.prompt, q.prompt);
  questionImage(el.prompt, q.image);
  if (S.hQuestion !== q.id || el.options.dataset.key !== answerUIKey(q, true)) {
    buildAnswerUI(q, true);
    S.hQuestion = q.id;
  }
  const answered = S.answered.has(q.id);
  const waiting = isPending(q.id);
  const chosen = waiting ? waitingAnswer(q.id) : (S.chosen.get(q.id) || null);
  const reveal = view === 'reveal' && content && content.reveal ? content.reveal : null;
  const left = view === 'question' ? (paused ? Math.max(0, pausedRemaining()) : Math.max(0, q.closes_at - serverNow())) : 0;
  const canAnswer = view === 'question' && !paused && left > 0 && !answered && !waiting;
  updateAnswerUI(q, { canAnswer, chosen, reveal });
  const poll = qType(q) === 'poll';
  let status = '';
  if (view === 'question') {
    if (waiting) status = t(poll ? 'status.sending_vote' : 'status.sending_answer');
    else if (answered) status = t(poll ? 'status.vote_locked' : 'status.answer_locked');
    else if (left <= 0) status = t('status.time_up');
    else if (S.note && S.note.question === q.id) status = t(S.note.key, S.note.params);
  }
  setText(el.qStatus, status);
  el.qStatus.className = 'q-status' + (answered && view === 'question' ? ' locked' : '');
  const timer = el.countdown.parentElement;
  timer.hidden = view !== 'question';
  if (view === 'question') {
    const secs = Math.ceil(left / 1000);
    setText(el.countdown, t('timer.secs', { n: secs }));
    const limit = q.time_limit_ms > 0 ? q.time_limit_ms : 1;
    el.timerFill.style.width = (Math.max(0, Math.min(1, left / limit)) * 100).toFixed(1) + '%';
    el.timerFill.className = secs <= 5 ? 'low' : '';
  }
}

/** Time left of a paused question, frozen at the pause. */
function pausedRemaining() {
  const ph = S.phase;
  if (ph && Number.isFinite(ph.remaining_ms)) return ph.remaining_ms;
  return ph && ph.question ? ph.question.closes_at - ph.server_time : 0;
}

/** @param {import('@contracts').PhaseQuestionMsg} q
 * @param {import('@contracts').RevealMsg} r */
function renderHostedReveal(q, r) {
  const type = TYPES.includes(r.type) ? r.type : qType(q);
  const you = r.you;
  let text;
  let kind;
  if (!you || !you.answered) {
    text = t(type === 'poll' ? 'reveal.no_vote' : 'reveal.no_answer');
    kind = 'neutral';
  } else {
    const points = you.points | 0;
    switch (type === 'poll' ? 'counted' : outcomeOf(you)) {
      case 'counted': text = t('result.counted'); kind = 'neutral'; break;
      case 'correct': text = t('result.correct', { points }); kind = 'correct'; break;
      case 'partial': text = t('result.partial', { points }); kind = 'partial'; break;
      default: text = t('reveal.wrong', { points }); kind = 'incorrect'; break;
    }
  }
  setText(el.hResult, text);
  el.hResult.className = 'h-result ' + kind;
  const options = q && Array.isArray(q.options) ? q.options : [];
  // The right answer, by type (a poll has none).
  let answerText = '';
  if (type === 'type_answer') {
    const accepted = Array.isArray(r.accepted) ? r.accepted.map(String) : [];
    if (accepted.length) answerText = t('reveal.accepted', { n: accepted.length, list: accepted.join(' · ') });
  } else if (type === 'poll') {
    answerText = t('reveal.poll');
  } else {
    const right = rightIndexes(r).filter((i) => options[i] !== undefined).map((i) => optionText(q, i, options[i]));
    if (right.length) answerText = t('reveal.answers', { n: right.length, list: right.join(', ') });
  }
  setText(el.hAnswer, answerText);
  // A typed answer is repeated here (the option buttons show the other types' picks): as
  // typed on this page when it was, else as the server has it (normalised).
  const mine = q ? S.chosen.get(q.id) : null;
  const typed = mine && typeof mine.text === 'string' ? mine.text : you && typeof you.text === 'string' ? you.text : null;
  const yours = you && you.answered && typed !== null ? t('reveal.you_typed', { text: typed }) : '';
  el.hYours.hidden = !yours;
  setText(el.hYours, yours);
  renderRevealDetail(type, q, options, r);
  const total = you && Number.isFinite(you.total) ? you.total : S.total;
  setText(el.hTotal, t('reveal.total', { n: total }));
  const expl = typeof r.explanation === 'string' ? r.explanation : '';
  el.hExplanation.hidden = !expl;
  setText(el.hExplanation, expl);
}

/** A poll's votes per option, or the answers typed most with their counts. */
function renderRevealDetail(type, q, options, r) {
  let rows = [];
  if (type === 'poll') {
    const counts = Array.isArray(r.counts) ? r.counts : [];
    rows = options.map((o, i) => ({ text: optionText(q, i, o), count: t('count.votes', { n: counts[i] | 0 }), mark: '' }));
  } else if (type === 'type_answer') {
    rows = (Array.isArray(r.texts) ? r.texts : []).map((x) => ({
      text: '"' + String(x.text) + '"', count: '× ' + num(x.count | 0),
      mark: t(x.correct ? 'mark.accepted' : 'mark.not_accepted'), ok: !!x.correct,
    }));
  }
  const key = type + '|' + JSON.stringify(rows);
  if (el.hDetail.dataset.key === key) return;
  el.hDetail.dataset.key = key;
  el.hDetail.hidden = rows.length === 0;
  el.hDetail.setAttribute('aria-label', t(type === 'poll' ? 'aria.votes_per_option' : 'aria.answers_given'));
  el.hDetail.replaceChildren(...rows.map((row) => {
    const li = make('li', row.mark ? (row.ok ? 'ok' : 'no') : '');
    li.append(make('span', 'd-text', row.text), make('span', 'd-count', row.count));
    if (row.mark) li.append(make('span', 'd-mark', row.mark));
    return li;
  }));
}

function renderHostedBoard(b) {
  const me = b.me;
  const players = Math.max(b.players | 0, me ? me.rank : 0);
  setText(el.hRank, me && me.rank ? t('board.you_are', { rank: me.rank, n: players }) : t('board.not_on_board'));
  const mine = S.session && S.session.player;
  const mv = Array.isArray(b.movers) ? b.movers.find((m) => m.player === mine) : null;
  let move = '';
  if (mv && Number.isFinite(mv.to)) {
    if (!Number.isFinite(mv.from)) move = t('board.new_at', { to: mv.to });
    else if (mv.to < mv.from) move = t('board.you_up', { from: mv.from, to: mv.to });
    else if (mv.to > mv.from) move = t('board.you_down', { from: mv.from, to: mv.to });
  }
  setText(el.hMove, move);
}

/** @param {import('@contracts').Frame<'phase'>} ph */
function renderHostedPodium(ph) {
  const b = ph.board || /** @type {Partial<import('@contracts').PhaseBoardMsg>} */ ({});
  const me = b.me;
  const players = Math.max(b.players | 0, me ? me.rank : 0);
  setText(el.hFinalRank, me && me.rank ? t('podium.you_finished', { place: ordinal(me.rank), n: players }) : t('podium.over'));
  setText(el.hFinalScore, t('podium.final_score', { n: me && Number.isFinite(me.score) ? me.score : S.total }));
  const podium = Array.isArray(ph.podium) ? ph.podium : [];
  const key = JSON.stringify(podium) + '|' + document.documentElement.lang;
  if (el.hPodiumList.dataset.key !== key) {
    el.hPodiumList.dataset.key = key;
    el.hPodiumList.replaceChildren(...podiumRows(podium, S.session && S.session.player));
  }
}

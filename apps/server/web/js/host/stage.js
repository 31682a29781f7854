// The presenter view of the host console: what the class sees on the projector. The lobby
// (join link, quiz ID, QR code of the link), the question with its tiles (colour, shape and
// letter: never colour alone, the same as on the phones), the timer and the answer count,
// the reveal with a bar per option, the board with movers, the animated podium. No admin
// controls; keyboard shortcuts run the commands (N or → start/next, P pause or resume, S skip
// to the reveal, F full screen, M sound). Sound effects and lobby music are WebAudio tones the host can mute.

import { t, num } from '../i18n.js';
import { questionImage } from '../media.js';
import { $, make, setText, qType, TYPES, rightIndexes, optionText, tileBadge, timeLeft, showTimer, entryRow, podiumRows, reducedMotion } from '../common.js';
import { Sound } from '../sound.js';
import qrcode from '../../vendor/qrcode-generator-2.0.4.mjs';
import { H, quiz, serverNow, hub, phaseLabel } from './state.js';

const READY_SECS = 3;
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|::1)$/i;

const el = {
  stage: $('stage'), title: $('h-title'), phase: $('h-phase'), playerCount: $('h-player-count'),
  lockState: $('h-lock-state'), paused: $('h-paused'), sound: $('sound'),
  ready: $('get-ready'), readyN: $('get-ready-n'),
  vLobby: $('v-lobby'), joinLink: $('join-link'), withId: $('with-id'), bigId: $('big-id'), qr: $('qr'), loopback: $('loopback-warning'),
  lobbyNames: $('lobby-names'),
  vQuestion: $('v-question'), qProgress: $('hq-progress'), qPoints: $('hq-points'), qPrompt: $('hq-prompt'),
  qType: $('hq-type'), qNote: $('hq-note'),
  qFill: $('hq-fill'), qCountdown: $('hq-countdown'), qOptions: $('hq-options'), qAnswered: $('hq-answered'),
  vReveal: $('v-reveal'), rProgress: $('hr-progress'), rAnswered: $('hr-answered'), rPrompt: $('hr-prompt'),
  rType: $('hr-type'), rAccepted: $('hr-accepted'), rNone: $('hr-none'), rBars: $('hr-bars'), rExplanation: $('hr-explanation'),
  vBoard: $('v-board'), bTitle: $('hb-title'), bList: $('hb-list'), bEmpty: $('hb-empty'),
  vPodium: $('v-podium'), pPodium: $('hp-podium'), pFinal: $('hp-final'),
};

const TYPE_LABELS = {
  single: 'type.single', multi: 'type.multi', true_false: 'type.true_false', poll: 'type.poll', type_answer: 'type.type_answer',
};
const TYPE_NOTES = { multi: 'note.host_multi', poll: 'note.host_poll', type_answer: 'note.host_type_answer' };

const sound = new Sound({ defaultOn: true, storeKey: 'quiz.sound.host' });
let optionsKey = '';
let readyTimer = null;
let lastSecs = null;

/**
 * The join link and the QR code of it: from the server's --public-url when it has one,
 * else from the address this page was opened with (with a warning when no phone can reach
 * that); by the game PIN when there is one, else by the quiz id, which is then shown large.
 */
export function showJoinInfo() {
  setText(el.bigId, H.pin || quiz);
  setText(el.withId, t(H.pin ? 'lobby.with_pin' : 'lobby.with_id'));
  el.bigId.classList.toggle('is-pin', !!H.pin);
  const url = H.joinUrl
    || location.origin + (H.pin ? '/join/' + H.pin : '/?quiz=' + encodeURIComponent(quiz));
  el.joinLink.href = url;
  setText(el.joinLink, url);
  el.loopback.hidden = !!H.joinUrl || !LOOPBACK.test(location.hostname);
  drawQr(url);
}

function drawQr(url) {
  if (el.qr.dataset.url === url) return;
  el.qr.dataset.url = url;
  const qr = qrcode(0, 'M');
  qr.addData(url);
  qr.make();
  const n = qr.getModuleCount();
  const quietZone = 4;
  const scale = Math.max(4, Math.floor(320 / (n + 2 * quietZone)));
  const size = (n + 2 * quietZone) * scale;
  el.qr.width = size;
  el.qr.height = size;
  const g = el.qr.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, size, size);
  g.fillStyle = '#000000';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) g.fillRect((c + quietZone) * scale, (r + quietZone) * scale, scale, scale);
    }
  }
}


/** The 3-2-1 "get ready" on the stage; `then` runs when it reaches zero. */
export function getReady(then) {
  clearInterval(readyTimer);
  let n = READY_SECS;
  el.ready.hidden = false;
  el.ready.classList.toggle('still', reducedMotion());
  setText(el.readyN, num(n));
  sound.play('tick');
  readyTimer = setInterval(() => {
    n -= 1;
    if (n > 0) {
      setText(el.readyN, num(n));
      el.readyN.classList.remove('pop');
      void el.readyN.offsetWidth; // restart the animation
      el.readyN.classList.add('pop');
      sound.play('tick');
      return;
    }
    clearInterval(readyTimer);
    el.ready.hidden = true;
    sound.play('go');
    then();
  }, 1000);
}

export function fullscreen() {
  document.body.classList.add('presenting');
  const target = el.stage;
  if (target.requestFullscreen) target.requestFullscreen().catch(() => {});
}

/** @param {import('@contracts').Frame<'phase'> | null} prev
 * @param {import('@contracts').Frame<'phase'>} msg */
export function phaseChanged(prev, msg) {
  const fresh = !prev || prev.seq !== msg.seq;
  if (!fresh || !prev) {
    music(msg);
    return;
  }
  if (msg.phase === 'reveal') sound.play('reveal');
  else if (msg.phase === 'podium') sound.play('fanfare');
  music(msg);
}

/** @param {import('@contracts').Frame<'phase'>} msg */
function music(msg) {
  if (msg.phase === 'lobby') sound.startMusic();
  else sound.stopMusic();
}

export function render() {
  const ph = H.phase;
  if (!ph) {
    setText(el.phase, H.everConnected ? '' : t('phase.connecting'));
    for (const v of [el.vQuestion, el.vReveal, el.vBoard, el.vPodium]) v.hidden = true;
    el.paused.hidden = true;
    el.vLobby.hidden = false;
    return;
  }
  const paused = ph.phase === 'paused';
  const view = paused ? (ph.paused_from || 'question') : ph.phase;
  // What a pause keeps on screen: the paused frame's own reveal or board when it has one,
  // else the frame shown before the pause (when it is of the same view).
  const content = !paused || ph[view] ? ph : (H.content && H.content.phase === view ? H.content : null);
  setText(el.title, String(ph.title || quiz));
  document.title = t('title.host', { title: String(ph.title || quiz) });
  setText(el.phase, phaseLabel(ph));
  el.stage.dataset.view = view;
  setText(el.playerCount, t('players.count', { n: H.players | 0 }));
  setText(el.lockState, t(ph.locked ? 'lobby.locked' : 'lobby.open'));
  el.lockState.classList.toggle('locked', !!ph.locked);
  el.lockState.hidden = view !== 'lobby';
  el.paused.hidden = !paused;
  if (paused) setText(el.paused, t(view === 'question' ? 'paused.clock' : 'paused.host'));

  el.vLobby.hidden = view !== 'lobby';
  if (view === 'lobby') renderLobbyNames();
  el.vQuestion.hidden = view !== 'question' || !ph.question;
  if (!el.vQuestion.hidden) renderQuestion(ph);
  el.vReveal.hidden = !(view === 'reveal' && content && content.reveal);
  if (!el.vReveal.hidden) renderReveal(content);
  el.vBoard.hidden = !(view === 'board' && content && content.board);
  if (!el.vBoard.hidden) renderBoard(content);
  el.vPodium.hidden = view !== 'podium';
  if (!el.vPodium.hidden) renderPodium(ph);
}

/** The names of who joined, big, as they arrive (no controls: kicking is on the panel). */
function renderLobbyNames() {
  const names = Array.from(H.roster.values());
  const key = JSON.stringify(names);
  if (el.lobbyNames.dataset.key === key) return;
  el.lobbyNames.dataset.key = key;
  el.lobbyNames.replaceChildren(...names.map((n) => make('li', 'lobby-name', n)));
}

/** @param {import('@contracts').Frame<'phase'>} ph */
function renderQuestion(ph) {
  const q = ph.question;
  setText(el.qProgress, t('q.progress', { i: q.index + 1, n: ph.question_count || 0 }));
  const type = qType(q);
  setText(el.qType, t(TYPE_LABELS[type]));
  el.qType.dataset.type = type;
  setText(el.qPoints, type === 'poll' ? t('q.no_points') : t('q.points', { n: q.points | 0 }));
  setText(el.qPrompt, q.prompt);
  questionImage(el.qPrompt, q.image);
  setText(el.qNote, TYPE_NOTES[type] ? t(TYPE_NOTES[type]) : '');
  el.qNote.hidden = !TYPE_NOTES[type];
  const options = Array.isArray(q.options) ? q.options : [];
  el.qOptions.hidden = options.length === 0;
  const key = q.id + '|' + JSON.stringify(options) + '|' + document.documentElement.lang;
  if (optionsKey !== key) {
    optionsKey = key;
    el.qOptions.replaceChildren(...options.map((text, i) => {
      const li = make('li', 'tile tile-' + (i % 6) + ' opt-' + i);
      li.append(tileBadge(i), make('span', 'tile-text', optionText(q, i, text)));
      return li;
    }));
  }
  const c = H.counts;
  setText(el.qAnswered, c ? t('count.answered', { k: c.answered, n: c.expected }) : '');
  tickCountdown(ph);
}

/** @param {import('@contracts').Frame<'phase'>} ph */
function tickCountdown(ph) {
  const q = ph.question;
  const left = timeLeft(ph, serverNow());
  const secs = Math.ceil(left / 1000);
  showTimer(el.qFill, el.qCountdown, left, q.time_limit_ms, left > 0 ? num(secs) : t('timer.up'));
  if (ph.phase === 'question' && secs !== lastSecs && secs > 0 && secs <= 5) sound.play('tick');
  lastSecs = secs;
}

/** @param {import('@contracts').Frame<'phase'>} ph */
function renderReveal(ph) {
  const q = ph.question;
  const r = ph.reveal;
  const type = TYPES.includes(r.type) ? r.type : qType(q);
  setText(el.rProgress, t('q.progress', { i: q.index + 1, n: ph.question_count || 0 }));
  setText(el.rType, t(TYPE_LABELS[type]));
  el.rType.dataset.type = type;
  const answered = r.answered | 0;
  setText(el.rAnswered, t(type === 'poll' ? 'count.votes' : 'count.answers', { n: answered }));
  setText(el.rPrompt, q.prompt);
  questionImage(el.rPrompt, q.image);
  const accepted = type === 'type_answer' && Array.isArray(r.accepted) ? r.accepted.map(String) : [];
  el.rAccepted.hidden = accepted.length === 0;
  setText(el.rAccepted, accepted.length ? t('reveal.accepted_host', { n: accepted.length, list: accepted.join(' · ') }) : '');
  // One bar per option, or per answer typed (the most given first, as the server sends them).
  let rows;
  if (type === 'type_answer') {
    rows = (Array.isArray(r.texts) ? r.texts : []).map((x) => ({
      text: String(x.text), count: x.count | 0, right: !!x.correct, mark: t(x.correct ? 'mark.accepted' : 'mark.not_accepted'),
    }));
  } else {
    const options = Array.isArray(q.options) ? q.options : [];
    const counts = Array.isArray(r.counts) ? r.counts : [];
    const right = type === 'poll' ? [] : rightIndexes(r);
    rows = options.map((text, i) => ({
      index: i, text: optionText(q, i, text), count: counts[i] | 0,
      right: right.includes(i), mark: right.includes(i) ? t('mark.correct') : '',
    }));
  }
  el.rNone.hidden = !(type === 'type_answer' && rows.length === 0);
  el.rBars.hidden = rows.length === 0;
  el.rBars.setAttribute('aria-label', t(type === 'type_answer' ? 'aria.answers_given' : type === 'poll' ? 'aria.votes_per_option' : 'aria.answers_per_option'));
  const key = ph.seq + '|' + type + '|' + JSON.stringify(rows);
  if (el.rBars.dataset.key !== key) {
    el.rBars.dataset.key = key;
    const max = Math.max(1, ...rows.map((x) => x.count));
    el.rBars.replaceChildren(...rows.map((row, i) => {
      const li = make('li', 'bar-row' + (row.right ? ' correct' : '') + (type === 'type_answer' && !row.right ? ' not-accepted' : '')
        + (row.index !== undefined ? ' tile-' + (row.index % 6) : '') + (type !== 'poll' && type !== 'type_answer' && !row.right ? ' dim' : ''));
      li.dataset.index = String(i);
      const label = make('span', 'bar-label');
      if (row.index !== undefined) label.append(tileBadge(row.index));
      label.append(make('span', 'bar-text', row.text));
      if (row.mark) label.append(make('span', 'mark' + (row.right ? '' : ' no'), row.mark));
      const track = make('span', 'bar-track');
      track.setAttribute('aria-hidden', 'true');
      const fill = make('span', 'bar-fill');
      fill.style.width = ((row.count / max) * 100).toFixed(1) + '%';
      track.append(fill);
      const count = make('span', 'bar-count', num(row.count));
      count.setAttribute('aria-label', t(type === 'poll' ? 'count.votes' : 'count.answers', { n: row.count }));
      li.append(label, track, count);
      return li;
    }));
  }
  const expl = typeof r.explanation === 'string' ? r.explanation : '';
  el.rExplanation.hidden = !expl;
  setText(el.rExplanation, expl);
}

/** @param {import('@contracts').Frame<'phase'>} ph */
function renderBoard(ph) {
  const b = ph.board;
  const q = ph.question;
  setText(el.bTitle, q ? t('board.after', { i: q.index + 1 }) : t('board.title'));
  const top = Array.isArray(b.top) ? b.top : [];
  const movers = new Map((Array.isArray(b.movers) ? b.movers : []).map((m) => [m.player, m]));
  const key = ph.seq + '|' + JSON.stringify(top) + '|' + document.documentElement.lang;
  if (el.bList.dataset.key !== key) {
    el.bList.dataset.key = key;
    el.bList.replaceChildren(...top.map((e) => entryRow(e, { mover: movers.get(e.player) })));
  }
  el.bEmpty.hidden = top.length > 0;
}

/** @param {import('@contracts').Frame<'phase'>} ph */
function renderPodium(ph) {
  const podium = Array.isArray(ph.podium) ? ph.podium : [];
  const key = ph.seq + '|' + JSON.stringify(podium) + '|' + document.documentElement.lang;
  if (el.pPodium.dataset.key !== key) {
    el.pPodium.dataset.key = key;
    el.pPodium.replaceChildren(...podiumRows(podium, null));
  }
  const top = ph.board && Array.isArray(ph.board.top) ? ph.board.top : [];
  const fkey = ph.seq + '|' + JSON.stringify(top) + '|' + document.documentElement.lang;
  if (el.pFinal.dataset.key !== fkey) {
    el.pFinal.dataset.key = fkey;
    el.pFinal.replaceChildren(...top.map((e) => entryRow(e, {})));
  }
}

export function tick() {
  const ph = H.phase;
  if (!ph || ph.phase !== 'question' || !ph.question) return;
  tickCountdown(ph);
}

export function relabel() {
  optionsKey = '';
  sound.label();
}

function onKey(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const target = ev.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  const p = H.phase ? H.phase.phase : '';
  let done = false;
  switch (ev.key) {
    case 'n': case 'N': case 'ArrowRight': case 'PageDown':
      done = hub.act(p === 'lobby' ? 'start' : 'next');
      break;
    case 'p': case 'P': done = hub.act('pause'); break;
    case 's': case 'S': done = hub.act('skip'); break;
    case 'f': case 'F': fullscreen(); done = true; break;
    case 'm': case 'M': sound.set(!sound.on); done = true; break;
    default: break;
  }
  if (done) ev.preventDefault();
}

export function start() {
  Object.assign(hub, { getReady, fullscreen });
  sound.bindToggle(el.sound);
  document.addEventListener('keydown', onKey);
  document.addEventListener('fullscreenchange', () => {
    if (!document.fullscreenElement) document.body.classList.remove('presenting');
  });
}

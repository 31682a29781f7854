// The quiz-creation page: POST /api/quizzes with the admin key and the pasted JSON.
// Server text is shown with textContent only.

import { initI18n, t } from './i18n.js';

initI18n();

const EXAMPLE = {
  title: 'World capitals',
  scoring: { kind: 'speed_weighted', streak_step: 50, streak_cap: 200 },
  questions: [
    { id: 'q1', prompt: 'What is the capital of France?', options: ['Berlin', 'Paris', 'Madrid', 'Rome'], correct: 1, points: 1000, time_limit_ms: 20000 },
    { id: 'q2', prompt: 'What is the capital of Japan?', options: ['Tokyo', 'Kyoto', 'Osaka', 'Seoul'], correct: 0, points: 1000, time_limit_ms: 20000 },
    { id: 'q3', prompt: 'What is the capital of Canada?', options: ['Toronto', 'Vancouver', 'Ottawa', 'Montreal'], correct: 2, points: 1000, time_limit_ms: 20000 },
  ],
};
// One question of every type; "multi" scored partially.
const EXAMPLE_TYPES = {
  title: 'Every question type',
  scoring: { kind: 'speed_weighted', multi: 'partial' },
  questions: [
    { id: 'q1', type: 'single', prompt: 'Which planet is closest to the Sun?', options: ['Venus', 'Mercury', 'Mars'], correct: 1, points: 1000, time_limit_ms: 20000 },
    { id: 'q2', type: 'multi', prompt: 'Which of these are prime numbers?', options: ['2', '4', '7', '9'], correct: [0, 2], points: 1000, time_limit_ms: 30000 },
    { id: 'q3', type: 'true_false', prompt: 'Water boils at 100 °C at sea level.', correct: true, points: 500, time_limit_ms: 15000 },
    { id: 'q4', type: 'poll', prompt: 'What should the next quiz be about?', options: ['Science', 'History', 'Sport'], time_limit_ms: 20000 },
    { id: 'q5', type: 'type_answer', prompt: 'What is the capital of Italy?', accepted: ['Rome', 'Roma'], ignore_accents: true, points: 1000, time_limit_ms: 30000 },
  ],
};
const MULTI_SCORING = ['all_or_nothing', 'partial'];
const ERRORS = ['unauthorized', 'quiz_exists'];

const form = document.getElementById('create-form');
const key = /** @type {HTMLInputElement} */ (document.getElementById('admin-key'));
const text = /** @type {HTMLTextAreaElement} */ (document.getElementById('quiz-json'));
const button = /** @type {HTMLButtonElement} */ (document.getElementById('create'));
const out = document.getElementById('create-result');
const modeHosted = /** @type {HTMLInputElement} */ (document.getElementById('mode-hosted'));
const modeSelf = /** @type {HTMLInputElement} */ (document.getElementById('mode-self'));
const hostedOpts = document.getElementById('hosted-options');
const endEarly = /** @type {HTMLInputElement} */ (document.getElementById('end-early'));
const revealSecs = /** @type {HTMLInputElement} */ (document.getElementById('reveal-secs'));
const boardSecs = /** @type {HTMLInputElement} */ (document.getElementById('board-secs'));
const multiScoring = /** @type {HTMLSelectElement} */ (document.getElementById('multi-scoring'));

const isObject = (v) => !!v && typeof v === 'object' && !Array.isArray(v);

function syncMode() { hostedOpts.hidden = !modeHosted.checked; }

/** The seconds typed in `input`: undefined when empty, null when not 1..=600. */
function seconds(input) {
  const v = input.value.trim();
  if (!v) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 600 ? n : null;
}

function resetExample() {
  text.value = JSON.stringify(EXAMPLE, null, 2);
  multiScoring.value = 'all_or_nothing';
}

function typesExample() {
  text.value = JSON.stringify(EXAMPLE_TYPES, null, 2);
  syncMultiFromJson();
}

/** A definition that says how "multi" questions score sets the choice (it applies on Create). */
function syncMultiFromJson() {
  let body;
  try { body = JSON.parse(text.value); } catch (_) { return; }
  const multi = isObject(body) && isObject(body.scoring) ? body.scoring.multi : undefined;
  if (MULTI_SCORING.includes(multi)) multiScoring.value = multi;
}

function show(kind, parts) {
  const p = document.createElement('p');
  p.className = 'notice ' + kind;
  for (const part of parts) p.append(part);
  out.replaceChildren(p);
}

async function create(ev) {
  ev.preventDefault();
  if (!key.value) {
    show('error', [t('create.no_key')]);
    key.focus();
    return;
  }
  let body;
  try {
    body = JSON.parse(text.value);
  } catch (e) {
    show('error', [t('create.bad_json', { message: e.message })]);
    text.focus();
    return;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    show('error', [t('create.not_object')]);
    text.focus();
    return;
  }
  if (modeHosted.checked) {
    const reveal = seconds(revealSecs);
    const board = seconds(boardSecs);
    if (reveal === null || board === null) {
      show('error', [t('create.bad_secs')]);
      (reveal === null ? revealSecs : boardSecs).focus();
      return;
    }
    const hosted = body.hosted && typeof body.hosted === 'object' && !Array.isArray(body.hosted)
      ? Object.assign({}, body.hosted) : {};
    hosted.end_early = endEarly.checked;
    if (reveal !== undefined) hosted.reveal_secs = reveal; else delete hosted.reveal_secs;
    if (board !== undefined) hosted.board_secs = board; else delete hosted.board_secs;
    body.mode = 'hosted';
    body.hosted = hosted;
  } else if (body.mode !== undefined && body.mode !== 'self_paced') {
    // The choice above wins over a "mode" in the JSON.
    body.mode = 'self_paced';
    delete body.hosted;
  }
  if (/** @type {HTMLInputElement} */ (document.getElementById('generated-names')).checked) body.names = 'generated';
  // The multi-scoring choice wins over a "scoring.multi" in the JSON, like the mode does.
  if (multiScoring.value === 'partial') {
    if (body.scoring === undefined) body.scoring = { kind: 'fixed', multi: 'partial' };
    else if (isObject(body.scoring)) body.scoring = Object.assign({}, body.scoring, { multi: 'partial' });
  } else if (isObject(body.scoring) && body.scoring.multi !== undefined) {
    body.scoring = Object.assign({}, body.scoring, { multi: 'all_or_nothing' });
  }
  button.disabled = true;
  button.textContent = t('create.creating');
  try {
    const res = await fetch('/api/quizzes', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Admin-Key': key.value },
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await res.json(); } catch (_) { data = null; }
    if (res.status === 201 && data && typeof data.id === 'string') {
      const link = document.createElement('a');
      link.id = 'created-link';
      link.href = '/?quiz=' + encodeURIComponent(data.id);
      link.textContent = location.origin + '/?quiz=' + data.id;
      const id = document.createElement('strong');
      id.id = 'created-id';
      id.textContent = data.id;
      const count = Array.isArray(data.questions) ? data.questions.length : 0;
      const questions = t('create.questions', { n: count });
      if (typeof data.host_url === 'string' && data.host_url) {
        const host = document.createElement('a');
        host.id = 'host-link';
        host.href = data.host_url;
        host.textContent = t('create.open_host');
        const keyOut = document.createElement('code');
        keyOut.id = 'host-key-out';
        keyOut.textContent = String(data.host_key || '');
        const p = document.createElement('p');
        p.className = 'notice ok';
        p.append(t('create.created_hosted'), ' ', id, ' ', questions, ' ', host, ' ', t('create.link_carries'), ' ',
          t('create.players_join_at'), ' ', link);
        const k = document.createElement('p');
        k.className = 'muted small';
        k.append(t('create.host_key'), ' ', keyOut, ' — ', t('create.keep_secret'));
        out.replaceChildren(p, k);
      } else {
        show('ok', [t('create.created'), ' ', id, ' ', questions, ' ', t('create.players_join_at'), ' ', link]);
      }
    } else {
      const code = data && data.code;
      const where = data && typeof data.field === 'string' && data.field ? data.field + ': ' : '';
      const msg = (code && ERRORS.includes(code) ? t('create.error.' + code) : '') ||
        (data && data.message ? where + data.message : '') || ('HTTP ' + res.status);
      show('error', [t('create.failed', { message: msg }) + (code ? ' (' + code + ')' : '')]);
    }
  } catch (_) {
    show('error', [t('create.offline')]);
  } finally {
    button.disabled = false;
    button.textContent = t('create.button');
  }
}

resetExample();
syncMode();
modeHosted.addEventListener('change', syncMode);
modeSelf.addEventListener('change', syncMode);
form.addEventListener('submit', create);
document.getElementById('reset-example').addEventListener('click', resetExample);
document.getElementById('example-types').addEventListener('click', typesExample);
text.addEventListener('input', syncMultiFromJson);

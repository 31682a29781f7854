// The quiz editor (`/edit`, `/edit?quiz=ID`, `/edit?import=1`): a form for the quiz and
// each of its questions, no JSON needed. It loads a quiz with GET /api/quizzes/{id}/export,
// keeps a draft in localStorage on every change (per quiz), saves a new quiz with
// POST /api/quizzes and an existing one with PUT (a quiz already played is saved as a new
// version, and the page says so), uploads images with POST /api/media, and shows the
// server's validation error next to the field its `field` names. The JSON view stays as an
// advanced option. Server text is set with textContent only.

import { initI18n, t, onLangChange } from '../i18n.js';
import { make } from '../common.js';
import { adminKey, setAdminKey, api, errorText } from '../admin.js';
import {
  isObject, newQuiz, newQuestion, retype, removeOption, normalise, setAt, wholeNumber,
  forSaving, loadDraft, saveDraft, dropDraft,
} from './model.js';
import { fillSettings, renderQuestions, focusAction } from './form.js';
import { showFieldError, clearFieldErrors, clearFieldError } from './errors.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const IMPORT_STORE = 'quiz.import';

/** The definition being edited, the id it is saved under (null: not saved yet). */
const E = { def: /** @type {Record<string, any>} */ (newQuiz()), saved: /** @type {string|null} */ (null) };

function notice(boxId, kind, parts) {
  const p = make('p', 'notice ' + kind);
  for (const part of parts) p.append(part);
  $(boxId).replaceChildren(p);
}

function draw() {
  normalise(E.def);
  fillSettings(E.def, E.saved);
  renderQuestions(E.def);
  $('ed-title').textContent = E.saved ? t('ed.edit_title', { title: String(E.def.title || E.saved) }) : t('ed.new_title');
  document.title = $('ed-title').textContent + ' · ' + t('brand');
}

function changed() {
  saveDraft(E.saved, E.def);
  $('discard').hidden = false;
}

// ---------- reading the inputs ----------
function onInput(ev) {
  const input = /** @type {HTMLInputElement} */ (ev.target);
  const path = input.dataset && input.dataset.path;
  if (!path) return;
  clearFieldError(input);
  const kind = input.dataset.kind;
  const q = Number(input.dataset.q);
  if (kind === 'text') setAt(E.def, path, input.value);
  else if (kind === 'opt-text') setAt(E.def, path, input.value.trim() ? input.value : undefined);
  else if (kind === 'int') setAt(E.def, path, wholeNumber(input.value));
  else if (kind === 'secs') {
    const v = input.value.trim();
    const n = Number(v);
    setAt(E.def, path, v === '' ? undefined : Number.isFinite(n) ? Math.round(n * 1000) : v);
  } else if (kind === 'bool') setAt(E.def, path, input.checked);
  else if (kind === 'names') setAt(E.def, path, input.checked ? 'generated' : undefined);
  else if (kind === 'index') setAt(E.def, path, Number(input.value));
  else if (kind === 'tf') setAt(E.def, path, input.value === 'true');
  else if (kind === 'mark') {
    const marks = Array.from(document.querySelectorAll(`#questions input[data-kind="mark"][data-q="${q}"]`));
    setAt(E.def, path, marks.filter((m) => /** @type {HTMLInputElement} */ (m).checked).map((m) => Number(/** @type {HTMLInputElement} */ (m).value)));
  } else if (kind === 'value') {
    setAt(E.def, path, input.value);
    if (path === 'mode') {
      if (input.value === 'hosted' && !isObject(E.def.hosted)) E.def.hosted = { end_early: true };
      $('hosted-settings').hidden = input.value !== 'hosted';
    }
  } else if (kind === 'type') {
    const idx = Number(path.split('.')[1]);
    retype(E.def.questions[idx], input.value);
    renderQuestions(E.def);
    document.getElementById(input.id)?.focus();
  }
  if (path === 'title' && E.saved) $('ed-title').textContent = t('ed.edit_title', { title: input.value || E.saved });
  changed();
}

// ---------- buttons of the question cards ----------
function onClick(ev) {
  const b = ev.target instanceof Element ? ev.target.closest('button[data-action]') : null;
  if (!(b instanceof HTMLButtonElement)) return;
  const i = Number(b.dataset.q);
  const j = Number(b.dataset.opt);
  const qs = E.def.questions;
  const q = qs[i];
  if (!q) return;
  const action = b.dataset.action;
  let focus = () => focusAction(action, i);
  if (action === 'move-up' || action === 'move-down') {
    const to = action === 'move-up' ? i - 1 : i + 1;
    if (to < 0 || to >= qs.length) return;
    qs.splice(to, 0, qs.splice(i, 1)[0]);
    focus = () => focusAction(action, to);
    announce(t('ed.moved', { n: to + 1 }));
  } else if (action === 'remove-question') {
    qs.splice(i, 1);
    focus = () => (qs.length ? focusAction('remove-question', Math.min(i, qs.length - 1)) : $('add-question').focus());
    announce(t('ed.removed'));
  } else if (action === 'add-option') {
    q.options.push('');
    focus = () => document.getElementById(`f-questions-${i}-options-${q.options.length - 1}`)?.focus();
  } else if (action === 'remove-option') {
    removeOption(q, j);
    focus = () => document.getElementById(`f-questions-${i}-options-${Math.min(j, q.options.length - 1)}`)?.focus();
  } else if (action === 'add-accepted') {
    q.accepted.push('');
    focus = () => document.getElementById(`f-questions-${i}-accepted-${q.accepted.length - 1}`)?.focus();
  } else if (action === 'remove-accepted') {
    q.accepted.splice(j, 1);
    focus = () => document.getElementById(`f-questions-${i}-accepted-${Math.min(j, q.accepted.length - 1)}`)?.focus();
  } else if (action === 'remove-image') {
    delete q.image;
    focus = () => document.getElementById(`f-questions-${i}-image`)?.focus();
  } else {
    return;
  }
  clearFieldErrors();
  renderQuestions(E.def);
  focus();
  changed();
}

function announce(text) { notice('ed-status', 'ok', [text]); }

function addQuestion() {
  const type = /** @type {HTMLSelectElement} */ ($('new-type')).value;
  E.def.questions.push(newQuestion(type, E.def.questions));
  renderQuestions(E.def);
  document.getElementById(`f-questions-${E.def.questions.length - 1}-prompt`)?.focus();
  changed();
}

// ---------- images ----------
async function onUpload(ev) {
  const input = /** @type {HTMLInputElement} */ (ev.target);
  if (input.dataset.action !== 'upload' || !input.files || !input.files[0]) return;
  const i = Number(input.dataset.q);
  clearFieldError(input);
  try {
    const res = await api('POST', '/api/media', input.files[0]);
    const media = /** @type {import('@contracts').Api<'MediaOut'>} */ (res.data);
    if ((res.status === 201 || res.status === 200) && media && typeof media.id === 'string') {
      E.def.questions[i].image = media.id;
      renderQuestions(E.def);
      changed();
      document.getElementById(`f-questions-${i}-image`)?.focus();
      announce(t('ed.image_added', { n: i + 1 }));
    } else {
      showFieldError(`questions[${i}].image`, errorText(res));
    }
  } catch (_) {
    showFieldError(`questions[${i}].image`, t('admin.offline'));
  }
}

// ---------- saving ----------
async function save(ev) {
  ev.preventDefault();
  clearFieldErrors();
  $('ed-alert').replaceChildren();
  const body = forSaving(E.def);
  const button = /** @type {HTMLButtonElement} */ ($('save'));
  button.disabled = true;
  let res;
  try {
    res = E.saved
      ? await api('PUT', '/api/quizzes/' + encodeURIComponent(E.saved), Object.assign(body, { id: E.saved }))
      : await api('POST', '/api/quizzes', body);
  } catch (_) {
    notice('ed-alert', 'error', [t('admin.offline')]);
    button.disabled = false;
    return;
  }
  button.disabled = false;
  // PUT answers SavedOut ({quiz, copied, host_…}); POST the created quiz ({id, host_…}).
  /** @type {Partial<import('@contracts').Api<'SavedOut'>> & Partial<import('@contracts').Api<'QuizOut'>> & {field?: string, message?: string}} */
  const d = res.data || {};
  const newId = typeof d.quiz === 'string' ? d.quiz : typeof d.id === 'string' ? d.id : null;
  if ((res.status === 200 || res.status === 201) && newId) {
    const before = E.saved;
    dropDraft(before);
    E.saved = newId;
    E.def.id = newId;
    history.replaceState(null, '', '/edit?quiz=' + encodeURIComponent(newId));
    draw();
    $('discard').hidden = true;
    saved(d, newId, before);
    return;
  }
  if (res.status === 401) { setAdminKey(''); askKey(t('admin.error.unauthorized')); return; }
  const field = typeof d.field === 'string' ? d.field : '';
  const message = errorText(res);
  // At the field, the server's own sentence (it names the rule); elsewhere, with its code.
  const shown = field ? showFieldError(field, typeof d.message === 'string' && d.message ? d.message : message) : null;
  notice('ed-alert', 'error', [t('ed.not_saved'), ' ', shown ? t('ed.see_field') : message]);
  if (shown) shown.focus(); else $('save').focus();
}

function saved(d, id, before) {
  const parts = [];
  if (d.copied === true) parts.push(t('ed.saved_copy', { old: String(before), id }));
  else parts.push(before ? t('ed.saved') : t('ed.created', { id }));
  const play = make('a', '', location.origin + '/?quiz=' + id);
  play.id = 'play-link';
  play.href = '/?quiz=' + encodeURIComponent(id);
  parts.push(' ', t('ed.play_at'), ' ', play);
  if (typeof d.host_url === 'string' && d.host_url) {
    const host = make('a', '', t('create.open_host'));
    host.id = 'host-link';
    host.href = d.host_url;
    parts.push(' · ', host);
  }
  notice('save-result', d.copied ? 'warn' : 'ok', parts);
}

// ---------- the JSON view ----------
function jsonOpened() {
  if (/** @type {HTMLDetailsElement} */ ($('json-view')).open) {
    /** @type {HTMLTextAreaElement} */ ($('json-text')).value = JSON.stringify(E.def, null, 2);
  }
}

function jsonApply() {
  const err = $('json-error');
  let body;
  try {
    body = JSON.parse(/** @type {HTMLTextAreaElement} */ ($('json-text')).value);
  } catch (e) {
    err.textContent = t('create.bad_json', { message: e instanceof Error ? e.message : String(e) });
    err.hidden = false;
    return;
  }
  if (!isObject(body)) { err.textContent = t('create.not_object'); err.hidden = false; return; }
  err.hidden = true;
  if (E.saved) body.id = E.saved;
  E.def = normalise(body);
  draw();
  changed();
  announce(t('ed.json_applied'));
}

// ---------- loading ----------
function askKey(message) {
  $('editor').hidden = true;
  $('key-form').hidden = false;
  const err = $('key-error');
  err.hidden = !message;
  err.textContent = message || '';
  $('admin-key').focus();
}

async function start() {
  const quiz = params.get('quiz');
  E.saved = quiz;
  const draft = loadDraft(quiz);
  if (params.get('import')) {
    let imported = null;
    try { imported = JSON.parse(sessionStorage.getItem(IMPORT_STORE) || 'null'); } catch (_) { imported = null; }
    sessionStorage.removeItem(IMPORT_STORE);
    if (isObject(imported)) {
      E.def = imported;
      changed();
      announce(t('ed.imported', { n: Array.isArray(imported.questions) ? imported.questions.length : 0 }));
    } else if (draft) {
      E.def = draft.def;
    }
  } else if (draft) {
    E.def = draft.def;
    $('discard').hidden = false;
    notice('ed-status', 'warn', [t('ed.draft_restored', { time: new Date(draft.at).toLocaleTimeString() })]);
  } else if (quiz) {
    let res;
    try { res = await api('GET', '/api/quizzes/' + encodeURIComponent(quiz) + '/export'); } catch (_) { res = null; }
    if (res && res.status === 401) { setAdminKey(''); askKey(t('admin.error.unauthorized')); return; }
    if (!res || res.status !== 200 || !isObject(res.data)) {
      notice('ed-alert', 'error', [res ? errorText(res) : t('admin.offline')]);
      return;
    }
    E.def = res.data;
  }
  $('key-form').hidden = true;
  $('editor').hidden = false;
  draw();
}

async function discard() {
  dropDraft(E.saved);
  $('discard').hidden = true;
  $('ed-status').replaceChildren();
  if (E.saved) {
    location.reload();
    return;
  }
  E.def = newQuiz();
  draw();
}

initI18n();
onLangChange(() => { if (!$('editor').hidden) draw(); });
$('key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const key = /** @type {HTMLInputElement} */ ($('admin-key')).value.trim();
  if (!key) { askKey(t('admin.key_empty')); return; }
  setAdminKey(key);
  void start();
});
const form = $('editor');
const picked = (n) => n.type === 'radio' || n.type === 'checkbox' || n.type === 'file' || n.tagName === 'SELECT';
form.addEventListener('input', (ev) => { if (!picked(ev.target)) onInput(ev); });
form.addEventListener('change', (ev) => {
  const target = /** @type {HTMLInputElement} */ (ev.target);
  if (target.dataset.action === 'upload') { void onUpload(ev); return; }
  if (picked(target)) onInput(ev);
});
form.addEventListener('click', onClick);
form.addEventListener('submit', (ev) => { void save(ev); });
$('add-question').addEventListener('click', addQuestion);
$('json-view').addEventListener('toggle', jsonOpened);
$('json-apply').addEventListener('click', jsonApply);
$('discard').addEventListener('click', () => { void discard(); });
if (adminKey()) void start(); else askKey('');

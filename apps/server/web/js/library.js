// The quiz library (`/library`): the admin's quizzes with search and paging, and per quiz
// edit, duplicate, delete (asks first), host, play link and export; import of a CSV, xlsx
// or Open Trivia DB file, opened in the editor for review. Server text is set with
// textContent only.

import { initI18n, t, num, onLangChange } from './i18n.js';
import { $, make } from './common.js';
import { adminKey, setAdminKey, api, errorText, download, shareKeyWithHost } from './admin.js';

const PAGE = 20;
/** A hosted game's phases, each with a message of its own (another shows by its name). */
const PHASES = ['lobby', 'question', 'reveal', 'board', 'paused', 'podium'];
/** Where the library hands an imported definition to the editor (this tab only). */
export const IMPORT_STORE = 'quiz.import';

/** @typedef {import('@contracts').Api<'LibraryEntryOut'>} Entry */

const L = { offset: 0, total: 0, q: '', rows: /** @type {Entry[]} */ ([]), timer: 0, loading: 0 };

function status(kind, text) {
  const box = $('lib-status');
  if (!text) { box.replaceChildren(); return; }
  box.replaceChildren(make('p', 'notice ' + kind, text));
}

// ---------- the admin key ----------
function showKeyForm(message) {
  $('library').hidden = true;
  $('forget-key').hidden = true;
  $('key-form').hidden = false;
  const err = $('key-error');
  err.hidden = !message;
  err.textContent = message || '';
  $('admin-key').focus();
}

function onKeySubmit(ev) {
  ev.preventDefault();
  const key = /** @type {HTMLInputElement} */ ($('admin-key')).value.trim();
  if (!key) { showKeyForm(t('admin.key_empty')); return; }
  setAdminKey(key);
  $('key-form').hidden = true;
  void load(true);
}

// ---------- the list ----------
/** Loads the page at L.offset; `first` moves focus to the search box once it shows. */
async function load(first) {
  const ticket = ++L.loading;
  const qs = new URLSearchParams({ q: L.q, offset: String(L.offset), limit: String(PAGE) });
  let res;
  try {
    res = await api('GET', '/api/library?' + qs);
  } catch (_) {
    status('error', t('admin.offline'));
    return;
  }
  if (ticket !== L.loading) return; // a newer search is on its way
  if (res.status === 401) { setAdminKey(''); showKeyForm(t('admin.error.unauthorized')); return; }
  if (res.status !== 200 || !res.data || !Array.isArray(res.data.quizzes)) {
    status('error', errorText(res));
    return;
  }
  const page = /** @type {import('@contracts').Api<'LibraryOut'>} */ (res.data);
  $('library').hidden = false;
  $('forget-key').hidden = false;
  L.total = Number(page.total) || 0;
  L.rows = page.quizzes;
  if (L.rows.length === 0 && L.offset > 0 && L.total > 0) { // the last page emptied
    L.offset = Math.max(0, L.offset - PAGE);
    void load(false);
    return;
  }
  render();
  if (first) $('search').focus();
}

/** @param {Entry} qz */
function stateText(qz) {
  if (qz.game) return PHASES.includes(qz.game) ? t('lib.phase.' + qz.game) : t('lib.game', { phase: String(qz.game) });
  if (qz.status === 'closed') return t('lib.closed');
  return qz.played ? t('lib.played') : t('lib.not_played');
}

function actionButton(action, label, qz) {
  const b = make('button', 'secondary small-button', label);
  b.type = 'button';
  b.dataset.action = action;
  b.dataset.quiz = qz.id;
  b.setAttribute('aria-label', t('lib.action_on', { action: label, title: String(qz.title || qz.id) }));
  return b;
}

function link(href, label, qz, cls) {
  const a = make('a', cls || 'small-link', label);
  a.href = href;
  a.setAttribute('aria-label', t('lib.action_on', { action: label, title: String(qz.title || qz.id) }));
  return a;
}

/** @param {Entry} qz */
function row(qz) {
  const tr = make('tr');
  tr.dataset.quiz = qz.id;
  const title = make('td', 'qtitle', String(qz.title || ''));
  const id = make('td', 'qid');
  id.append(make('code', '', String(qz.id)));
  const hosted = qz.mode === 'hosted';
  const actions = make('td', 'actions-cell');
  actions.append(
    link('/edit?quiz=' + encodeURIComponent(qz.id), t('lib.edit'), qz, 'button secondary small-button'),
    actionButton('duplicate', t('lib.duplicate'), qz),
    actionButton('export', t('lib.export'), qz),
    actionButton('delete', t('lib.delete'), qz),
    link('/?quiz=' + encodeURIComponent(qz.id), t('lib.play_link'), qz));
  if (hosted) actions.append(actionButton('host', t('lib.host'), qz));
  tr.append(title, id, make('td', '', t(hosted ? 'ed.hosted' : 'ed.self_paced')),
    make('td', 'num', num(Number(qz.questions) || 0)), make('td', 'num', num(Number(qz.players) || 0)),
    make('td', '', stateText(qz)), actions);
  return tr;
}

function render() {
  $('quiz-rows').replaceChildren(...L.rows.map(row));
  const empty = $('lib-empty');
  empty.hidden = L.rows.length > 0;
  empty.textContent = L.q ? t('lib.none_found', { q: L.q }) : t('lib.none');
  $('quiz-table').hidden = L.rows.length === 0;
  const from = L.rows.length ? L.offset + 1 : 0;
  $('page-info').textContent = t('lib.page_info', { from, to: L.offset + L.rows.length, n: L.total });
  /** @type {HTMLButtonElement} */ ($('prev-page')).disabled = L.offset === 0;
  /** @type {HTMLButtonElement} */ ($('next-page')).disabled = L.offset + L.rows.length >= L.total;
}

function onSearch() {
  clearTimeout(L.timer);
  L.timer = window.setTimeout(() => {
    L.q = /** @type {HTMLInputElement} */ ($('search')).value.trim();
    L.offset = 0;
    void load(false);
  }, 250);
}

// ---------- actions ----------
const find = (id) => L.rows.find((r) => r.id === id);

async function duplicate(qz) {
  const res = await api('POST', '/api/quizzes/' + encodeURIComponent(qz.id) + '/duplicate', {});
  if (res.status !== 201 || !res.data) { status('error', errorText(res)); return; }
  status('ok', t('lib.duplicated', { title: String(qz.title || qz.id), id: String(res.data.id || '') }));
  await load(false);
}

async function exportQuiz(qz) {
  const res = await api('GET', '/api/quizzes/' + encodeURIComponent(qz.id) + '/export');
  if (res.status !== 200 || !res.data) { status('error', errorText(res)); return; }
  download(new Blob([JSON.stringify(res.data, null, 2)], { type: 'application/json' }), qz.id + '.json');
  status('ok', t('lib.exported', { file: qz.id + '.json' }));
}

function confirmDelete(qz) {
  const dialog = /** @type {HTMLDialogElement} */ ($('confirm-delete'));
  $('confirm-text').textContent = t('lib.delete_ask', { title: String(qz.title || qz.id) });
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'delete'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    const keep = dialog.querySelector('button[value="cancel"]');
    if (keep instanceof HTMLElement) keep.focus();
  });
}

async function remove(qz, button) {
  if (!(await confirmDelete(qz))) { button.focus(); return; }
  const res = await api('DELETE', '/api/quizzes/' + encodeURIComponent(qz.id));
  if (res.status !== 204 && res.status !== 200) { status('error', errorText(res)); button.focus(); return; }
  status('ok', t('lib.deleted', { title: String(qz.title || qz.id) }));
  await load(false);
  $('search').focus();
}

function host(qz) {
  shareKeyWithHost(qz.id);
  location.assign('/host/' + encodeURIComponent(qz.id));
}

async function onAction(ev) {
  const target = ev.target instanceof Element ? ev.target.closest('button[data-action]') : null;
  if (!(target instanceof HTMLButtonElement)) return;
  const qz = find(target.dataset.quiz);
  if (!qz) return;
  target.disabled = true;
  try {
    const action = target.dataset.action;
    if (action === 'duplicate') await duplicate(qz);
    else if (action === 'export') await exportQuiz(qz);
    else if (action === 'delete') await remove(qz, target);
    else if (action === 'host') host(qz);
  } catch (_) {
    status('error', t('admin.offline'));
  } finally {
    target.disabled = false;
  }
}

// ---------- import ----------
function formatOf(file, chosen) {
  if (chosen) return chosen;
  const ext = (file.name.split('.').pop() || '').toLowerCase();
  return ext === 'xlsx' ? 'xlsx' : ext === 'json' ? 'opentdb' : 'csv';
}

/** @param {import('@contracts').Api<'ImportRowOut'>[]} errors */
function importErrors(errors) {
  const table = make('table', 'import-errors');
  table.id = 'import-errors';
  const cap = make('caption', '', t('imp.errors', { n: errors.length }));
  const head = make('tr');
  for (const k of ['imp.row', 'imp.column', 'imp.problem']) {
    const th = make('th', '', t(k));
    th.scope = 'col';
    head.append(th);
  }
  const thead = make('thead');
  thead.append(head);
  const body = make('tbody');
  for (const e of errors) {
    const tr = make('tr');
    tr.append(make('td', 'num', num(Number(e.row) || 0)), make('td', '', String(e.column || '')),
      make('td', '', String(e.message || '')));
    body.append(tr);
  }
  table.append(cap, thead, body);
  return table;
}

async function onImport(ev) {
  ev.preventDefault();
  const out = $('import-result');
  const input = /** @type {HTMLInputElement} */ ($('import-file'));
  const file = input.files && input.files[0];
  if (!file) { out.replaceChildren(make('p', 'notice error', t('imp.no_file'))); input.focus(); return; }
  const format = formatOf(file, /** @type {HTMLSelectElement} */ ($('import-format')).value);
  const mode = /** @type {HTMLSelectElement} */ ($('import-mode')).value;
  const button = /** @type {HTMLButtonElement} */ ($('import-button'));
  button.disabled = true;
  out.replaceChildren(make('p', 'muted', t('imp.working')));
  try {
    const res = await api('POST', '/api/import?' + new URLSearchParams({ format, mode }), await file.arrayBuffer());
    const imported = /** @type {import('@contracts').Api<'ImportOut'>} */ (res.data);
    if (res.status === 200 && imported && imported.definition) {
      sessionStorage.setItem(IMPORT_STORE, JSON.stringify(imported.definition));
      location.assign('/edit?import=1');
      return;
    }
    const failed = /** @type {import('@contracts').Api<'ImportErrorOut'>} */ (res.data);
    const errors = failed && Array.isArray(failed.errors) ? failed.errors : [];
    out.replaceChildren(make('p', 'notice error', errorText(res)), ...(errors.length ? [importErrors(errors)] : []));
  } catch (_) {
    out.replaceChildren(make('p', 'notice error', t('admin.offline')));
  } finally {
    button.disabled = false;
  }
}

// ---------- start ----------
initI18n();
onLangChange(() => { if (!$('library').hidden) render(); });
$('key-form').addEventListener('submit', onKeySubmit);
$('forget-key').addEventListener('click', () => { setAdminKey(''); showKeyForm(''); });
$('search').addEventListener('input', onSearch);
$('prev-page').addEventListener('click', () => { L.offset = Math.max(0, L.offset - PAGE); void load(false); });
$('next-page').addEventListener('click', () => { L.offset += PAGE; void load(false); });
$('quiz-rows').addEventListener('click', (ev) => { void onAction(ev); });
$('import-form').addEventListener('submit', (ev) => { void onImport(ev); });
if (adminKey()) void load(false); else showKeyForm('');

// The editor's form: the quiz settings (static in edit.html, filled from the model) and one
// card per question, built from the model. Every input names its model path (data-path),
// how to read it (data-kind) and the server's name of the field (data-field), which is
// where a validation error from the server is shown.

import { t } from '../i18n.js';
import { make, LETTERS } from '../common.js';
import { qType, getAt, fieldName, MAX_OPTIONS, MIN_OPTIONS, MAX_ACCEPTED } from './model.js';

const $ = (id) => document.getElementById(id);
const domId = (path) => 'f-' + path.replace(/\./g, '-');

/**
 * An input, select or textarea bound to `path` of the model.
 * @returns {any}
 */
function bound(tag, path, kind, type) {
  const n = /** @type {HTMLInputElement} */ (document.createElement(tag));
  if (type) n.type = type;
  n.id = domId(path);
  n.dataset.path = path;
  n.dataset.kind = kind;
  n.dataset.field = fieldName(path);
  return n;
}

function labelled(labelText, control, cls) {
  const box = make('div', cls || 'field');
  const label = make('label', '', labelText);
  label.htmlFor = control.id;
  box.append(label, control);
  return box;
}

function actionButton(action, text, label, data) {
  const b = make('button', 'secondary small-button', text);
  b.type = 'button';
  b.dataset.action = action;
  for (const [k, v] of Object.entries(data)) b.dataset[k] = String(v);
  if (label) b.setAttribute('aria-label', label);
  return b;
}

/** Fills the static settings inputs from `def`. */
export function fillSettings(def, saved) {
  for (const node of document.querySelectorAll('#editor [data-path]:not(#questions [data-path])')) {
    const input = /** @type {HTMLInputElement} */ (node);
    const v = getAt(def, input.dataset.path || '');
    const kind = input.dataset.kind;
    if (input.type === 'radio') input.checked = v === input.value || (v === undefined && input.value === 'self_paced');
    else if (kind === 'bool') input.checked = v === undefined ? input.dataset.path === 'hosted.end_early' : !!v;
    else if (kind === 'names') input.checked = v === 'generated';
    else if (node instanceof HTMLSelectElement) node.value = v === undefined ? node.options[0].value : String(v);
    else input.value = v === undefined || v === null ? '' : String(v);
  }
  $('hosted-settings').hidden = def.mode !== 'hosted';
  const id = /** @type {HTMLInputElement} */ ($('f-id'));
  id.readOnly = !!saved;
}

function optionsBlock(q, i) {
  const type = qType(q);
  const box = make('fieldset', 'field options-edit');
  box.dataset.field = fieldName(`questions.${i}.options`);
  box.dataset.alias = fieldName(`questions.${i}.correct`);
  box.append(make('legend', '', t(type === 'poll' ? 'ed.options_poll' : type === 'multi' ? 'ed.options_multi' : 'ed.options_single')));
  q.options.forEach((text, j) => {
    const row = make('div', 'option-row');
    const letter = LETTERS[j] || String(j + 1);
    if (type !== 'poll') {
      const mark = bound('input', `questions.${i}.correct.${j}`, type === 'multi' ? 'mark' : 'index', type === 'multi' ? 'checkbox' : 'radio');
      mark.name = `q${i}-correct`;
      mark.value = String(j);
      mark.dataset.q = String(i);
      mark.dataset.path = `questions.${i}.correct`;
      mark.checked = type === 'multi' ? Array.isArray(q.correct) && q.correct.includes(j) : q.correct === j;
      const ml = make('label', 'mark-label', t('ed.is_right'));
      ml.htmlFor = mark.id;
      ml.setAttribute('aria-label', t('ed.is_right_n', { letter }));
      row.append(mark, ml);
    }
    const input = bound('input', `questions.${i}.options.${j}`, 'text', 'text');
    input.value = String(text);
    input.maxLength = 200;
    const label = make('label', 'opt-label', letter);
    label.htmlFor = input.id;
    label.setAttribute('aria-label', t('ed.option_n', { letter }));
    const rm = actionButton('remove-option', '✕', t('ed.remove_option', { letter }), { q: i, opt: j });
    rm.disabled = q.options.length <= MIN_OPTIONS;
    row.append(label, input, rm);
    box.append(row);
  });
  const add = actionButton('add-option', t('ed.add_option'), '', { q: i });
  add.disabled = q.options.length >= MAX_OPTIONS;
  box.append(add);
  return box;
}

function trueFalseBlock(q, i) {
  const box = make('fieldset', 'field');
  box.dataset.field = fieldName(`questions.${i}.correct`);
  box.append(make('legend', '', t('ed.right_answer')));
  for (const value of [true, false]) {
    const r = bound('input', `questions.${i}.correct.${value}`, 'tf', 'radio');
    r.dataset.path = `questions.${i}.correct`;
    r.name = `q${i}-tf`;
    r.value = String(value);
    r.checked = q.correct === value;
    box.append(labelled(t(value ? 'tf.true' : 'tf.false'), r, 'choice'));
    box.lastElementChild?.prepend(r);
  }
  return box;
}

function acceptedBlock(q, i) {
  const box = make('fieldset', 'field options-edit');
  box.dataset.field = fieldName(`questions.${i}.accepted`);
  box.append(make('legend', '', t('ed.accepted')));
  q.accepted.forEach((text, j) => {
    const row = make('div', 'option-row');
    const input = bound('input', `questions.${i}.accepted.${j}`, 'text', 'text');
    input.value = String(text);
    input.maxLength = 64;
    const label = make('label', 'opt-label', String(j + 1));
    label.htmlFor = input.id;
    label.setAttribute('aria-label', t('ed.accepted_n', { n: j + 1 }));
    const rm = actionButton('remove-accepted', '✕', t('ed.remove_accepted', { n: j + 1 }), { q: i, opt: j });
    rm.disabled = q.accepted.length <= 1;
    row.append(label, input, rm);
    box.append(row);
  });
  const add = actionButton('add-accepted', t('ed.add_accepted'), '', { q: i });
  add.disabled = q.accepted.length >= MAX_ACCEPTED;
  const accents = bound('input', `questions.${i}.ignore_accents`, 'bool', 'checkbox');
  accents.checked = q.ignore_accents === true;
  const choice = labelled(t('ed.ignore_accents'), accents, 'choice');
  choice.prepend(accents);
  box.append(add, choice);
  return box;
}

function imageBlock(q, i) {
  const box = make('div', 'field image-edit');
  box.dataset.field = fieldName(`questions.${i}.image`);
  if (typeof q.image === 'string' && /^[0-9a-f]{64}$/.test(q.image)) {
    const img = make('img', 'image-preview');
    img.src = '/media/' + q.image;
    img.alt = t('ed.image_alt', { n: i + 1 });
    box.append(img, actionButton('remove-image', t('ed.remove_image'), t('ed.remove_image_n', { n: i + 1 }), { q: i }));
  }
  const file = /** @type {HTMLInputElement} */ (document.createElement('input'));
  file.type = 'file';
  file.id = `f-questions-${i}-image`;
  file.accept = 'image/png,image/jpeg,image/gif,image/webp';
  file.dataset.action = 'upload';
  file.dataset.q = String(i);
  file.dataset.field = fieldName(`questions.${i}.image`);
  const label = make('label', '', t(q.image ? 'ed.image_replace' : 'ed.image'));
  label.htmlFor = file.id;
  const help = make('p', 'muted small', t('ed.image_help'));
  help.id = file.id + '-help';
  file.setAttribute('aria-describedby', help.id);
  box.append(label, file, help);
  return box;
}

/** One question's card. */
function card(q, i, count) {
  const type = qType(q);
  const li = make('li', 'card q-card');
  li.dataset.q = String(i);
  const head = make('h3', 'q-head', t('ed.question_n', { n: i + 1 }));
  head.id = `q${i}-heading`;
  li.setAttribute('aria-labelledby', head.id);
  const typeSel = bound('select', `questions.${i}.type`, 'type');
  for (const ty of ['single', 'multi', 'true_false', 'poll', 'type_answer']) {
    const o = make('option', '', t('ed.type.' + ty));
    o.value = ty;
    typeSel.append(o);
  }
  typeSel.value = type;
  const prompt = bound('textarea', `questions.${i}.prompt`, 'text');
  prompt.value = String(q.prompt || '');
  prompt.rows = 2;
  li.append(head, labelled(t('ed.type'), typeSel), labelled(t('ed.prompt'), prompt));
  if (type === 'true_false') li.append(trueFalseBlock(q, i));
  else if (type === 'type_answer') li.append(acceptedBlock(q, i));
  else li.append(optionsBlock(q, i));
  const nums = make('div', 'inline-fields');
  const limit = bound('input', `questions.${i}.time_limit_ms`, 'secs', 'number');
  limit.min = '1';
  limit.max = '600';
  limit.inputMode = 'numeric';
  limit.value = Number.isFinite(q.time_limit_ms) ? String(q.time_limit_ms / 1000) : String(q.time_limit_ms ?? '');
  nums.append(labelled(t('ed.time_limit'), limit));
  if (type !== 'poll') {
    const points = bound('input', `questions.${i}.points`, 'int', 'number');
    points.min = '1';
    points.max = '10000';
    points.inputMode = 'numeric';
    points.value = q.points === undefined ? '' : String(q.points);
    nums.append(labelled(t('ed.points'), points));
  }
  const expl = bound('textarea', `questions.${i}.explanation`, 'opt-text');
  expl.value = String(q.explanation || '');
  expl.rows = 2;
  li.append(nums, labelled(t('ed.explanation'), expl), imageBlock(q, i));
  const acts = make('div', 'q-actions');
  const up = actionButton('move-up', t('ed.move_up'), t('ed.move_up_n', { n: i + 1 }), { q: i });
  up.disabled = i === 0;
  const down = actionButton('move-down', t('ed.move_down'), t('ed.move_down_n', { n: i + 1 }), { q: i });
  down.disabled = i === count - 1;
  const rm = actionButton('remove-question', t('ed.remove_question'), t('ed.remove_question_n', { n: i + 1 }), { q: i });
  rm.classList.add('danger');
  acts.append(up, down, rm);
  li.append(acts);
  return li;
}

/** Draws every question card of `def`. */
export function renderQuestions(def) {
  const list = $('questions');
  list.replaceChildren(...def.questions.map((q, i) => card(q, i, def.questions.length)));
}

/** Focuses the control `action` of question `q`, or its other move button when disabled. */
export function focusAction(action, q) {
  const sel = (a) => `#questions [data-action="${a}"][data-q="${q}"]`;
  let b = /** @type {HTMLButtonElement|null} */ (document.querySelector(sel(action)));
  if (b && b.disabled) {
    const other = action === 'move-up' ? 'move-down' : 'move-up';
    b = /** @type {HTMLButtonElement|null} */ (document.querySelector(sel(other)));
  }
  if (b && !b.disabled) b.focus();
  else document.getElementById(domId(`questions.${q}.prompt`))?.focus();
}

export { domId };

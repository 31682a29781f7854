// The answer controls of the player page, by question type. Built once per question (so
// keyboard focus and a half-typed answer survive the re-renders), then updated in place by
// updateAnswerUI: the choice, the right answers at a hosted reveal, and whether answering is
// possible now. Option tiles carry a colour, a shape and a letter (the same as on the
// projector), so colour is never the only cue.

import { t } from '../i18n.js';
import { make, setText, qType, optionText, pickedIndexes, outcomeOf, rightIndexes, tileBadge } from '../common.js';
import { S, el, TEXT_MAX, hub, isHosted, isPending } from './state.js';

const TYPE_HINTS = {
  multi: 'hint.multi',
  poll: 'hint.poll',
  type_answer: 'hint.type_answer',
};

/** The line under the question ("Correct! +900 points"), kept as a message so it follows the language. */
export function setResult(key, params, kind) {
  S.result = key ? { key, params, kind } : null;
  showResult();
}

export function showResult() {
  const r = S.result;
  el.result.textContent = r ? t(r.key, r.params) : '';
  el.result.className = 'result' + (r && r.kind ? ' ' + r.kind : '');
}

export function pointsLabel(q) {
  return qType(q) === 'poll' ? t('q.poll_points') : t('q.points', { n: q.points | 0 });
}

export function answerUIKey(q, big) {
  const options = Array.isArray(q.options) ? q.options : [];
  return q.id + '|' + qType(q) + '|' + (big ? 'big' : '') + '|' + JSON.stringify(options);
}

export function buildAnswerUI(q, big) {
  const type = qType(q);
  const options = Array.isArray(q.options) ? q.options : [];
  const hadFocus = el.options.contains(document.activeElement);
  el.options.dataset.key = answerUIKey(q, big);
  el.options.className = 'options type-' + type;
  el.qHint.dataset.key = TYPE_HINTS[type] || '';
  setText(el.qHint, TYPE_HINTS[type] ? t(TYPE_HINTS[type]) : '');
  let first = null;
  if (type === 'type_answer') {
    const form = make('form', 'text-answer');
    form.noValidate = true;
    form.setAttribute('autocomplete', 'off');
    const input = make('input', 'answer-text' + (big ? ' big' : ''));
    input.type = 'text';
    input.id = 'answer-text';
    input.maxLength = q.max_length > 0 ? q.max_length : TEXT_MAX;
    input.autocomplete = 'off';
    input.spellcheck = false;
    input.setAttribute('autocapitalize', 'off');
    input.setAttribute('enterkeyhint', 'send');
    input.setAttribute('aria-labelledby', 'prompt');
    input.dataset.i18nAttr = 'placeholder:answer.placeholder';
    input.placeholder = t('answer.placeholder');
    input.addEventListener('input', () => { setNote(null, ''); updateSubmit(q); });
    const submit = make('button', 'primary submit-answer', t('answer.submit'));
    submit.type = 'submit';
    submit.dataset.i18n = 'answer.submit';
    // Enter in the field submits the form.
    form.addEventListener('submit', (ev) => { ev.preventDefault(); submitText(q); });
    form.append(input, submit);
    el.options.replaceChildren(form);
    first = input;
  } else {
    const multi = type === 'multi';
    const buttons = options.map((text, i) => {
      const b = make('button', 'option tile tile-' + (i % 6) + (big ? ' big' : '') + (multi ? ' toggle' : ''));
      b.type = 'button';
      b.dataset.index = String(i);
      b.append(tileBadge(i), make('span', 'tile-text', optionText(q, i, text)));
      if (multi) {
        b.setAttribute('aria-pressed', 'false');
        b.addEventListener('click', () => togglePick(q, i));
      } else {
        b.addEventListener('click', () => hub.answer(q.id, { option: i }));
      }
      return b;
    });
    const nodes = buttons.slice();
    if (multi) {
      const submit = make('button', 'primary submit-answer sticky-submit', t('answer.submit'));
      submit.type = 'button';
      submit.dataset.i18n = 'answer.submit';
      submit.addEventListener('click', () => submitPicks(q));
      nodes.push(submit);
    }
    el.options.replaceChildren(...nodes);
    first = buttons[0] || null;
  }
  if (hadFocus && first) first.focus();
}

/**
 * Marks the controls of question `q`: `chosen` is the answer given (or on its way), null
 * when none; `reveal` the hosted reveal, null before it.
 */
export function updateAnswerUI(q, st) {
  S.ui = { q, canAnswer: !!st.canAnswer, chosen: st.chosen || null, reveal: st.reveal || null };
  const type = qType(q);
  const r = S.ui.reveal;
  const picked = S.ui.chosen ? pickedIndexes(S.ui.chosen)
    : type === 'multi' && !r ? Array.from(S.picks.get(q.id) || []) : [];
  const right = r && type !== 'poll' ? rightIndexes(r) : [];
  el.qHint.hidden = !el.qHint.textContent || !!r;
  for (const b of el.options.querySelectorAll('button.option')) {
    const i = Number(b.dataset.index);
    const on = picked.includes(i);
    b.classList.toggle('chosen', on);
    b.classList.toggle('correct', right.includes(i));
    b.classList.toggle('wrong', !!r && type !== 'poll' && on && !right.includes(i));
    b.classList.toggle('dim', !!r && type !== 'poll' && !right.includes(i));
    if (type === 'multi') b.setAttribute('aria-pressed', on ? 'true' : 'false');
    if (S.ui.canAnswer) b.removeAttribute('aria-disabled');
    else b.setAttribute('aria-disabled', 'true');
  }
  const input = el.options.querySelector('input.answer-text');
  if (input) {
    input.readOnly = !S.ui.canAnswer;
    const given = S.ui.chosen && typeof S.ui.chosen.text === 'string' ? S.ui.chosen.text : null;
    if (given !== null && input.value !== given) input.value = given;
    const you = r && r.you && r.you.answered ? outcomeOf(r.you) : '';
    input.classList.toggle('correct', you === 'correct');
    input.classList.toggle('wrong', you === 'wrong');
  }
  updateSubmit(q);
}

/** The Submit button of a multi or typed answer: usable once there is something to send. */
export function updateSubmit(q) {
  const submit = el.options.querySelector('.submit-answer');
  if (!submit) return;
  const st = S.ui;
  const mine = !!st && st.q.id === q.id;
  let ready = mine && st.canAnswer;
  if (ready && qType(q) === 'multi') ready = (S.picks.get(q.id) || new Set()).size > 0;
  if (ready && qType(q) === 'type_answer') {
    const input = el.options.querySelector('input.answer-text');
    ready = !!input && input.value.trim() !== '';
  }
  if (ready) submit.removeAttribute('aria-disabled');
  else submit.setAttribute('aria-disabled', 'true');
  submit.hidden = mine && (!!st.reveal || !!st.chosen);
}

/** A short note under the controls ("Type an answer first"), for question `qid`. */
export function setNote(qid, key, params) {
  S.note = qid && key ? { question: qid, key, params } : null;
  if (!isHosted()) {
    setText(el.qStatus, S.note ? t(key, params) : '');
    el.qStatus.className = 'q-status note';
  }
}

function canAnswerNow(q) {
  const st = S.ui;
  return !!st && st.q.id === q.id && st.canAnswer && !S.answered.has(q.id) && !isPending(q.id);
}

function togglePick(q, i) {
  if (!canAnswerNow(q)) return;
  let set = S.picks.get(q.id);
  if (!set) { set = new Set(); S.picks.set(q.id, set); }
  if (set.has(i)) set.delete(i);
  else set.add(i);
  setNote(null, '');
  updateAnswerUI(q, S.ui);
  if (isHosted()) hub.renderHosted();
}

function submitPicks(q) {
  if (!canAnswerNow(q)) return;
  const set = S.picks.get(q.id);
  if (!set || set.size === 0) {
    setNote(q.id, 'note.pick_first');
    if (isHosted()) hub.renderHosted();
    return;
  }
  setNote(null, '');
  hub.answer(q.id, { options: Array.from(set).sort((a, b) => a - b) });
}

function submitText(q) {
  if (!canAnswerNow(q)) return;
  const input = el.options.querySelector('input.answer-text');
  const text = input ? input.value : '';
  const max = q.max_length > 0 ? q.max_length : TEXT_MAX;
  let note = null;
  if (text.trim() === '') note = ['note.type_first', {}];
  else if (Array.from(text).length > max) note = ['note.too_long', { n: max }];
  if (note) {
    setNote(q.id, note[0], note[1]);
    if (isHosted()) hub.renderHosted();
    if (input) input.focus();
    return;
  }
  setNote(null, '');
  hub.answer(q.id, { text });
}

/** Re-labels the controls of the question on screen after a change of language. */
export function relabelAnswerUI(q) {
  if (!q) return;
  if (el.qHint.dataset.key) setText(el.qHint, t(el.qHint.dataset.key));
  for (const b of el.options.querySelectorAll('button.option')) {
    const i = Number(b.dataset.index);
    const span = b.querySelector('.tile-text');
    if (span && qType(q) === 'true_false') setText(span, optionText(q, i, ''));
  }
  const input = el.options.querySelector('input.answer-text');
  if (input) input.placeholder = t('answer.placeholder');
  if (S.note && !isHosted()) setText(el.qStatus, t(S.note.key, S.note.params));
}

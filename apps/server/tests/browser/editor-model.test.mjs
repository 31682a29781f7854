// The quiz editor's model (apps/server/web/js/editor/model.js) in Node, without a browser:
// changing a question's type keeps what carries over, removing an option renumbers the
// marked ones, paths map to the server's field names, and what is saved drops only the
// empty optional parts.
//
//   node --test editor-model.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  newQuiz, newQuestion, retype, removeOption, fieldName, forSaving, getAt, setAt, wholeNumber, freshId,
} from '../../web/js/editor/model.js';

test('a new quiz has one single-answer question with what the server asks for', () => {
  const def = newQuiz();
  assert.deepEqual(def.questions, [{ id: 'q1', type: 'single', prompt: '', time_limit_ms: 20_000, options: ['', ''], correct: 0, points: 1000 }]);
});

test('retyping keeps the options and the marks that carry over', () => {
  const q = { id: 'q1', type: 'multi', prompt: 'P', time_limit_ms: 5000, options: ['a', 'b', 'c'], correct: [2, 0], points: 700, explanation: 'E', image: 'f'.repeat(64) };
  retype(q, 'single');
  assert.equal(q.correct, 2);
  assert.deepEqual(q.options, ['a', 'b', 'c']);
  assert.equal(q.points, 700);
  retype(q, 'poll');
  assert.equal(q.correct, undefined);
  assert.equal(q.points, undefined);
  retype(q, 'type_answer');
  assert.equal(q.options, undefined);
  assert.deepEqual(q.accepted, ['']);
  assert.equal(q.points, 1000);
  retype(q, 'true_false');
  assert.equal(q.correct, true);
  assert.equal(q.accepted, undefined);
  assert.deepEqual([q.prompt, q.explanation, q.image, q.time_limit_ms], ['P', 'E', 'f'.repeat(64), 5000]);
  retype(q, 'multi');
  assert.deepEqual(q.options, ['', '']);
  assert.deepEqual(q.correct, [0]);
});

test('removing an option renumbers the marked ones', () => {
  const multi = { type: 'multi', options: ['a', 'b', 'c', 'd'], correct: [1, 3] };
  removeOption(multi, 1);
  assert.deepEqual([multi.options, multi.correct], [['a', 'c', 'd'], [2]]);
  removeOption(multi, 2);
  assert.deepEqual(multi.correct, [0], 'never no right option');
  const single = { type: 'single', options: ['a', 'b', 'c'], correct: 2 };
  removeOption(single, 0);
  assert.equal(single.correct, 1);
  removeOption(single, 1);
  assert.equal(single.correct, 0);
});

test('paths, field names and numbers', () => {
  assert.equal(fieldName('questions.2.options.1'), 'questions[2].options[1]');
  assert.equal(fieldName('hosted.reveal_secs'), 'hosted.reveal_secs');
  const def = { questions: [{ options: ['x', 'y'] }] };
  setAt(def, 'hosted.board_secs', 5);
  assert.equal(getAt(def, 'hosted.board_secs'), 5);
  setAt(def, 'questions.0.options.1', undefined);
  assert.deepEqual(def.questions[0].options, ['x', ''], 'an option emptied stays in its place');
  assert.equal(wholeNumber(' 12 '), 12);
  assert.equal(wholeNumber(''), undefined);
  assert.equal(wholeNumber('1.5'), '1.5', 'left for the server to name');
  assert.equal(freshId([{ id: 'q2' }, { id: 'q1' }]), 'q3');
  assert.equal(newQuestion('poll', [{ id: 'q1' }]).id, 'q2');
});

test('what is saved drops an empty id and explanation, and the hosted options of a self-paced quiz', () => {
  const def = { id: '', title: 'T', mode: 'self_paced', hosted: { end_early: true }, questions: [{ id: 'q1', explanation: '  ' }] };
  assert.deepEqual(forSaving(def), { title: 'T', mode: 'self_paced', questions: [{ id: 'q1' }] });
  assert.equal(def.id, '', 'the model itself is not changed');
});

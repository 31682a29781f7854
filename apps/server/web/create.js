// The quiz-creation page: POST /api/quizzes with the admin key and the pasted JSON.
// Server text is shown with textContent only.
(function () {
  'use strict';

  const EXAMPLE = {
    title: 'World capitals',
    scoring: { kind: 'speed_weighted', streak_step: 50, streak_cap: 200 },
    questions: [
      { id: 'q1', prompt: 'What is the capital of France?', options: ['Berlin', 'Paris', 'Madrid', 'Rome'], correct: 1, points: 1000, time_limit_ms: 20000 },
      { id: 'q2', prompt: 'What is the capital of Japan?', options: ['Tokyo', 'Kyoto', 'Osaka', 'Seoul'], correct: 0, points: 1000, time_limit_ms: 20000 },
      { id: 'q3', prompt: 'What is the capital of Canada?', options: ['Toronto', 'Vancouver', 'Ottawa', 'Montreal'], correct: 2, points: 1000, time_limit_ms: 20000 },
    ],
  };
  const ERRORS = {
    unauthorized: 'Wrong or missing admin key.',
    quiz_exists: 'A quiz with that id already exists. Choose another "id" (or leave it out).',
  };

  const form = document.getElementById('create-form');
  const key = document.getElementById('admin-key');
  const text = document.getElementById('quiz-json');
  const button = document.getElementById('create');
  const out = document.getElementById('create-result');

  function resetExample() { text.value = JSON.stringify(EXAMPLE, null, 2); }

  function show(kind, parts) {
    const p = document.createElement('p');
    p.className = 'notice ' + kind;
    for (const part of parts) p.append(part);
    out.replaceChildren(p);
  }

  async function create(ev) {
    ev.preventDefault();
    if (!key.value) {
      show('error', ['Please enter the admin key.']);
      key.focus();
      return;
    }
    let body;
    try {
      body = JSON.parse(text.value);
    } catch (e) {
      show('error', ['The quiz definition is not valid JSON: ' + e.message]);
      text.focus();
      return;
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      show('error', ['The quiz definition must be a JSON object.']);
      text.focus();
      return;
    }
    button.disabled = true;
    button.textContent = 'Creating…';
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
        show('ok', ['Created quiz ', id, ' (' + count + ' question' + (count === 1 ? '' : 's') + '). Players join at ', link, '.']);
      } else {
        const code = data && data.code;
        const where = data && typeof data.field === 'string' && data.field ? data.field + ': ' : '';
        const msg = (code && ERRORS[code]) || (data && data.message ? where + data.message : '') || ('HTTP ' + res.status);
        show('error', ['Could not create the quiz: ' + msg + (code ? ' (' + code + ')' : '')]);
      }
    } catch (_) {
      show('error', ['Could not reach the server.']);
    } finally {
      button.disabled = false;
      button.textContent = 'Create';
    }
  }

  resetExample();
  form.addEventListener('submit', create);
  document.getElementById('reset-example').addEventListener('click', resetExample);
})();

// The editor's model: the quiz definition itself (as POST /api/quizzes takes it), changed
// in place by the form, so fields the form does not show (from the JSON view or an import)
// are kept. Paths name a value in it: "questions.2.options.1". Drafts are kept in
// localStorage, one per quiz ("quiz.draft.<id>", "quiz.draft.new" for an unsaved one).

export const TYPES = ['single', 'multi', 'true_false', 'poll', 'type_answer'];
export const MAX_OPTIONS = 6;
export const MIN_OPTIONS = 2;
export const MAX_ACCEPTED = 20;

/** @typedef {Record<string, any>} Obj */

export const isObject = (v) => !!v && typeof v === 'object' && !Array.isArray(v);

export function qType(q) {
  return isObject(q) && TYPES.includes(q.type) ? q.type : 'single';
}

/** A question id not used in `questions` ("q1", "q2", …). */
export function freshId(questions) {
  const used = new Set(questions.map((q) => (isObject(q) ? String(q.id) : '')));
  let n = questions.length + 1;
  while (used.has('q' + n)) n += 1;
  return 'q' + n;
}

/** A new question of `type` with what its type needs (text left for the author). */
export function newQuestion(type, questions) {
  /** @type {Obj} */
  const q = { id: freshId(questions), type, prompt: '', time_limit_ms: 20_000 };
  return retype(q, type);
}

/** Changes `q` to `type` in place, keeping what carries over (options, points, the marks). */
export function retype(q, type) {
  const before = qType(q);
  q.type = type;
  const hasOptions = type === 'single' || type === 'multi' || type === 'poll';
  if (hasOptions) {
    if (!Array.isArray(q.options) || q.options.length < MIN_OPTIONS) {
      q.options = Array.isArray(q.options) ? q.options.concat(['', '']).slice(0, Math.max(MIN_OPTIONS, q.options.length)) : ['', ''];
    }
  } else {
    delete q.options;
  }
  const marked = before === 'multi' && Array.isArray(q.correct) ? q.correct
    : Number.isInteger(q.correct) ? [q.correct] : [];
  if (type === 'single') q.correct = marked.length ? marked[0] : 0;
  else if (type === 'multi') q.correct = marked.length ? marked.slice() : [0];
  else if (type === 'true_false') q.correct = typeof q.correct === 'boolean' ? q.correct : true;
  else delete q.correct;
  if (type === 'poll') delete q.points;
  else if (!Number.isInteger(q.points)) q.points = 1000;
  if (type === 'type_answer') {
    if (!Array.isArray(q.accepted) || q.accepted.length === 0) q.accepted = [''];
  } else {
    delete q.accepted;
    delete q.ignore_accents;
  }
  return q;
}

/** Removes option `i` of `q`, renumbering the marked ones. */
export function removeOption(q, i) {
  q.options.splice(i, 1);
  if (Array.isArray(q.correct)) {
    const kept = q.correct.filter((c) => c !== i).map((c) => (c > i ? c - 1 : c));
    q.correct = kept.length ? kept : [0];
  } else if (Number.isInteger(q.correct)) {
    if (q.correct === i) q.correct = 0;
    else if (q.correct > i) q.correct -= 1;
  }
}

/** A new, empty quiz: one question of each kind is added by the author. */
export function newQuiz() {
  /** @type {Obj} */
  const def = { title: '', mode: 'self_paced', scoring: { kind: 'speed_weighted' }, questions: [] };
  def.questions.push(newQuestion('single', def.questions));
  return def;
}

/** Makes `def` (from the server, a draft, JSON or an import) safe for the form. */
export function normalise(def) {
  if (!isObject(def.scoring)) def.scoring = { kind: 'speed_weighted' };
  if (!Array.isArray(def.questions)) def.questions = [];
  def.questions = def.questions.filter(isObject);
  if (def.mode === 'hosted' && !isObject(def.hosted)) def.hosted = { end_early: true };
  return def;
}

/** The value at `path` ("questions.2.points") of `obj`, or undefined. */
export function getAt(obj, path) {
  let v = obj;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[part];
  }
  return v;
}

/** Sets (or, for undefined, deletes) the value at `path`, making objects on the way. */
export function setAt(obj, path, value) {
  const parts = path.split('.');
  let v = obj;
  for (const part of parts.slice(0, -1)) {
    if (v[part] === null || typeof v[part] !== 'object') v[part] = {};
    v = v[part];
  }
  const last = parts[parts.length - 1];
  if (value === undefined) {
    if (Array.isArray(v)) v[Number(last)] = ''; else delete v[last];
  } else {
    v[last] = value;
  }
}

/** The server's name of `path`: "questions.2.options.1" → "questions[2].options[1]". */
export function fieldName(path) {
  return path.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

/**
 * A number typed in a field: undefined when empty, the number when it is a whole one, else
 * the text as typed (the server then names the field and its rule).
 */
export function wholeNumber(text) {
  const v = String(text).trim();
  if (!v) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : v;
}

/** The definition to send: a copy without the empty optional parts. */
export function forSaving(def) {
  const out = JSON.parse(JSON.stringify(def));
  if (out.id === '' || out.id === undefined) delete out.id;
  if (out.mode !== 'hosted') delete out.hosted;
  for (const q of out.questions || []) {
    if (isObject(q) && typeof q.explanation === 'string' && !q.explanation.trim()) delete q.explanation;
  }
  return out;
}

// ---------- drafts ----------
const draftKey = (quiz) => 'quiz.draft.' + (quiz || 'new');

/** The draft of `quiz` (null: a new quiz): `{def, at}` or null. */
export function loadDraft(quiz) {
  try {
    const raw = localStorage.getItem(draftKey(quiz));
    const d = raw ? JSON.parse(raw) : null;
    return d && isObject(d.def) ? d : null;
  } catch (_) { return null; }
}

export function saveDraft(quiz, def) {
  try { localStorage.setItem(draftKey(quiz), JSON.stringify({ def, at: Date.now() })); } catch (_) { /* full or off */ }
}

export function dropDraft(quiz) {
  try { localStorage.removeItem(draftKey(quiz)); } catch (_) { /* ignore */ }
}

// Issue 23's done-means, as a teacher, in headless Chromium against the real server binary:
// the library (admin key typed once), a hosted quiz with every question type and an image
// made entirely in the editor (no JSON typed), keyboard reordering, a validation error shown
// at its field, save, reload, a draft that survives a reload, an edited question saved in
// place, duplicate, export, delete (asked first), a CSV and an .xlsx file imported and
// reviewed in the editor, the quiz hosted with two players (the image loaded on the
// projector and both phones, in the reveal too), the results downloaded, and a played quiz
// edited into a new version. axe-core on the library and the editor (counts printed; fails
// on serious or critical); any page error or CSP violation fails the run. Screenshots:
// library.png, editor.png (the whole form), editor-question-image.png, host-question-image.png,
// phone-question-image.png.
//
//   cd apps/server/tests/browser && npm ci
//   QUIZ_SERVER_BIN=/path/to/target/debug/quiz-server node --test teacher.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join as joinPath, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage, shutDown, startServerAndBrowser, waitCount, waitText } from './harness.mjs';
import { stripesPng } from './png.mjs';

const ADMIN_KEY = 'test-admin-key-teacher';
const STEP_TIMEOUT = 10_000;
const TEST_TIMEOUT = 90_000;
const HERE = fileURLToPath(new URL('.', import.meta.url));
const SHOTS = resolve(process.env.QUIZ_SCREENSHOT_DIR || joinPath(HERE, 'screenshots'));
const WEB_DIR = process.env.QUIZ_TEST_WEB_DIR ? resolve(process.env.QUIZ_TEST_WEB_DIR) : null;
const FIXTURES = resolve(HERE, '../fixtures/import');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const QUIZ = 'teacher-e2e';
const PROMPTS = ['Which colours are in the picture?', 'Which of these are prime numbers?',
  'The Sun is a planet.', 'Which subject next week?', 'What is the capital of Italy?'];

const run = { browser: null, base: '', contexts: [], pageErrors: [], webDir: WEB_DIR };
let server = null;
let tmp = null;
let teacher = null; // the teacher's laptop (1280×800): library, editor, host console
const reached = new Set();

const newPage = (size) => openPage(run, { ...size, timeout: STEP_TIMEOUT });

async function shot(page, name, fullPage = false) {
  mkdirSync(SHOTS, { recursive: true });
  const path = joinPath(SHOTS, name);
  await page.screenshot({ path, fullPage });
  return path;
}

/** Runs axe-core on `page`; fails on any serious or critical violation; prints the counts. */
async function axe(t, page, label) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, where: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const count = (impact) => violations.filter((v) => v.impact === impact).reduce((n, v) => n + v.nodes, 0);
  const ids = violations.map((v) => `${v.id} (${v.impact})`).join(', ');
  t.diagnostic(`axe ${label}: critical ${count('critical')}, serious ${count('serious')}, moderate ${count('moderate')}, minor ${count('minor')}${ids ? ': ' + ids : ''}`);
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${label}: serious or critical axe violations`);
}

/** Waits until the image `sel` on `page` has loaded its pixels (naturalWidth > 0). */
async function imageLoaded(page, sel) {
  await page.waitForFunction((s) => {
    const img = document.querySelector(s);
    return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0 && img.offsetParent !== null;
  }, sel, { timeout: STEP_TIMEOUT }).catch(async (e) => {
    const info = await page.evaluate((s) => {
      const img = document.querySelector(s);
      return img ? { src: img.getAttribute('src'), complete: img.complete, w: img.naturalWidth, shown: img.offsetParent !== null } : null;
    }, sel);
    throw new Error(`${sel} did not load: ${JSON.stringify(info)} (${e.message.split('\n')[0]})`);
  });
  return page.evaluate((s) => document.querySelector(s).naturalWidth, sel);
}

/** The public definition of quiz `id` (GET /api/quizzes/{id}, no answer key). */
async function publicQuiz(id) {
  const res = await fetch(`${run.base}/api/quizzes/${id}`);
  assert.equal(res.status, 200, `GET /api/quizzes/${id}`);
  return res.json();
}

/** The import fixture `name` (from s3-bugs' import tests), or null when it is not there. */
function fixture(name) {
  const path = joinPath(FIXTURES, name);
  return existsSync(path) ? path : null;
}

const q = (i, rest) => `#f-questions-${i}-${rest}`;
const activeData = (page) => page.evaluate(() => ({ ...document.activeElement.dataset }));

before(async () => {
  ({ server, base: run.base, browser: run.browser, tmp } = await startServerAndBrowser({
    testFile: 'teacher.test.mjs', adminKey: ADMIN_KEY, tmpPrefix: 'quiz-teacher-', webDir: WEB_DIR,
  }));
  teacher = await newPage({ width: 1280, height: 800 });
});

after(async () => {
  await shutDown({ contexts: run.contexts, browser: run.browser, server, tmp });
});

test('the library asks for the admin key once and links to the editor', { timeout: TEST_TIMEOUT }, async () => {
  await teacher.goto(`${run.base}/`);
  await teacher.click('a[href="/library"]');
  await teacher.locator('#key-form').waitFor({ state: 'visible' });
  await teacher.fill('#admin-key', 'wrong-key-123');
  await teacher.press('#admin-key', 'Enter');
  await waitText(teacher, '#key-error', 'Wrong or missing admin key.');
  await teacher.fill('#admin-key', ADMIN_KEY);
  await teacher.press('#admin-key', 'Enter');
  await teacher.locator('#library').waitFor({ state: 'visible' });
  // Kept for the tab: a reload does not ask again.
  await teacher.reload();
  await teacher.locator('#library').waitFor({ state: 'visible' });
  assert.equal(await teacher.locator('#key-form').isHidden(), true);
  reached.add('library');
});

test('a hosted quiz with every type and an image, made in the editor', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(reached.has('library'));
  await teacher.click('#new-quiz');
  await teacher.waitForURL(/\/edit$/);
  await teacher.fill('#f-title', 'Teacher <b>e2e</b>');
  await teacher.fill('#f-id', QUIZ);
  await teacher.check('#f-mode-hosted');
  await teacher.locator('#hosted-settings').waitFor({ state: 'visible' });

  // 1: single, three options (one added), the second right, with an image.
  await teacher.fill(q(0, 'prompt'), PROMPTS[0]);
  await teacher.fill(q(0, 'options-0'), 'Red and black');
  await teacher.fill(q(0, 'options-1'), 'Blue, orange and green');
  await teacher.click('[data-action="add-option"][data-q="0"]');
  await teacher.fill(q(0, 'options-2'), 'Purple');
  await teacher.check(q(0, 'correct-1'));
  // A file named .png that is not an image is refused by its bytes, the reason at the field.
  await teacher.setInputFiles(q(0, 'image'), { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('MZ\x90\x00 not an image') });
  await teacher.locator(`${q(0, 'image')}[aria-invalid="true"]`).waitFor();
  assert.equal(await teacher.textContent('.q-card[data-q="0"] .image-edit .field-error'), 'That file is not a PNG, JPEG, GIF or WebP image.');
  await teacher.setInputFiles(q(0, 'image'), { name: 'stripes.png', mimeType: 'image/png', buffer: stripesPng(320, 180) });
  assert.equal(await imageLoaded(teacher, '.q-card[data-q="0"] .image-preview'), 320);

  // 2: multi, four options, the first and third right.
  await teacher.selectOption('#new-type', 'multi');
  await teacher.click('#add-question');
  assert.equal((await activeData(teacher)).path, 'questions.1.prompt', 'focus goes to the new prompt');
  await teacher.keyboard.type(PROMPTS[1]);
  for (const [j, text] of ['2', '4', '7', '9'].entries()) {
    if (j >= 2) await teacher.click('[data-action="add-option"][data-q="1"]');
    await teacher.fill(q(1, `options-${j}`), text);
  }
  await teacher.check(q(1, 'correct-2'));
  // 3: true/false, false is right.
  await teacher.selectOption('#new-type', 'true_false');
  await teacher.click('#add-question');
  await teacher.fill(q(2, 'prompt'), PROMPTS[2]);
  await teacher.check(q(2, 'correct-false'));
  // 4: poll.
  await teacher.selectOption('#new-type', 'poll');
  await teacher.click('#add-question');
  await teacher.fill(q(3, 'prompt'), PROMPTS[3]);
  await teacher.fill(q(3, 'options-0'), 'Maths');
  await teacher.fill(q(3, 'options-1'), 'History');
  // 5: type answer, two accepted answers, accents ignored.
  await teacher.selectOption('#new-type', 'type_answer');
  await teacher.click('#add-question');
  await teacher.fill(q(4, 'prompt'), PROMPTS[4]);
  await teacher.fill(q(4, 'accepted-0'), 'Rome');
  await teacher.click('[data-action="add-accepted"][data-q="4"]');
  await teacher.fill(q(4, 'accepted-1'), 'Roma');
  await teacher.check(q(4, 'ignore_accents'));
  await teacher.fill(q(4, 'time_limit_ms'), '30');

  // Reorder with the keyboard alone; focus stays on the moved question's buttons.
  await teacher.focus('[data-action="move-up"][data-q="4"]');
  await teacher.keyboard.press('Enter');
  assert.equal(await teacher.inputValue(q(3, 'prompt')), PROMPTS[4]);
  assert.deepEqual(await activeData(teacher), { action: 'move-up', q: '3' });
  await teacher.keyboard.press('Tab'); // to "Move down" of the same question
  await teacher.keyboard.press('Enter');
  assert.equal(await teacher.inputValue(q(4, 'prompt')), PROMPTS[4]);
  // The last question cannot go down: focus moves to its "Move up".
  assert.deepEqual(await activeData(teacher), { action: 'move-up', q: '4' });

  // The server's validation error is shown at its field.
  await teacher.fill(q(1, 'points'), '0');
  await teacher.click('#save');
  const bad = teacher.locator(`${q(1, 'points')}[aria-invalid="true"]`);
  await bad.waitFor();
  const describedBy = (await bad.getAttribute('aria-describedby')).split(' ').pop();
  const message = await teacher.locator(`#${describedBy}`).textContent();
  t.diagnostic(`validation message at questions[1].points: ${message}`);
  assert.match(message, /\S/);
  await waitText(teacher, '#ed-alert', /^Not saved\./);
  assert.equal((await activeData(teacher)).path, 'questions.1.points', 'focus goes to the field');
  await teacher.fill(q(1, 'points'), '800');
  assert.equal(await bad.count(), 0, 'the mark goes when the field is changed');

  t.diagnostic(`screenshot: ${await shot(teacher, 'editor.png', true)}`);
  await teacher.locator('.q-card[data-q="0"] .image-preview').scrollIntoViewIfNeeded();
  t.diagnostic(`screenshot: ${await shot(teacher, 'editor-question-image.png')}`);
  await axe(t, teacher, 'editor');

  await teacher.click('#save');
  await waitText(teacher, '#save-result', new RegExp(`Saved as ${QUIZ}\\.`));
  await teacher.waitForURL(new RegExp(`/edit\\?quiz=${QUIZ}$`));
  assert.equal(await teacher.getAttribute('#host-link', 'href').then((h) => h.startsWith(`/host/${QUIZ}#key=`)), true);
  const saved = await publicQuiz(QUIZ);
  assert.equal(saved.mode, 'hosted');
  assert.equal(saved.title, 'Teacher <b>e2e</b>');
  assert.deepEqual(saved.questions.map((x) => x.type || 'single'), ['single', 'multi', 'true_false', 'poll', 'type_answer']);
  assert.deepEqual(saved.questions.map((x) => x.prompt), PROMPTS);
  reached.add('created');
});

test('reload: the quiz comes back; a draft survives a reload; an edited question is saved', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(reached.has('created'));
  await teacher.reload();
  await waitCount(teacher, '#questions > li', 5);
  assert.equal(await teacher.inputValue('#f-title'), 'Teacher <b>e2e</b>');
  assert.equal(await teacher.inputValue(q(4, 'accepted-1')), 'Roma');
  assert.equal(await teacher.isChecked(q(1, 'correct-2')), true);
  assert.equal(await teacher.isChecked(q(2, 'correct-false')), true);
  await imageLoaded(teacher, '.q-card[data-q="0"] .image-preview');
  assert.equal(await teacher.getAttribute('#f-id', 'readonly'), '');

  const edited = 'The Sun is a planet (edited).';
  await teacher.fill(q(2, 'prompt'), edited);
  await teacher.reload();
  await waitText(teacher, '#ed-status', /unsaved changes/);
  assert.equal(await teacher.inputValue(q(2, 'prompt')), edited);
  await teacher.click('#save');
  await waitText(teacher, '#save-result', /^Saved\./);
  assert.equal((await publicQuiz(QUIZ)).questions[2].prompt, edited);
  PROMPTS[2] = edited;
  // The JSON view, an advanced option: it shows the definition and refuses bad JSON.
  await teacher.click('#json-view summary');
  await teacher.waitForFunction(() => document.getElementById('json-text').value !== ''); // filled on toggle
  assert.equal(JSON.parse(await teacher.inputValue('#json-text')).questions[2].prompt, edited);
  await teacher.fill('#json-text', '{"title": ');
  await teacher.click('#json-apply');
  await teacher.locator('#json-error').waitFor({ state: 'visible' });
  assert.equal(await teacher.inputValue('#f-title'), 'Teacher <b>e2e</b>', 'bad JSON changes nothing');
  // Saved: no draft any more, so a reload shows the server's copy without the notice.
  await teacher.reload();
  await waitCount(teacher, '#questions > li', 5);
  assert.equal(await teacher.locator('#ed-status .notice').count(), 0);
  reached.add('edited');
});

test('library: search, duplicate, export, delete (asked first)', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(reached.has('edited'));
  await teacher.goto(`${run.base}/library`);
  await teacher.fill('#search', 'TEACHER');
  await waitCount(teacher, '#quiz-rows tr', 1);
  assert.equal(await teacher.textContent('#quiz-rows tr .qtitle'), 'Teacher <b>e2e</b>');
  await teacher.click(`#quiz-rows tr[data-quiz="${QUIZ}"] [data-action="duplicate"]`);
  await waitCount(teacher, '#quiz-rows tr', 2);
  await waitText(teacher, '#lib-status', /was copied as teacher-e2e-copy/);
  t.diagnostic(`screenshot: ${await shot(teacher, 'library.png')}`);
  await axe(t, teacher, 'library');

  const [download] = await Promise.all([
    teacher.waitForEvent('download'),
    teacher.click(`#quiz-rows tr[data-quiz="${QUIZ}"] [data-action="export"]`),
  ]);
  assert.equal(download.suggestedFilename(), `${QUIZ}.json`);
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(exported.questions.length, 5);
  assert.equal(exported.questions[1].correct.join(','), '0,2', 'the export carries the answer key');
  assert.match(exported.questions[0].image, /^[0-9a-f]{64}$/);

  const copy = `#quiz-rows tr[data-quiz="${QUIZ}-copy"]`;
  await teacher.click(`${copy} [data-action="delete"]`);
  await teacher.locator('#confirm-delete').waitFor({ state: 'visible' });
  await teacher.click('#confirm-delete button[value="cancel"]');
  assert.equal(await teacher.locator(copy).count(), 1, 'kept when the teacher says no');
  await teacher.click(`${copy} [data-action="delete"]`);
  await teacher.click('#confirm-delete button[value="delete"]');
  await waitCount(teacher, '#quiz-rows tr', 1);
  reached.add('library-actions');
});

/** Imports `file` from the library and saves what the editor shows; returns the new id. */
async function importAndSave(t, path, format, name, type) {
  await teacher.goto(`${run.base}/library`);
  await teacher.setInputFiles('#import-file', { name, mimeType: type, buffer: readFileSync(path) });
  if (format) await teacher.selectOption('#import-format', format);
  await teacher.click('#import-button');
  await teacher.waitForURL(/\/edit\?import=1$/);
  await waitText(teacher, '#ed-status', /^Imported \d+ questions?\./);
  const n = await teacher.locator('#questions > li').count();
  assert.ok(n >= 1, 'the imported questions are in the form');
  await teacher.click('#save');
  await waitText(teacher, '#save-result', /^Saved as [\w-]+\./);
  const id = new URL(teacher.url()).searchParams.get('quiz');
  t.diagnostic(`${name}: ${n} questions imported and saved as ${id}`);
  assert.equal((await publicQuiz(id)).questions.length, n);
  return id;
}

test('import a CSV and an .xlsx file, reviewed in the editor; a bad file shows its rows', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(reached.has('library-actions'));
  // The server's own template is a valid CSV; a fixture is used when there is one.
  let csv = fixture('questions.csv');
  if (!csv) {
    const res = await fetch(`${run.base}/api/import/template.csv`);
    assert.equal(res.status, 200, 'GET /api/import/template.csv');
    csv = joinPath(tmp, 'template.csv');
    writeFileSync(csv, Buffer.from(await res.arrayBuffer()));
  }
  await importAndSave(t, csv, '', 'questions.csv', 'text/csv');
  const xlsx = fixture('kahoot.xlsx');
  assert.ok(xlsx, `an .xlsx fixture in ${FIXTURES}`);
  await importAndSave(t, xlsx, '', 'kahoot.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');

  await teacher.goto(`${run.base}/library`);
  await teacher.setInputFiles('#import-file', { name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('this,is\nnot,"a quiz\n') });
  await teacher.click('#import-button');
  await teacher.locator('#import-errors tbody tr').first().waitFor();
  t.diagnostic(`broken.csv: ${await teacher.locator('#import-errors tbody tr').count()} rows reported`);
  assert.match(await teacher.textContent('#import-result'), /Nothing was imported/);
  reached.add('imported');
});

test('hosted with two players: the image on the projector and the phones; results downloaded', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(reached.has('created'));
  await teacher.goto(`${run.base}/library`);
  await teacher.fill('#search', QUIZ);
  await waitCount(teacher, '#quiz-rows tr', 1);
  await teacher.click(`#quiz-rows tr[data-quiz="${QUIZ}"] [data-action="host"]`);
  await teacher.waitForURL(new RegExp(`/host/${QUIZ}$`));
  const phones = [];
  for (const name of ['Ada', 'Ben']) {
    const p = await newPage({ width: 360, height: 640 });
    await p.goto(`${run.base}/?quiz=${QUIZ}`);
    await p.fill('#name', name);
    await p.click('#join');
    await p.locator('#hosted').waitFor({ state: 'visible' });
    phones.push(p);
  }
  await waitCount(teacher, '#players > li', 2);
  await teacher.click('#btn-start');
  await waitText(teacher, '#hq-prompt', PROMPTS[0], 15_000);
  const hostWidth = await imageLoaded(teacher, '#v-question .q-image img');
  assert.equal(hostWidth, 320);
  for (const p of phones) {
    await waitText(p, '#prompt', PROMPTS[0]);
    assert.equal(await imageLoaded(p, '#q-card .q-image img, .q-image img'), 320);
  }
  const box = await phones[0].locator('.q-image img').boundingBox();
  assert.ok(box && box.width <= 360 && box.height <= 640 * 0.4, `sized for a phone: ${JSON.stringify(box)}`);
  t.diagnostic(`screenshot: ${await shot(teacher, 'host-question-image.png')}`);
  t.diagnostic(`screenshot: ${await shot(phones[0], 'phone-question-image.png')}`);

  await phones[0].locator('#options .option').nth(1).click();
  await phones[1].locator('#options .option').nth(0).click();
  await teacher.locator('#v-reveal').waitFor({ state: 'visible', timeout: 15_000 });
  await imageLoaded(teacher, '#v-reveal .q-image img');
  await imageLoaded(phones[0], '.q-image img');

  await teacher.click('#btn-end');
  await teacher.click('#btn-end'); // End asks for a second click
  const csvLink = teacher.locator('#export-csv');
  await csvLink.waitFor({ state: 'visible', timeout: 15_000 });
  const [download] = await Promise.all([teacher.waitForEvent('download'), csvLink.click()]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.match(csv.split('\n')[0], /^rank,player,name,score/);
  assert.match(csv, /Ada/);
  assert.match(csv, /Ben/);
  reached.add('hosted');
});

test('a played quiz edited in the editor is saved as a new version, and the page says so', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(reached.has('hosted'));
  await teacher.goto(`${run.base}/library`);
  await teacher.fill('#search', QUIZ);
  await waitText(teacher, `#quiz-rows tr[data-quiz="${QUIZ}"] td:nth-child(6)`, 'Game: over (podium)');
  await teacher.click(`#quiz-rows tr[data-quiz="${QUIZ}"] a[href^="/edit"]`);
  await waitCount(teacher, '#questions > li', 5);
  await teacher.fill(q(3, 'prompt'), 'Which subject next term?');
  await teacher.click('[data-action="remove-image"][data-q="0"]');
  assert.equal(await teacher.locator('.q-card[data-q="0"] .image-preview').count(), 0);
  assert.equal((await activeData(teacher)).action, 'upload', 'focus goes to the image field');
  await teacher.click('#save');
  await waitText(teacher, '#save-result', new RegExp(`saved as a new quiz, ${QUIZ}-v2`));
  await teacher.waitForURL(new RegExp(`/edit\\?quiz=${QUIZ}-v2$`));
  const v2 = await publicQuiz(`${QUIZ}-v2`);
  assert.equal(v2.questions[3].prompt, 'Which subject next term?');
  assert.equal(v2.questions[0].image, undefined, 'the image was removed');
  const v1 = await publicQuiz(QUIZ);
  assert.equal(v1.questions[3].prompt, PROMPTS[3], 'the played quiz is unchanged');
  assert.match(v1.questions[0].image, /^\/media\/[0-9a-f]{64}$/);
});

test('no page raised an error or reported a CSP violation', () => {
  assert.deepEqual(run.pageErrors, []);
});

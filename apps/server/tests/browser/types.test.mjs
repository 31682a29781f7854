// End-to-end test of the question types (single, multi, true_false, poll, type_answer) in
// headless Chromium against the real server binary: a self-paced quiz with one question of
// every type played through the player page, a hosted game with a host console and one
// player, and the create page's example with every type.
//
//   cd apps/server/tests/browser && npm ci
//   QUIZ_SERVER_BIN=/path/to/target/debug/quiz-server node --test types.test.mjs
//
// Like browser.test.mjs: the test starts the server on a free loopback port, drives Debian's
// Chromium through playwright-core (no browser download), and asserts on what the pages show.
// Screenshots go to $QUIZ_SCREENSHOT_DIR or $SCREENSHOT_DIR (default: ./screenshots/).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join as joinPath, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage, shutDown, sleep, startServerAndBrowser, waitCount, waitText } from './harness.mjs';

const ADMIN_KEY = 'test-admin-key-types';
const STEP_TIMEOUT = 10_000; // any single wait
const TEST_TIMEOUT = 60_000; // any single scenario
const HERE = fileURLToPath(new URL('.', import.meta.url));
const SHOTS = resolve(process.env.QUIZ_SCREENSHOT_DIR || process.env.SCREENSHOT_DIR || joinPath(HERE, 'screenshots'));
// Only for working on the web files: serve the pages from this directory instead of the
// copies compiled into the binary (they are embedded at build time), so a change can be
// tried without a rebuild. Unset in CI.
const WEB_DIR = process.env.QUIZ_TEST_WEB_DIR ? resolve(process.env.QUIZ_TEST_WEB_DIR) : null;

// Fixed scoring, so every score is known in advance. Partial scoring of "multi":
// points × (right picks − wrong picks) / right options.
const SELF_PACED = {
  id: 'types-e2e',
  title: 'Every <b>type</b>',
  scoring: { kind: 'fixed', multi: 'partial' },
  questions: [
    { id: 'q1', type: 'single', prompt: 'Which planet is closest to the Sun?', options: ['Venus', 'Mercury', 'Mars'], correct: 1, points: 100, time_limit_ms: 60_000 },
    { id: 'q2', type: 'multi', prompt: 'Which of these are prime numbers?', options: ['2', '4', '7', '9'], correct: [0, 2], points: 100, time_limit_ms: 60_000 },
    { id: 'q3', type: 'true_false', prompt: 'Water boils at 100 °C at sea level.', correct: true, points: 50, time_limit_ms: 60_000 },
    { id: 'q4', type: 'poll', prompt: 'Which <i>topic</i> next time?', options: ['Science', 'History', 'Sport'], time_limit_ms: 60_000 },
    { id: 'q5', type: 'type_answer', prompt: 'Which city is called the Big Apple?', accepted: ['New York', 'New York City', 'NYC'], points: 200, time_limit_ms: 60_000 },
  ],
};

const HOSTED = {
  id: 'types-hosted',
  title: 'Hosted types',
  mode: 'hosted',
  hosted: { end_early: true },
  scoring: { kind: 'fixed', multi: 'partial' },
  questions: [
    { id: 'h1', type: 'multi', prompt: 'Which of these are even?', options: ['2', '3', '4', '5'], correct: [0, 2], points: 100, time_limit_ms: 30_000, explanation: 'Even numbers divide by two.' },
    { id: 'h2', type: 'type_answer', prompt: 'What is the capital of Italy?', accepted: ['Rome', 'Roma'], points: 200, time_limit_ms: 30_000 },
    { id: 'h3', type: 'poll', prompt: 'Which snack?', options: ['Crisps', 'Fruit', 'Cake'], time_limit_ms: 30_000 },
  ],
};

let server = null; // child process
let base = '';
let browser = null;
let tmp = null;
const contexts = [];
const pageErrors = [];

// Players get a phone-sized viewport; the host a big screen.
const newPage = (size) => openPage({ browser, base, contexts, pageErrors, webDir: WEB_DIR }, { ...size, timeout: STEP_TIMEOUT });

const text = (page, sel) => page.locator(sel).textContent({ timeout: STEP_TIMEOUT });
const texts = (page, sel) => page.locator(sel).allTextContents();
const session = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem('quiz.session') || 'null'));
const enabled = async (page, sel) => (await page.getAttribute(sel, 'aria-disabled')) !== 'true';

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const path = joinPath(SHOTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

async function createQuiz(def) {
  const res = await fetch(`${base}/api/quizzes`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Admin-Key': ADMIN_KEY },
    body: JSON.stringify(def),
  });
  const body = await res.json();
  assert.equal(res.status, 201, `create ${def.id}: ${JSON.stringify(body)}`);
  return body;
}

/**
 * Proxies the page's WebSocket and records the frames both ways. Set `log.mangle` to a
 * function to rewrite the next answer frame on its way; set `log.hold` to keep the next
 * answer frame from the server (it is recorded in `log.held`: "in flight" forever).
 */
async function recordFrames(page) {
  const log = { sent: [], received: [], mangle: null, hold: false, held: null };
  await page.routeWebSocket(/\/ws\//, (ws) => {
    const upstream = ws.connectToServer();
    ws.onMessage((frame) => {
      let m = null;
      try { m = JSON.parse(String(frame)); } catch { /* not JSON */ }
      if (m && m.type === 'answer' && log.hold) {
        log.hold = false;
        log.held = m;
        log.sent.push(m);
        return;
      }
      if (m && m.type === 'answer' && log.mangle) {
        const change = log.mangle;
        log.mangle = null;
        m = change(m);
        frame = JSON.stringify(m);
      }
      if (m) log.sent.push(m);
      upstream.send(frame);
    });
    upstream.onMessage((frame) => {
      try { log.received.push(JSON.parse(String(frame))); } catch { /* not JSON */ }
      ws.send(frame);
    });
  });
  return log;
}

const answersSent = (log, question) => log.sent.filter((m) => m.type === 'answer' && m.question === question);
const replyTo = (log, answerId) => log.received.find((m) => m.answer_id === answerId && (m.type === 'answer_result' || m.type === 'error'));

async function waitReply(log, answerId) {
  const deadline = Date.now() + STEP_TIMEOUT;
  while (Date.now() < deadline) {
    const r = replyTo(log, answerId);
    if (r) return r;
    await sleep(50);
  }
  throw new Error(`no reply to answer ${answerId}: ${JSON.stringify(log.received.slice(-5))}`);
}

before(async () => {
  ({ server, base, browser, tmp } = await startServerAndBrowser({
    testFile: 'types.test.mjs', adminKey: ADMIN_KEY, extraArgs: ['--no-demo'], tmpPrefix: 'quiz-types-test-', webDir: WEB_DIR,
  }));
});

after(() => shutDown({ contexts, browser, server, tmp }));

test('self-paced: one question of every type, played through the page', { timeout: TEST_TIMEOUT }, async (t) => {
  await createQuiz(SELF_PACED);
  const page = await newPage();
  const log = await recordFrames(page);
  await page.goto(`${base}/?quiz=${SELF_PACED.id}`);
  await page.fill('#name', 'Tess');
  await page.click('#join');
  await waitText(page, '#conn', 'connected');
  await waitText(page, '#quiz-title', SELF_PACED.title);
  const me = (await session(page)).player;

  // 1. single: option buttons, no Submit; the right one scores its points.
  await waitText(page, '#q-progress', 'Question 1 of 5');
  assert.equal(await text(page, '#q-points'), '100 points');
  assert.deepEqual(await texts(page, '#options .option .tile-text'), SELF_PACED.questions[0].options);
  assert.equal(await page.locator('#options .submit-answer').count(), 0, 'no Submit for one answer');
  await page.locator('#options .option', { hasText: 'Mercury' }).click();
  await waitText(page, '#result', 'Question 1: Correct! +100 points');
  await waitText(page, '#my-score', '100');
  assert.deepEqual(answersSent(log, 'q1').map((m) => m.option), [1]);

  // 2. multi: toggles (aria-pressed) and a Submit enabled once one is on; partial scoring.
  await waitText(page, '#q-progress', 'Question 2 of 5');
  await waitText(page, '#q-hint', /every right answer/);
  assert.equal(await page.locator('#q-hint').isVisible(), true);
  const opt = (label) => page.locator('#options .option', { has: page.locator('.tile-text', { hasText: new RegExp(`^${label}$`) }) });
  await waitCount(page, '#options .option[aria-pressed="false"]', 4);
  assert.equal(await enabled(page, '#options .submit-answer'), false, 'Submit waits for a pick');
  await opt('9').click();
  assert.equal(await opt('9').getAttribute('aria-pressed'), 'true');
  assert.ok(await enabled(page, '#options .submit-answer'), 'Submit after one pick');
  await opt('9').click();
  assert.equal(await opt('9').getAttribute('aria-pressed'), 'false', 'a second click takes the pick back');
  assert.equal(await enabled(page, '#options .submit-answer'), false);
  // Right: 2 and 7; wrong: 4. Partial: 100 × (2 − 1) / 2 = 50.
  for (const l of ['2', '4', '7']) await opt(l).click();
  assert.deepEqual(await texts(page, '#options .option[aria-pressed="true"] .tile-text'), ['2', '4', '7']);
  assert.equal(answersSent(log, 'q2').length, 0, 'nothing sent before Submit');
  t.diagnostic(`screenshot: ${await shot(page, 'types-multi.png')}`);
  // The answer gets no reply (held on its way): it is kept in the tab's storage with its
  // picks, and after a reload it is sent again with the same answer_id.
  log.hold = true;
  await page.click('#options .submit-answer');
  await page.waitForFunction(() => (sessionStorage.getItem('quiz.pending') || '').includes('q2'));
  assert.ok(log.held, 'the answer was sent');
  const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem('quiz.pending')));
  assert.deepEqual(stored, [[log.held.answer_id, 'q2', { options: [0, 1, 2] }]]);
  await page.reload();
  await waitText(page, '#result', 'Question 2: Partly right: +50 points');
  assert.match(await page.getAttribute('#result', 'class'), /\bpartial\b/);
  await waitText(page, '#my-score', '150');
  const multi = answersSent(log, 'q2');
  assert.equal(multi.length, 2, `sent, then resent after the reload: ${JSON.stringify(multi)}`);
  for (const m of multi) {
    assert.equal(m.answer_id, log.held.answer_id, 'the same answer_id');
    assert.deepEqual(m.options, [0, 1, 2]);
    assert.equal(m.option, undefined);
  }
  const multiReply = await waitReply(log, multi[1].answer_id);
  assert.equal(multiReply.outcome, 'partial');
  assert.equal(multiReply.points, 50);

  // 3. true_false: True and False buttons. An answer of the wrong kind (a rewritten frame)
  // is refused with a clear message and the question can be answered again.
  await waitText(page, '#q-progress', 'Question 3 of 5');
  assert.deepEqual(await texts(page, '#options .option .tile-text'), ['True', 'False']);
  log.mangle = (m) => ({ type: 'answer', answer_id: m.answer_id, question: m.question, text: 'true' });
  await page.locator('#options .option', { hasText: 'True' }).click();
  await waitText(page, '#result', /does not fit this question/);
  const refused = answersSent(log, 'q3')[0];
  const err = await waitReply(log, refused.answer_id);
  assert.equal(err.type, 'error');
  assert.equal(err.code, 'wrong_answer_type', JSON.stringify(err));
  assert.equal(await text(page, '#q-progress'), 'Question 3 of 5', 'still on the question');
  assert.equal(await text(page, '#my-score'), '150');
  await page.locator('#options .option', { hasText: 'True' }).click();
  await waitText(page, '#result', 'Question 3: Correct! +50 points');
  await waitText(page, '#my-score', '200');
  assert.equal(answersSent(log, 'q3')[1].option, 0, 'True is option 0');

  // 4. poll: "Vote" wording, no points; the vote is counted and the score does not move.
  await waitText(page, '#q-progress', 'Question 4 of 5');
  assert.equal(await text(page, '#q-points'), 'Poll · no points');
  await waitText(page, '#q-hint', /no right or wrong answer/);
  await waitText(page, '#prompt', SELF_PACED.questions[3].prompt);
  assert.equal(await page.locator('#prompt i').count(), 0, 'prompt markup shown as text');
  await page.locator('#options .option', { hasText: 'History' }).click();
  await waitText(page, '#result', 'Question 4: Vote counted');
  assert.doesNotMatch(await text(page, '#result'), /correct|wrong|incorrect/i);
  const vote = answersSent(log, 'q4')[0];
  const voteReply = await waitReply(log, vote.answer_id);
  assert.equal(voteReply.outcome, 'counted');
  assert.equal(voteReply.points, 0);
  assert.equal(voteReply.total, 200);
  await sleep(500); // a board push after the vote would show a change
  assert.equal(await text(page, '#my-score'), '200', 'a poll does not change the score');

  // 5. type_answer: a text field (maxlength 64) and Submit; Enter submits, blank is not sent.
  await waitText(page, '#q-progress', 'Question 5 of 5');
  const input = page.locator('#options input.answer-text');
  await input.waitFor({ state: 'visible' });
  assert.equal(await input.getAttribute('maxlength'), '64');
  assert.equal(await page.locator('#options .option').count(), 0);
  assert.equal(await enabled(page, '#options .submit-answer'), false, 'Submit waits for text');
  await input.fill('   ');
  await input.press('Enter');
  await waitText(page, '#q-status', 'Type an answer first.');
  await sleep(300);
  assert.equal(answersSent(log, 'q5').length, 0, 'a blank answer is not sent');
  // A too-long text (rewritten on the way: the field stops at 64) is refused with a message.
  log.mangle = (m) => ({ ...m, text: 'x'.repeat(65) });
  await input.fill('anything');
  await input.press('Enter');
  await waitText(page, '#result', /too long/);
  assert.equal((await waitReply(log, answersSent(log, 'q5')[0].answer_id)).code, 'answer_too_long');
  // Different case and extra spaces are accepted.
  await input.fill('  new   YORK ');
  t.diagnostic(`screenshot: ${await shot(page, 'types-text.png')}`);
  await input.press('Enter');
  // Streak 2: question 3 started it (the partial answer to 2 did not count as correct) and
  // the poll left it alone.
  await waitText(page, '#result', 'Question 5: Correct! +200 points · streak 2');
  const typed = answersSent(log, 'q5');
  assert.equal(typed.length, 2);
  assert.equal(typed[1].text, '  new   YORK ');
  assert.equal((await waitReply(log, typed[1].answer_id)).outcome, 'correct');

  // The end: 100 + 50 + 50 + 0 + 200.
  await page.locator('#finished').waitFor({ state: 'visible' });
  await waitText(page, '#final-score', '400');
  await waitText(page, '#my-score', '400');
  assert.equal(await text(page, '#final-detail'), 'You answered 5 of 5 questions; 3 correct, 1 partly right, 1 poll vote.');
  await waitText(page, `#leaderboard li[data-player="${me}"] .score`, '400');
  const standing = await (await fetch(`${base}/api/quizzes/${SELF_PACED.id}/players/${me}`)).json();
  assert.equal(standing.score, 400, JSON.stringify(standing));

  // A reload keeps the results (the snapshot's answered entries carry the outcome).
  await page.reload();
  await waitText(page, '#conn', 'connected');
  await page.locator('#finished').waitFor({ state: 'visible' });
  await waitText(page, '#final-detail', 'You answered 5 of 5 questions; 3 correct, 1 partly right, 1 poll vote.');
  const snap = log.received.filter((m) => m.type === 'snapshot').pop();
  assert.deepEqual(snap.questions.map((q) => q.type), SELF_PACED.questions.map((q) => q.type));
  assert.deepEqual(snap.answered.map((a) => [a.question, a.outcome]).sort(),
    [['q1', 'correct'], ['q2', 'partial'], ['q3', 'correct'], ['q4', 'counted'], ['q5', 'correct']]);
});

test('hosted: multi, typed answer and poll with their reveals on the host and the player', { timeout: TEST_TIMEOUT }, async (t) => {
  const created = await createQuiz(HOSTED);
  const host = await newPage({ width: 1280, height: 860 });
  await host.goto(base + created.host_url);
  await waitText(host, '#conn', 'connected');
  await waitText(host, '#h-phase', /^Lobby/);

  const page = await newPage();
  await page.goto(`${base}/?quiz=${HOSTED.id}`);
  await page.fill('#name', 'Hana');
  await page.click('#join');
  await waitText(page, '#conn', 'connected');
  await waitText(page, '#h-phase', 'Waiting for the host to start');
  await waitText(host, '#h-player-count', '1 player');

  // Question 1: multi (partial). Picks 2, 4 (right) and 5 (wrong): 100 × (2 − 1) / 2 = 50.
  await host.click('#btn-start');
  await waitText(host, '#h-phase', 'Question 1 of 3');
  assert.equal(await text(host, '#hq-type'), 'Several answers');
  assert.deepEqual(await texts(host, '#hq-options li'), ['▲A2', '◆B3', '●C4', '■D5']);
  await waitText(host, '#hq-note', /every right answer/);
  await waitText(page, '#prompt', HOSTED.questions[0].prompt);
  await waitCount(page, '#options .option[aria-pressed="false"]', 4);
  assert.equal(await enabled(page, '#options .submit-answer'), false);
  for (const l of ['2', '4', '5']) await page.locator('#options .option', { has: page.locator('.tile-text', { hasText: new RegExp(`^${l}$`) }) }).click();
  await page.click('#options .submit-answer');
  // The only player answered: the question closes at once.
  await waitText(host, '#h-phase', 'Question 1 of 3: the answer');
  assert.equal(await text(host, '#hr-type'), 'Several answers');
  assert.deepEqual(await texts(host, '#hr-bars .bar-count'), ['1', '0', '1', '1'], 'every pick counts');
  assert.deepEqual(await texts(host, '#hr-bars .bar-row.correct .bar-text'), ['2', '4'], 'both right options marked');
  assert.equal(await host.locator('#hr-bars .bar-row.correct .mark').count(), 2);
  assert.equal(await text(host, '#hr-explanation'), HOSTED.questions[0].explanation);
  t.diagnostic(`screenshot: ${await shot(host, 'types-host-multi.png')}`);
  await waitText(page, '#h-result', 'Partly right: +50 points');
  await waitText(page, '#h-answer', 'The answers: 2, 4');
  assert.deepEqual(await texts(page, '#options .option.correct .tile-text'), ['2', '4']);
  assert.deepEqual(await texts(page, '#options .option.wrong .tile-text'), ['5']);
  assert.equal(await page.locator('#options .submit-answer').isVisible(), false, 'no Submit at the reveal');
  await waitText(page, '#h-total', 'Your total: 50 points');
  await waitText(page, '#my-score', '50');

  // Question 2: a typed answer, in another case with a trailing space.
  await host.click('#btn-next');
  await waitText(host, '#h-phase', /^Leaderboard after question 1/);
  await host.click('#btn-next');
  await waitText(host, '#h-phase', 'Question 2 of 3');
  assert.equal(await text(host, '#hq-type'), 'Typed answer');
  await waitText(host, '#hq-note', /type their answer/);
  assert.equal(await host.locator('#hq-options').isVisible(), false, 'no options to show');
  const input = page.locator('#options input.answer-text');
  await input.waitFor({ state: 'visible' });
  await waitText(page, '#prompt', HOSTED.questions[1].prompt);
  assert.equal(await input.getAttribute('maxlength'), '64');
  await input.fill('ROMA ');
  await input.press('Enter');
  await waitText(host, '#h-phase', 'Question 2 of 3: the answer');
  assert.equal(await text(host, '#hr-type'), 'Typed answer');
  await waitText(host, '#hr-accepted', 'Accepted answers: Rome · Roma');
  await waitCount(host, '#hr-bars .bar-row', 1);
  assert.match(await text(host, '#hr-bars .bar-row .bar-text'), /^roma$/i);
  assert.equal(await text(host, '#hr-bars .bar-row .bar-count'), '1');
  assert.match(await text(host, '#hr-bars .bar-row.correct'), /✓ accepted/);
  t.diagnostic(`screenshot: ${await shot(host, 'types-host-text.png')}`);
  await waitText(page, '#h-result', 'Correct! +200 points');
  await waitText(page, '#h-answer', 'Accepted answers: Rome · Roma');
  await waitText(page, '#h-yours', 'You answered: "ROMA "'); // as typed (the server has it normalised)
  await waitCount(page, '#h-detail li', 1);
  assert.match(await text(page, '#h-detail li'), /^"roma"× 1✓ accepted$/i);
  await waitText(page, '#h-total', 'Your total: 250 points');
  t.diagnostic(`screenshot: ${await shot(page, 'types-player-text.png')}`);

  // Question 3: a poll. The reveal shows the votes only, no right or wrong.
  await host.click('#btn-next');
  await waitText(host, '#h-phase', /^Leaderboard after question 2/);
  await host.click('#btn-next');
  await waitText(host, '#h-phase', 'Question 3 of 3');
  assert.equal(await text(host, '#hq-type'), 'Poll');
  assert.equal(await text(host, '#hq-points'), 'no points');
  await waitText(page, '#prompt', HOSTED.questions[2].prompt);
  assert.equal(await text(page, '#q-points'), 'Poll · no points');
  await page.locator('#options .option', { hasText: 'Cake' }).click();
  await waitText(host, '#h-phase', 'Question 3 of 3: the answer');
  assert.deepEqual(await texts(host, '#hr-bars .bar-count'), ['0', '0', '1']);
  assert.equal(await host.locator('#hr-bars .bar-row.correct, #hr-bars .mark').count(), 0, 'a poll has no right answer');
  assert.equal(await text(host, '#hr-answered'), '1 vote');
  await waitText(page, '#h-result', 'Vote counted');
  await waitText(page, '#h-answer', 'A poll: no right or wrong answer.');
  assert.deepEqual(await texts(page, '#h-detail li'), ['Crisps0 votes', 'Fruit0 votes', 'Cake1 vote']);
  assert.equal(await page.locator('#options .option.correct, #options .option.wrong').count(), 0);
  await waitText(page, '#h-total', 'Your total: 250 points');

  // Podium and the report with every type.
  await host.click('#btn-next');
  await waitText(host, '#h-phase', /^Leaderboard after question 3/);
  await host.click('#btn-next');
  await waitText(host, '#h-phase', /^Podium/);
  await waitText(page, '#h-final-score', 'Final score: 250 points');
  await waitCount(host, '#report-body tr', 3);
  const rows = await host.locator('#report-body tr').evaluateAll((trs) => trs.map((tr) =>
    Array.from(tr.children, (c) => c.textContent)));
  t.diagnostic(`report: ${JSON.stringify(rows)}`);
  assert.deepEqual(rows.map((r) => r[1]), HOSTED.questions.map((q) => q.prompt));
  assert.deepEqual(rows.map((r) => r[7]), ['Several answers', 'Typed answer', 'Poll']);
  assert.deepEqual(rows.map((r) => r[8]), ['A, C', 'Rome · Roma', '– (poll)']);
  assert.equal(rows[0][6], 'A: 1 · B: 0 · C: 1 · D: 1');
  assert.match(rows[1][6], /^"roma" × 1 ✓$/i);
  assert.equal(rows[2][6], 'A: 0 · B: 0 · C: 1');
  t.diagnostic(`screenshot: ${await shot(host, 'types-host-podium.png')}`);
});

test('create page: the example with every question type creates a quiz of all five', { timeout: TEST_TIMEOUT }, async () => {
  const c = await newPage();
  await c.goto(`${base}/create`);
  assert.equal(await c.inputValue('#multi-scoring'), 'all_or_nothing');
  await c.click('#types-ref summary');
  assert.equal(await c.locator('#types-ref dt').count(), 5);
  await c.click('#example-types');
  const example = JSON.parse(await c.inputValue('#quiz-json'));
  assert.deepEqual(example.questions.map((q) => q.type), ['single', 'multi', 'true_false', 'poll', 'type_answer']);
  assert.equal(example.scoring.multi, 'partial');
  assert.equal(await c.inputValue('#multi-scoring'), 'partial', 'the choice follows the example');
  await c.fill('#admin-key', ADMIN_KEY);
  await c.fill('#quiz-json', JSON.stringify({ ...example, id: 'types-created' }, null, 2));
  await c.click('#create');
  await waitText(c, '#created-id', 'types-created');
  await waitText(c, '#create-result', /\(5 questions\)/);
  const quiz = await (await fetch(`${base}/api/quizzes/types-created`)).json();
  assert.deepEqual(quiz.questions.map((q) => q.type), ['single', 'multi', 'true_false', 'poll', 'type_answer']);
  assert.deepEqual(quiz.questions[2].options, ['True', 'False']);
  assert.deepEqual(quiz.questions[4].options, []);

  // The select sets scoring.multi: all or nothing wins over the JSON's partial.
  await c.selectOption('#multi-scoring', 'all_or_nothing');
  const sent = c.waitForRequest((r) => r.url().endsWith('/api/quizzes') && r.method() === 'POST');
  await c.fill('#quiz-json', JSON.stringify({ ...example, id: 'types-created-2', scoring: { kind: 'fixed' } }));
  await c.click('#create');
  const body = JSON.parse((await sent).postData());
  assert.equal(body.scoring.multi, undefined, 'no multi scoring asked, none sent');
  await waitText(c, '#created-id', 'types-created-2');
  const sent2 = c.waitForRequest((r) => r.url().endsWith('/api/quizzes') && r.method() === 'POST');
  await c.selectOption('#multi-scoring', 'partial');
  await c.fill('#quiz-json', JSON.stringify({ ...example, id: 'types-created-3', scoring: undefined }));
  await c.click('#create');
  const body2 = JSON.parse((await sent2).postData());
  assert.deepEqual(body2.scoring, { kind: 'fixed', multi: 'partial' });
  await waitText(c, '#created-id', 'types-created-3');
});

test('no script errors on any page', () => {
  assert.deepEqual(pageErrors, []);
});

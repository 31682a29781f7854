// End-to-end test of the web client in headless Chromium against the real server binary.
//
//   cd apps/server/tests/browser && npm ci
//   QUIZ_SERVER_BIN=/path/to/target/debug/quiz-server node --test
//
// The test starts the server on a free loopback port, drives Debian's Chromium through
// playwright-core (no browser download), and asserts on what the pages show.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, shutDown, startServerAndBrowser, waitText } from './harness.mjs';

const ADMIN_KEY = 'test-admin-key';
const STEP_TIMEOUT = 10_000; // any single wait
const TEST_TIMEOUT = 30_000; // any single test

let server = null; // child process
let base = '';
let browser = null;
let tmp = null;
const contexts = [];
const pageErrors = [];

// Shared between the scenarios, which run in order.
const A = { page: null, name: 'Alice', player: null, score: null, firstQuestion: null, firstPrompt: null };
const B = { page: null, name: '<i>Bob</i>' }; // markup in a name must show as text
let C = null; // third page: probes, name-taken, create
let wsLog = []; // frames page A sent through its (routed) WebSocket
let wsMode = 'pass'; // 'pass' or 'drop-next-answer'
let dropped = null; // the answer frame that was swallowed before the drop

// Phone-sized viewport: the page must work at 360 px.
const newPage = () => openPage({ browser, base, contexts, pageErrors }, { timeout: STEP_TIMEOUT });

/** A number as the English page shows it ("1,850"). */
const fmt = (n) => Number(n).toLocaleString('en-US');

const text = (page, sel) => page.locator(sel).textContent({ timeout: STEP_TIMEOUT });

async function join(page, name, quiz = 'demo') {
  await page.goto(`${base}/?quiz=${encodeURIComponent(quiz)}`);
  assert.equal(await page.inputValue('#quiz'), quiz);
  await page.fill('#name', name);
  await page.click('#join');
}

async function joinAndConnect(page, name, quiz = 'demo') {
  await join(page, name, quiz);
  await page.locator('#play-view').waitFor({ state: 'visible' });
  await waitText(page, '#conn', 'connected');
  await page.locator('#question-card .option').first().waitFor({ state: 'visible' });
}

const session = (page) => page.evaluate(() => JSON.parse(sessionStorage.getItem('quiz.session') || 'null'));

/** Finds the correct option of `question` with throwaway players (the key is never sent to clients). */
async function probeCorrectOption(page, quiz, question, options) {
  return page.evaluate(async ({ quiz, question, options }) => {
    for (let i = 0; i < options - 1; i++) {
      const res = await fetch(`/api/quizzes/${quiz}/join`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `probe-${question}-${i}` }),
      });
      const j = await res.json();
      if (!res.ok) throw new Error(`probe join: ${res.status} ${JSON.stringify(j)}`);
      const url = new URL(j.ws_path, location.href);
      url.protocol = 'ws:';
      const correct = await new Promise((ok, fail) => {
        const ws = new WebSocket(url);
        const timer = setTimeout(() => { ws.close(); fail(new Error('probe timed out')); }, 5000);
        ws.onmessage = (ev) => {
          const m = JSON.parse(ev.data);
          if (m.type === 'snapshot') {
            ws.send(JSON.stringify({ type: 'answer', answer_id: `probe${i}`, question, option: i }));
          } else if (m.type === 'answer_result' || m.type === 'error') {
            clearTimeout(timer);
            ws.close();
            if (m.type === 'error') fail(new Error(`probe answer: ${m.code} ${m.message}`));
            else ok(m.correct);
          }
        };
        ws.onerror = () => { clearTimeout(timer); fail(new Error('probe socket failed')); };
      });
      if (correct) return i;
    }
    return options - 1;
  }, { quiz, question, options });
}

before(async () => {
  ({ server, base, browser, tmp } = await startServerAndBrowser({
    testFile: 'browser.test.mjs', adminKey: ADMIN_KEY, extraArgs: [], tmpPrefix: 'quiz-browser-test-', webDir: null,
  }));
});

after(() => shutDown({ contexts, browser, server, tmp }));

test('two players: an answer on page A shows on page B\'s leaderboard within 2 s', { timeout: TEST_TIMEOUT }, async (t) => {
  A.page = await newPage();
  B.page = await newPage();
  C = await newPage();

  // Page A's WebSocket goes through a transparent proxy so a later test can drop it.
  await A.page.routeWebSocket(/\/ws\//, (ws) => {
    const upstream = ws.connectToServer();
    ws.onMessage((frame) => {
      wsLog.push(String(frame));
      let m = null;
      try { m = JSON.parse(String(frame)); } catch { /* not JSON */ }
      if (wsMode === 'drop-next-answer' && m && m.type === 'answer') {
        wsMode = 'pass';
        dropped = m; // swallowed: the answer is "in flight" when the connection dies
        upstream.close({ code: 1001, reason: 'test: connection dropped' });
        ws.close({ code: 1001, reason: 'test: connection dropped' });
        return;
      }
      upstream.send(frame);
    });
  });

  await joinAndConnect(A.page, A.name);
  await joinAndConnect(B.page, B.name);
  assert.equal(await text(A.page, '#me-name'), A.name);
  assert.equal(await text(B.page, '#me-name'), B.name);
  assert.equal(await text(A.page, '#my-score'), '0');
  assert.match(await text(A.page, '#q-progress'), /^Question 1 of 12$/);

  const s = await session(A.page);
  assert.ok(s && s.token && s.player && s.quiz === 'demo', `session stored: ${JSON.stringify(s)}`);
  A.player = s.player;

  // Find the right option of the current question, so A's new score is certainly above 0.
  A.firstQuestion = await A.page.getAttribute('#question-card', 'data-question');
  A.firstPrompt = await text(A.page, '#prompt');
  const options = await A.page.locator('#question-card .option').count();
  assert.ok(options >= 2, `options shown: ${options}`);
  await C.goto(`${base}/`);
  const right = await probeCorrectOption(C, 'demo', A.firstQuestion, options);

  const clicked = Date.now();
  await A.page.locator('#question-card .option').nth(right).click();
  await waitText(A.page, '#result', /^Question 1: Correct! \+[\d,]+ points/);
  const result = await text(A.page, '#result');
  const points = Number(/\+([\d,]+) points/.exec(result)[1].replace(/,/g, ''));
  assert.ok(points > 0, `points ${points}`);
  await waitText(A.page, '#my-score', fmt(points));
  A.score = points;
  await waitText(A.page, '#my-rank', /^You are #\d+ of \d+$/);

  // B's live leaderboard shows A's new score within 2 s of the click.
  const rowScore = `#leaderboard li[data-player="${A.player}"] .score`;
  const remaining = Math.max(0, 2000 - (Date.now() - clicked));
  await waitText(B.page, rowScore, fmt(points), remaining).catch((e) => {
    throw new Error(`B's leaderboard did not show A's score ${points} within 2 s: ${e.message}`);
  });
  t.diagnostic(`B showed A's score ${Date.now() - clicked} ms after A's click`);
  assert.match(await text(B.page, `#leaderboard li[data-player="${A.player}"]`), /Alice/);

  // A sees itself highlighted; the name with markup is shown as text, not parsed.
  const mine = A.page.locator(`#leaderboard li[data-player="${A.player}"]`);
  assert.equal(await mine.getAttribute('class'), 'me');
  assert.equal(await mine.getAttribute('aria-current'), 'true');
  const bPlayer = (await session(B.page)).player;
  await waitText(A.page, `#leaderboard li[data-player="${bPlayer}"] .pname`, '<i>Bob</i>').catch(() => {});
  assert.equal(await A.page.locator('#leaderboard i, #around i').count(), 0, 'no markup injected from names');
  assert.equal(await B.page.locator('#leaderboard i, #around i').count(), 0, 'no markup injected from names');

  // A moved on to question 2.
  await waitText(A.page, '#q-progress', 'Question 2 of 12');
  assert.match(await text(A.page, '#countdown'), /^\d+ s$/);
});

test('reload resumes the same player, score and question', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(A.score, 'needs the first test');
  await A.page.reload();
  await waitText(A.page, '#conn', 'connected');
  assert.equal(await A.page.locator('#join-view').isVisible(), false, 'join form hidden after reload');
  assert.equal(await text(A.page, '#me-name'), A.name);
  await waitText(A.page, '#my-score', fmt(A.score));
  await waitText(A.page, '#q-progress', 'Question 2 of 12');
  const q = await A.page.getAttribute('#question-card', 'data-question');
  assert.notEqual(q, A.firstQuestion, 'the answered question is not offered again');
  assert.notEqual(await text(A.page, '#prompt'), A.firstPrompt);
  assert.equal((await session(A.page)).player, A.player, 'same player after reload');
});

test('a dropped connection reconnects and resends the in-flight answer', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(A.score, 'needs the first test');
  const q = await A.page.getAttribute('#question-card', 'data-question');
  wsLog = [];
  dropped = null;
  wsMode = 'drop-next-answer';
  await A.page.locator('#question-card .option').first().click();
  await waitText(A.page, '#conn', 'reconnecting…', 3000);
  const t0 = Date.now();
  await waitText(A.page, '#conn', 'connected', 8000);
  t.diagnostic(`reconnected after ${Date.now() - t0} ms`);
  await waitText(A.page, '#result', /^Question 2: (Correct! \+[\d,]+ points|Incorrect · 0 points)/);
  assert.ok(dropped && dropped.question === q, `the answer to ${q} was in flight: ${JSON.stringify(dropped)}`);
  const resent = wsLog.map((f) => { try { return JSON.parse(f); } catch { return null; } })
    .filter((m) => m && m.type === 'answer' && m.answer_id === dropped.answer_id);
  assert.equal(resent.length, 2, `sent once, resent once with the same answer_id: ${JSON.stringify(resent)}`);
  assert.equal(resent[1].question, q);
  assert.equal(resent[1].option, 0);
  const r = await text(A.page, '#result');
  const pts = /Correct! \+([\d,]+)/.exec(r);
  A.score += pts ? Number(pts[1].replace(/,/g, '')) : 0;
  await waitText(A.page, '#my-score', fmt(A.score));
  await waitText(A.page, '#q-progress', 'Question 3 of 12');
});

test('joining with a taken name shows the error', { timeout: TEST_TIMEOUT }, async () => {
  await join(C, A.name);
  await waitText(C, '#join-error', /name is taken/i);
  assert.equal(await C.locator('#join-error').isVisible(), true);
  assert.equal(await C.locator('#play-view').isVisible(), false);
  // The same name in another case is taken too (names are unique case-insensitively).
  await C.fill('#name', A.name.toUpperCase());
  await C.click('#join');
  await waitText(C, '#join-error', /name is taken/i);
  // An unknown quiz is reported as such.
  await C.fill('#quiz', 'no-such-quiz');
  await C.fill('#name', 'Carol');
  await C.click('#join');
  await waitText(C, '#join-error', /no quiz with that id/i);
});

test('an invalid saved token returns to the join form with a message', { timeout: TEST_TIMEOUT }, async () => {
  await C.goto(`${base}/`);
  await C.evaluate(() => sessionStorage.setItem('quiz.session', JSON.stringify({
    quiz: 'demo', token: 'forged', ws_path: '/ws/demo?token=forged', name: 'Mallory', player: 'p0',
  })));
  await C.reload();
  await waitText(C, '#join-error', /session has expired or is invalid/i);
  assert.equal(await C.locator('#join-view').isVisible(), true);
  assert.equal(await session(C), null, 'the bad session is cleared');
});

test('create a quiz on /create with the admin key, then play it', { timeout: TEST_TIMEOUT }, async () => {
  await C.goto(`${base}/create`);
  assert.equal(await C.getAttribute('#admin-key', 'type'), 'password');
  assert.match(await C.inputValue('#quiz-json'), /"questions"/, 'an example is prefilled');
  const quiz = {
    id: 'e2e',
    title: 'E2E <b>quiz</b>',
    scoring: { kind: 'fixed' },
    questions: [
      { id: 'q1', prompt: 'What is <b>2+2</b>?', options: ['3', '4', '5'], correct: 1, points: 10, time_limit_ms: 30000 },
    ],
  };
  await C.fill('#admin-key', 'wrong-key');
  await C.fill('#quiz-json', '{"title": ');
  await C.click('#create');
  await waitText(C, '#create-result', /not valid JSON/i);
  await C.fill('#quiz-json', JSON.stringify(quiz, null, 2));
  await C.click('#create');
  await waitText(C, '#create-result', /wrong or missing admin key/i);
  await C.fill('#admin-key', ADMIN_KEY);
  await C.click('#create');
  await waitText(C, '#created-id', 'e2e');
  await C.click('#create');
  await waitText(C, '#create-result', /already exists/i);
  await C.fill('#quiz-json', JSON.stringify({ ...quiz, id: 'e2e-2' }));
  await C.click('#create');
  await waitText(C, '#created-id', 'e2e-2');

  // The link goes to the player page with the quiz prefilled.
  await C.click('#created-link');
  await C.waitForURL(/\/\?quiz=e2e-2$/);
  assert.equal(await C.inputValue('#quiz'), 'e2e-2');
  await C.fill('#name', 'Carol');
  await C.click('#join');
  await waitText(C, '#conn', 'connected');
  await waitText(C, '#quiz-title', 'E2E <b>quiz</b>');
  await waitText(C, '#prompt', 'What is <b>2+2</b>?');
  assert.equal(await C.locator('#prompt b, #quiz-title b').count(), 0, 'prompt markup shown as text');
  await C.locator('#question-card .option', { hasText: '4' }).click();
  await waitText(C, '#result', 'Question 1: Correct! +10 points');
  await waitText(C, '#my-score', '10');
  await C.locator('#finished').waitFor({ state: 'visible' });
  await waitText(C, '#final-score', '10');
  await waitText(C, '#my-rank', 'You are #1 of 1');
  const me = (await session(C)).player;
  await waitText(C, `#leaderboard li[data-player="${me}"] .score`, '10');

  // Leave asks first: "Stay" keeps the game; "Leave" clears the session and shows the join form.
  await C.click('#leave');
  await C.locator('#leave-confirm').waitFor({ state: 'visible' });
  await C.click('#leave-no');
  assert.ok(await C.locator('#play-view').isVisible());
  assert.notEqual(await session(C), null);
  await C.click('#leave');
  await C.click('#leave-yes');
  await C.locator('#join-view').waitFor({ state: 'visible' });
  assert.equal(await session(C), null);
});

test('a quiz with generated names gives the player a friendly name; a denied name is refused', { timeout: TEST_TIMEOUT }, async () => {
  const quiz = {
    id: 'e2e-names',
    title: 'Names',
    questions: [{ id: 'q1', prompt: 'P?', options: ['a', 'b'], correct: 1, points: 10, time_limit_ms: 30000 }],
  };
  await C.goto(`${base}/create`);
  await C.fill('#admin-key', ADMIN_KEY);
  await C.fill('#quiz-json', JSON.stringify(quiz));
  await C.check('#generated-names');
  await C.click('#create');
  await waitText(C, '#created-id', 'e2e-names');
  await C.click('#created-link');
  await C.waitForURL(/\/\?quiz=e2e-names$/);
  await C.fill('#name', 'Whatever I Type');
  await C.click('#join');
  await waitText(C, '#conn', 'connected');
  const shown = (await C.textContent('#me-name')).trim();
  assert.notEqual(shown, 'Whatever I Type');
  assert.match(shown, /^[A-Z][a-z]+ [A-Z][a-z]+$/, `a friendly name: ${shown}`);
  await C.click('#leave');
  await C.click('#leave-yes');
  await C.locator('#join-view').waitFor({ state: 'visible' });
  // A requested-names quiz refuses a name on the deny list, look-alikes included.
  await C.fill('#quiz', 'demo');
  await C.fill('#name', 'Sh1t Happens');
  await C.click('#join');
  await waitText(C, '#join-error', /not allowed/i);
});

test('no script errors on any page', () => {
  assert.deepEqual(pageErrors, []);
});

// End-to-end test of a hosted game (host console + players) in headless Chromium against
// the real server binary.
//
//   cd apps/server/tests/browser && npm ci
//   QUIZ_SERVER_BIN=/path/to/target/debug/quiz-server node --test hosted.test.mjs
//
// Like browser.test.mjs: the test starts the server on a free loopback port, drives Debian's
// Chromium through playwright-core (no browser download), and asserts on what the pages show.
// Screenshots of the host console go to $QUIZ_SCREENSHOT_DIR (default: ./screenshots/).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join as joinPath, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage, shutDown, sleep, startServerAndBrowser, waitCount, waitText } from './harness.mjs';

const ADMIN_KEY = 'test-admin-key-hosted';
const STEP_TIMEOUT = 10_000; // any single wait
const TEST_TIMEOUT = 40_000; // any single scenario
const HERE = fileURLToPath(new URL('.', import.meta.url));
const SHOTS = resolve(process.env.QUIZ_SCREENSHOT_DIR || joinPath(HERE, 'screenshots'));
// Only for working on the web files: serve the pages from this directory instead of the
// copies compiled into the binary (they are embedded at build time), so a change can be
// tried without a rebuild. Unset in CI.
const WEB_DIR = process.env.QUIZ_TEST_WEB_DIR ? resolve(process.env.QUIZ_TEST_WEB_DIR) : null;

const TIME_LIMIT_MS = 20_000;
const QUIZ = {
  id: 'hosted-e2e',
  title: 'Hosted <b>E2E</b>',
  mode: 'hosted',
  hosted: { end_early: true },
  scoring: { kind: 'speed_weighted' },
  questions: [
    {
      id: 'q1', prompt: 'What is 2 + 2?', options: ['3', '4', '5', '22'], correct: 1, points: 1000,
      time_limit_ms: TIME_LIMIT_MS, explanation: 'Two and two make four.',
    },
    {
      id: 'q2', prompt: 'Which planet is called the red planet?', options: ['Venus', 'Mars', 'Jupiter'], correct: 1,
      points: 1000, time_limit_ms: TIME_LIMIT_MS, explanation: 'Iron oxide dust makes Mars look red.',
    },
    {
      id: 'q3', prompt: 'What is the capital of Japan?', options: ['Kyoto', 'Osaka', 'Tokyo'], correct: 2,
      points: 1000, time_limit_ms: TIME_LIMIT_MS, explanation: 'Tokyo has been the capital since 1868.',
    },
  ],
};

let server = null; // child process
let base = '';
let browser = null;
let tmp = null;
const contexts = [];
const pageErrors = [];

// Shared between the scenarios, which run in order.
let created = null; // the create response
let host = null; // the host console page
// Ann, Bob and Cat play to the end; Dan is kicked during question 2.
const P = {
  ann: { name: 'Ann', page: null, player: null },
  bob: { name: '<i>Bob</i>', page: null, player: null }, // markup in a name must show as text
  cat: { name: 'Cat', page: null, player: null },
  dan: { name: 'Dan', page: null, player: null },
};
const players = () => Object.values(P);
const reached = new Set(); // scenarios that ran to their end

// Players get a phone-sized viewport; the host a big screen.
const newPage = (size) => openPage({ browser, base, contexts, pageErrors, webDir: WEB_DIR }, { ...size, timeout: STEP_TIMEOUT });

/** A number as the English page shows it ("1,850"). */
const fmt = (n) => Number(n).toLocaleString('en-US');
const parsePts = (s) => Number(String(s).replace(/,/g, ''));

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

/**
 * A player answers option `i` of the open question and sees the locked-in state (unless the
 * answer is the last one expected: then the reveal follows at once).
 */
async function answer(p, i, { last = false } = {}) {
  await p.page.locator('#options .option').nth(i).click();
  if (!last) await waitText(p.page, '#q-status', 'Answer locked in');
}

/** The host's board rows as {rank, name, score}. */
async function hostRows(sel) {
  return host.locator(sel).evaluateAll((lis) => lis.map((li) => ({
    rank: li.querySelector('.rank').textContent,
    name: li.querySelector('.pname').firstChild.textContent,
    score: Number(li.querySelector('.score').textContent.replace(/\D/g, '')),
  })));
}

before(async () => {
  ({ server, base, browser, tmp } = await startServerAndBrowser({
    testFile: 'hosted.test.mjs', adminKey: ADMIN_KEY, extraArgs: [], tmpPrefix: 'quiz-hosted-test-', webDir: WEB_DIR,
  }));
});

after(() => shutDown({ contexts, browser, server, tmp }));

test('lobby: the host console shows the game PIN and join link; four players join', { timeout: TEST_TIMEOUT }, async () => {
  const res = await fetch(`${base}/api/quizzes`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Admin-Key': ADMIN_KEY },
    body: JSON.stringify(QUIZ),
  });
  created = await res.json();
  assert.equal(res.status, 201, `create: ${JSON.stringify(created)}`);
  assert.equal(created.mode, 'hosted');
  assert.equal(typeof created.host_key, 'string');
  assert.match(created.host_url, new RegExp(`^/host/${QUIZ.id}#key=.+`));

  host = await newPage({ width: 1280, height: 860 });
  await host.goto(base + created.host_url);
  await waitText(host, '#conn', 'connected');
  assert.equal(new URL(host.url()).hash, '', 'the key is taken out of the address bar');
  assert.equal(await host.locator('#key-view').isVisible(), false);
  await waitText(host, '#h-phase', /^Lobby/);
  assert.match(created.pin, /^[1-9][0-9]{5}$/);
  await waitText(host, '#big-id', created.pin);
  assert.equal(await text(host, '#h-title'), QUIZ.title, 'the title with markup shows as text');
  const joinHref = await host.getAttribute('#join-link', 'href');
  assert.equal(joinHref, `${base}/join/${created.pin}`);
  assert.equal(await text(host, '#join-link'), joinHref);
  assert.equal(await text(host, '#h-player-count'), '0 players');
  assert.ok(await enabled(host, '#btn-start'), 'Start applies in the lobby');
  for (const b of ['#btn-next', '#btn-skip', '#btn-pause']) assert.equal(await enabled(host, b), false, `${b} is disabled in the lobby`);

  for (const p of players()) {
    p.page = await newPage();
    await p.page.goto(joinHref);
    assert.equal(await p.page.inputValue('#quiz'), created.pin);
    await p.page.fill('#name', p.name);
    await p.page.click('#join');
    await waitText(p.page, '#conn', 'connected');
    await waitText(p.page, '#h-phase', 'Waiting for the host to start');
    assert.equal(await text(p.page, '#me-name'), p.name);
    assert.equal(await p.page.locator('#question-card').isVisible(), false);
    p.player = (await session(p.page)).player;
  }
  await waitText(host, '#h-player-count', '4 players');
  await waitCount(host, '#players li', 4);
  assert.deepEqual(await texts(host, '#players li .pname'), players().map((p) => p.name));
  assert.equal(await host.locator('#players button', { hasText: 'Kick' }).count(), 4);
  assert.equal(await host.locator('#players i, #h-title b').count(), 0, 'no markup injected from names');
  await waitText(P.ann.page, '#h-players', /^4 players in the game/);
  reached.add('lobby');
});

test('question 1: everyone answers, it closes early; the reveal on host and players', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(reached.has('lobby'), 'needs the lobby');
  await host.click('#btn-start');
  await waitText(host, '#h-phase', 'Question 1 of 3');
  const opened = Date.now();
  assert.equal(await text(host, '#hq-prompt'), QUIZ.questions[0].prompt);
  assert.deepEqual(await texts(host, '#hq-options li'), ['▲A3', '◆B4', '●C5', '■D22']);
  await waitText(host, '#hq-answered', 'Answered 0 of 4');
  const secs = Number(await text(host, '#hq-countdown'));
  assert.ok(secs > 10 && secs <= 20, `countdown synced to the server clock: ${secs}`);
  assert.equal(await enabled(host, '#btn-start'), false);
  assert.ok(await enabled(host, '#btn-skip'));
  assert.equal(await enabled(host, '#btn-next'), false, 'no Next while the question is open');
  assert.equal(await enabled(host, '#btn-lock'), false, 'Lock applies in the lobby only');

  for (const p of players()) {
    await waitText(p.page, '#prompt', QUIZ.questions[0].prompt);
    await waitText(p.page, '#q-progress', 'Question 1 of 3');
    assert.match(await text(p.page, '#countdown'), /^\d+ s$/);
    assert.deepEqual(await texts(p.page, '#options .option .tile-text'), QUIZ.questions[0].options);
  }
  // Ann, Cat and Dan right (option 1), Bob wrong (option 0).
  await answer(P.ann, 1);
  await answer(P.bob, 0);
  await answer(P.dan, 1);
  await waitText(host, '#hq-answered', 'Answered 3 of 4');
  assert.equal(await text(P.ann.page, '#my-score'), '0', 'points stay hidden until the reveal');
  await answer(P.cat, 1, { last: true });

  // Everyone answered: the reveal comes long before the time limit.
  await waitText(host, '#h-phase', 'Question 1 of 3: the answer');
  const took = Date.now() - opened;
  t.diagnostic(`reveal ${took} ms after the question opened (limit ${TIME_LIMIT_MS} ms)`);
  assert.ok(took < TIME_LIMIT_MS - 5000, `closed early: ${took} ms`);
  await waitText(host, '#hr-answered', '4 answers');
  assert.deepEqual(await texts(host, '#hr-bars .bar-count'), ['1', '3', '0', '0']);
  assert.deepEqual(await texts(host, '#hr-bars .bar-row.correct .bar-text'), ['4']);
  assert.match(await text(host, '#hr-bars .bar-row.correct'), /✓ correct/);
  assert.equal(await text(host, '#hr-explanation'), QUIZ.questions[0].explanation);
  assert.ok(await enabled(host, '#btn-next'), 'Next applies at the reveal');
  t.diagnostic(`screenshot: ${await shot(host, 'host-reveal.png')}`);

  for (const p of [P.ann, P.cat, P.dan]) {
    await waitText(p.page, '#h-result', /^Correct! \+[\d,]+ points$/);
    const pts = parsePts(/\+([\d,]+)/.exec(await text(p.page, '#h-result'))[1]);
    assert.ok(pts > 0 && pts <= 1000, `points ${pts}`);
    await waitText(p.page, '#h-total', `Your total: ${fmt(pts)} points`);
    await waitText(p.page, '#my-score', fmt(pts));
    p.score = pts;
  }
  await waitText(P.bob.page, '#h-result', 'Wrong · 0 points');
  await waitText(P.bob.page, '#my-score', '0');
  P.bob.score = 0;
  for (const p of players()) {
    await waitText(p.page, '#h-answer', 'The answer: 4');
    assert.equal(await text(p.page, '#h-explanation'), QUIZ.questions[0].explanation);
  }
  reached.add('q1');
});

test('board after question 1: ranks on the host and on each player', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(reached.has('q1'), 'needs question 1');
  await host.click('#btn-next');
  await waitText(host, '#h-phase', 'Leaderboard after question 1 of 3');
  await host.locator('#hb-list li').first().waitFor();
  const rows = await hostRows('#hb-list li');
  for (const p of [P.ann, P.cat, P.dan]) {
    const row = rows.find((r) => r.name === p.name);
    assert.ok(row, `${p.name} on the host's board: ${JSON.stringify(rows)}`);
    assert.equal(row.score, p.score);
    await waitText(p.page, '#h-rank', new RegExp(`^You are ${row.rank} of \\d+$`));
    await waitText(p.page, '#my-rank', new RegExp(`^You are ${row.rank} of \\d+$`));
    await waitText(p.page, `#leaderboard li[data-player="${p.player}"] .score`, fmt(p.score));
  }
  assert.equal(rows[0].rank, '#1');
  assert.ok(await enabled(host, '#btn-next'));
  assert.equal(await text(host, '#btn-next'), 'Next question');
  reached.add('board1');
});

test('question 2: a reload keeps the score; a kicked player is removed; it closes early', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(reached.has('board1'), 'needs the board after question 1');
  await host.click('#btn-next');
  await waitText(host, '#h-phase', 'Question 2 of 3');
  const opened = Date.now();
  await waitText(host, '#hq-answered', 'Answered 0 of 4');

  // Ann reloads mid-question and comes back into the game with her score.
  await waitText(P.ann.page, '#prompt', QUIZ.questions[1].prompt);
  const before = await text(P.ann.page, '#my-score');
  assert.equal(before, fmt(P.ann.score));
  await P.ann.page.reload();
  await waitText(P.ann.page, '#conn', 'connected');
  assert.equal(await P.ann.page.locator('#join-view').isVisible(), false, 'still in the game after reload');
  await waitText(P.ann.page, '#prompt', QUIZ.questions[1].prompt);
  await waitText(P.ann.page, '#q-progress', 'Question 2 of 3');
  await waitText(P.ann.page, '#my-score', before);
  assert.equal((await session(P.ann.page)).player, P.ann.player, 'same player after reload');

  // The host kicks Dan: his page says so, the host's count drops, and his token is refused.
  const danSession = await session(P.dan.page);
  await host.locator('#players li', { hasText: P.dan.name }).getByRole('button', { name: `Kick ${P.dan.name}` }).click();
  await waitText(P.dan.page, '#join-error', 'You were removed by the host.');
  assert.equal(await P.dan.page.locator('#join-view').isVisible(), true);
  await waitText(host, '#h-player-count', '3 players');
  await waitText(host, '#hq-answered', 'Answered 0 of 3');
  await waitCount(host, '#players li', 3);
  assert.deepEqual(await texts(host, '#players li .pname'), [P.ann.name, P.bob.name, P.cat.name]);
  // Coming back with the old token (a reload with the session restored) is refused the same way.
  await P.dan.page.evaluate((s) => sessionStorage.setItem('quiz.session', JSON.stringify(s)), danSession);
  await P.dan.page.reload();
  await waitText(P.dan.page, '#join-error', 'You were removed by the host.');

  // Ann and Cat right (Mars), Bob wrong (Venus): all three answered, so it closes early.
  await answer(P.ann, 1);
  await answer(P.bob, 0);
  await waitText(host, '#hq-answered', 'Answered 2 of 3');
  await answer(P.cat, 1, { last: true });
  await waitText(host, '#h-phase', 'Question 2 of 3: the answer');
  const took = Date.now() - opened;
  t.diagnostic(`reveal ${took} ms after question 2 opened`);
  assert.ok(took < TIME_LIMIT_MS - 2000, `closed early: ${took} ms`);
  await waitText(host, '#hr-answered', '3 answers');
  assert.deepEqual(await texts(host, '#hr-bars .bar-count'), ['1', '2', '0']);
  assert.equal(await text(host, '#hr-explanation'), QUIZ.questions[1].explanation);
  for (const p of [P.ann, P.cat]) {
    await waitText(p.page, '#h-result', /^Correct! \+[\d,]+ points$/);
    p.score += parsePts(/\+([\d,]+)/.exec(await text(p.page, '#h-result'))[1]);
    await waitText(p.page, '#h-total', `Your total: ${fmt(p.score)} points`);
    await waitText(p.page, '#my-score', fmt(p.score));
  }
  await waitText(P.bob.page, '#h-result', 'Wrong · 0 points');

  // The board no longer has Dan: his points do not count.
  await host.click('#btn-next');
  await waitText(host, '#h-phase', 'Leaderboard after question 2 of 3');
  await host.locator('#hb-list li').first().waitFor();
  const rows = await hostRows('#hb-list li');
  assert.ok(!rows.some((r) => r.name === P.dan.name), `Dan is off the board: ${JSON.stringify(rows)}`);
  for (const p of [P.ann, P.cat]) {
    const row = rows.find((r) => r.name === p.name);
    assert.ok(row, `${p.name} on the board`);
    assert.equal(row.score, p.score);
    await waitText(p.page, '#h-rank', new RegExp(`^You are ${row.rank} of 3$`));
  }
  assert.equal(await text(host, '#btn-next'), 'Next question');
  reached.add('q2');
});

test('question 3: pause and resume, then skip to the reveal', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(reached.has('q2'), 'needs question 2');
  await host.click('#btn-next');
  await waitText(host, '#h-phase', 'Question 3 of 3');
  await waitText(P.cat.page, '#prompt', QUIZ.questions[2].prompt);

  await host.click('#btn-pause');
  await waitText(host, '#h-phase', 'Paused · Question 3 of 3');
  await waitText(host, '#btn-pause', 'Resume');
  assert.equal(await enabled(host, '#btn-skip'), false);
  await waitText(P.cat.page, '#h-phase', 'Paused · Question 3 of 3');
  await waitText(P.cat.page, '#h-paused', 'Paused by the host.');
  assert.equal(await P.cat.page.locator('#h-paused').isVisible(), true);
  assert.equal(await enabled(P.cat.page, '#options .option >> nth=0'), false, 'no answering while paused');
  const frozen = await text(host, '#hq-countdown');
  await sleep(1200);
  assert.equal(await text(host, '#hq-countdown'), frozen, 'the clock stands still while paused');
  await host.click('#btn-pause');
  await waitText(host, '#h-phase', 'Question 3 of 3');
  await waitText(P.cat.page, '#h-phase', 'Question 3 of 3');

  // Ann right (Tokyo), Bob wrong (Kyoto); Cat does not answer: the host skips to the reveal.
  await answer(P.ann, 2);
  await answer(P.bob, 0);
  await waitText(host, '#hq-answered', 'Answered 2 of 3');
  await host.click('#btn-skip');
  await waitText(host, '#h-phase', 'Question 3 of 3: the answer');
  await waitText(host, '#hr-answered', '2 answers');
  assert.deepEqual(await texts(host, '#hr-bars .bar-count'), ['1', '0', '1']);
  await waitText(P.cat.page, '#h-result', 'You did not answer · 0 points');
  await waitText(P.ann.page, '#h-result', /^Correct! \+[\d,]+ points$/);
  P.ann.score += parsePts(/\+([\d,]+)/.exec(await text(P.ann.page, '#h-result'))[1]);
  await waitText(P.ann.page, '#my-score', fmt(P.ann.score));

  await host.click('#btn-next');
  await waitText(host, '#h-phase', 'Leaderboard after question 3 of 3');
  await waitText(host, '#btn-next', 'Next: podium');
  reached.add('q3');
});

test('podium: top 3 on the host, the final rank on each player, the report', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(reached.has('q3'), 'needs question 3');
  await host.click('#btn-next');
  await waitText(host, '#h-phase', /^Podium/);
  await waitCount(host, '#hp-podium li', 3);
  const podium = await hostRows('#hp-podium li');
  assert.deepEqual(podium.map((r) => r.rank), ['1st', '2nd', '3rd']);
  assert.equal(podium[0].name, P.ann.name, `Ann has the most right answers: ${JSON.stringify(podium)}`);
  assert.equal(podium[0].score, P.ann.score);
  assert.deepEqual(podium.map((r) => r.name).sort(), [P.ann.name, P.bob.name, P.cat.name].sort());
  const final = await hostRows('#hp-final li');
  assert.ok(!final.some((r) => r.name === P.dan.name), 'Dan is not on the final board');
  for (const p of [P.ann, P.bob, P.cat]) {
    const place = podium.findIndex((r) => r.name === p.name) + 1;
    const word = ['1st', '2nd', '3rd'][place - 1];
    await waitText(p.page, '#h-final-rank', `You finished ${word} of 3`);
    await waitText(p.page, '#h-phase', 'Final results');
    await waitCount(p.page, '#h-podium-list li', 3);
    assert.match(await text(p.page, '#h-podium-list li.me'), new RegExp(`^${word}`));
  }
  await waitText(P.cat.page, '#h-final-score', `Final score: ${fmt(P.cat.score)} points`);
  for (const b of ['#btn-start', '#btn-next', '#btn-skip', '#btn-pause', '#btn-lock', '#btn-end']) {
    assert.equal(await enabled(host, b), false, `${b} is disabled at the podium`);
  }

  // The per-question report.
  await waitCount(host, '#report-body tr', 3);
  const rows = await host.locator('#report-body tr').evaluateAll((trs) => trs.map((tr) =>
    Array.from(tr.children, (c) => c.textContent)));
  t.diagnostic(`report: ${JSON.stringify(rows)}`);
  assert.deepEqual(rows.map((r) => r[1]), QUIZ.questions.map((q) => q.prompt));
  assert.deepEqual(rows[1].slice(2, 5), ['3', '2', '66.7%'], 'question 2: 3 answered, 2 right');
  assert.deepEqual(rows[2].slice(2, 5), ['2', '1', '50.0%'], 'question 3: 2 answered, 1 right');
  assert.equal(rows[2][6], 'A: 1 · B: 0 · C: 1');
  t.diagnostic(`screenshot: ${await shot(host, 'host-podium.png')}`);
});

test('create page: a hosted game links to its host console; a wrong key asks again', { timeout: TEST_TIMEOUT }, async () => {
  const c = await newPage();
  await c.goto(`${base}/create`);
  assert.equal(await c.locator('#hosted-options').isVisible(), false);
  await c.check('#mode-hosted');
  assert.equal(await c.locator('#hosted-options').isVisible(), true);
  await c.fill('#admin-key', ADMIN_KEY);
  await c.fill('#reveal-secs', '601');
  await c.click('#create');
  await waitText(c, '#create-result', /whole numbers from 1 to 600/);
  await c.fill('#reveal-secs', '8');
  const def = { id: 'hosted-e2e-2', title: 'Second game', questions: [QUIZ.questions[0]] };
  await c.fill('#quiz-json', JSON.stringify(def));
  await c.click('#create');
  await waitText(c, '#created-id', def.id);
  assert.equal(await text(c, '#host-link'), 'Open the host console');
  const href = await c.getAttribute('#host-link', 'href');
  assert.match(href, new RegExp(`^/host/${def.id}#key=.+`));
  const key = await text(c, '#host-key-out');
  assert.ok(key.length > 0, 'the host key is shown');
  assert.ok([key, encodeURIComponent(key)].some((k) => href === `/host/${def.id}#key=${k}`), `key ${key} in ${href}`);
  const quiz = await (await fetch(`${base}/api/quizzes/${def.id}`)).json();
  assert.equal(quiz.mode, 'hosted');
  assert.equal(quiz.hosted && quiz.hosted.reveal_secs, 8);

  // The link opens the console, on a phone too.
  await c.click('#host-link');
  await waitText(c, '#conn', 'connected');
  await waitText(c, '#big-id', /^[1-9][0-9]{5}$/);
  assert.equal(new URL(c.url()).hash, '');
  // Locking the lobby turns joiners away.
  await c.click('#btn-lock');
  await waitText(c, '#h-lock-state', 'lobby locked');
  await waitText(c, '#btn-lock', 'Unlock');
  const j = await newPage();
  await j.goto(`${base}/?quiz=${def.id}`);
  await j.fill('#name', 'Late');
  await j.click('#join');
  await waitText(j, '#join-error', /locked this game/);

  // A wrong key: the console asks for the key; the right one connects.
  const w = await newPage({ width: 1024, height: 700 });
  await w.goto(`${base}/host/${def.id}#key=wrong-key`);
  await waitText(w, '#key-error', /not accepted/);
  assert.equal(await w.locator('#console').isVisible(), false);
  await w.fill('#host-key', key);
  await w.click('#key-submit');
  await waitText(w, '#conn', 'connected');
  await waitText(w, '#h-phase', /^Lobby/);
  await waitText(w, '#h-lock-state', 'lobby locked');
});

test('no script errors on any page', () => {
  assert.deepEqual(pageErrors, []);
});

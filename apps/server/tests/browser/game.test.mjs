// The game screen and the phones in headless Chromium against the real server binary: the
// presenter view and the control panel on separate pages (the host key on both), a player
// who joins by the QR code's link (decoded from the canvas with jsQR) on a 360×640 phone and
// one who types the game PIN, every question type, a kick, a pause, a reload mid-question,
// to the podium; keyboard-only play and host commands,
// axe-core on every page (no serious or critical violation; the counts are printed), a
// host console opened mid-game (its roster), the results export, a second language and a
// right-to-left pseudo-language. Screenshots go to $QUIZ_SCREENSHOT_DIR (default
// ./screenshots/); look at them.
//
//   cd apps/server/tests/browser && npm ci
//   QUIZ_SERVER_BIN=/path/to/target/debug/quiz-server node --test game.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join as joinPath, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage, shutDown, startServerAndBrowser, waitCount, waitText } from './harness.mjs';

const ADMIN_KEY = 'test-admin-key-game';
const STEP_TIMEOUT = 10_000;
const TEST_TIMEOUT = 60_000;
const HERE = fileURLToPath(new URL('.', import.meta.url));
const SHOTS = resolve(process.env.QUIZ_SCREENSHOT_DIR || joinPath(HERE, 'screenshots'));
const WEB_DIR = process.env.QUIZ_TEST_WEB_DIR ? resolve(process.env.QUIZ_TEST_WEB_DIR) : null;
// axe-core from npm (package-lock.json pins it), injected through the DevTools protocol,
// which the pages' Content-Security-Policy does not govern.
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// jsQR from npm (test only): reads the QR code back from the lobby's canvas.
const jsQR = createRequire(import.meta.url)('jsqr');

const QUIZ = {
  id: 'game-e2e',
  title: 'Game screen',
  mode: 'hosted',
  hosted: { end_early: true },
  scoring: { kind: 'speed_weighted' },
  questions: [
    { id: 'q1', prompt: 'Which shape has three sides?', options: ['Triangle', 'Square', 'Circle', 'Hexagon'], correct: 0, points: 1000, time_limit_ms: 30_000, explanation: 'Tri means three.' },
    { id: 'q2', type: 'true_false', prompt: 'The Sun is a star.', correct: true, points: 500, time_limit_ms: 30_000 },
    { id: 'q3', type: 'multi', prompt: 'Which of these are even?', options: ['2', '3', '4', '5'], correct: [0, 2], points: 100, time_limit_ms: 30_000 },
    { id: 'q4', type: 'poll', prompt: 'Which snack?', options: ['Crisps', 'Fruit', 'Cake'], time_limit_ms: 30_000 },
    { id: 'q5', type: 'type_answer', prompt: 'What is the capital of Italy?', accepted: ['Rome', 'Roma'], points: 200, time_limit_ms: 30_000 },
  ],
};

let server = null;
let base = '';
let browser = null;
let tmp = null;
const contexts = [];
const pageErrors = [];
const reached = new Set();
let created = null;
let present = null; // the presenter view (?view=present)
let control = null; // the control panel (?view=control), another "device"
let phone = null; // a player at 360×640, joined by the QR code
let typist = null; // a player who typed the PIN (kicked during question 2)
let late = null; // a host console opened mid-game
let joinHref = '';
const N = QUIZ.questions.length;

const newPage = (size) => openPage({ browser, base, contexts, pageErrors, webDir: WEB_DIR }, { ...size, timeout: STEP_TIMEOUT });
const text = (page, sel) => page.locator(sel).textContent({ timeout: STEP_TIMEOUT });

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const path = joinPath(SHOTS, name);
  await page.screenshot({ path, fullPage: false });
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

before(async () => {
  ({ server, base, browser, tmp } = await startServerAndBrowser({
    testFile: 'game.test.mjs', adminKey: ADMIN_KEY, extraArgs: [], tmpPrefix: 'quiz-game-test-', webDir: WEB_DIR,
  }));
});

after(() => shutDown({ contexts, browser, server, tmp }));

test('the pages are served with their defences', async () => {
  for (const path of ['/', '/create', '/host/x', '/static/js/player/main.js']) {
    const res = await fetch(base + path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-security-policy') || '', /default-src 'self'.*frame-ancestors 'none'/, path);
    assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
  }
});

test('presenter view and control panel on separate pages; a phone joins by the QR link', { timeout: TEST_TIMEOUT }, async (t) => {
  const res = await fetch(`${base}/api/quizzes`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Admin-Key': ADMIN_KEY },
    body: JSON.stringify(QUIZ),
  });
  created = await res.json();
  assert.equal(res.status, 201, JSON.stringify(created));
  const key = encodeURIComponent(created.host_key);

  present = await newPage({ width: 1280, height: 800 });
  await present.goto(`${base}/host/${QUIZ.id}?view=present#key=${key}`);
  await waitText(present, '#conn', 'connected');
  await waitText(present, '#h-phase', /^Lobby/);
  assert.equal(await present.locator('#control').isVisible(), false, 'no admin controls on the presenter view');
  assert.equal(await present.locator('#btn-start').isVisible(), false);
  assert.equal(await present.locator('#qr').isVisible(), true, 'the QR code is shown');
  // Opened at 127.0.0.1, which no phone can reach: the host screen says so.
  assert.equal(await present.locator('#loopback-warning').isVisible(), true);
  // The game PIN, large, and the join link by PIN.
  const pin = created.pin;
  assert.match(pin, /^[1-9][0-9]{5}$/, `the create response's PIN: ${pin}`);
  await waitText(present, '#big-id', pin);
  await waitText(present, '#with-id', 'with the game PIN');
  await waitText(present, '#join-link', `${base}/join/${pin}`);
  joinHref = await present.getAttribute('#join-link', 'href');
  assert.equal(joinHref, `${base}/join/${pin}`);
  // The QR code encodes that link: read back from the canvas and decoded.
  await present.waitForFunction((u) => document.getElementById('qr').dataset.url === u, joinHref);
  const qr = await present.evaluate(() => {
    const c = document.getElementById('qr');
    return { w: c.width, h: c.height, data: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data) };
  });
  const decoded = jsQR(Uint8ClampedArray.from(qr.data), qr.w, qr.h);
  assert.ok(decoded, 'the QR code decodes');
  assert.equal(decoded.data, joinHref, 'the QR code is the join link');

  control = await newPage({ width: 390, height: 844 });
  await control.goto(`${base}/host/${QUIZ.id}?view=control#key=${key}`);
  await waitText(control, '#conn', 'connected');
  assert.equal(await control.locator('#stage').isVisible(), false, 'the control panel alone');
  await waitText(control, '#c-phase', `Lobby: waiting for players · Game PIN ${pin}`);
  assert.equal(await control.locator('#btn-start').isVisible(), true);
  assert.equal(await control.getAttribute('#export-csv', 'href'), `/api/quizzes/${QUIZ.id}/results.csv`);
  assert.equal(await control.getAttribute('#export-json', 'href'), `/api/quizzes/${QUIZ.id}/results.json`);

  // The player page starts empty; the QR code's link fills the PIN in, ready for a name.
  phone = await newPage({ width: 360, height: 640 });
  await phone.goto(base + '/');
  assert.equal(await phone.inputValue('#quiz'), '', 'no quiz id prefilled');
  await phone.goto(decoded.data);
  assert.equal(await phone.inputValue('#quiz'), pin);
  assert.equal(await phone.evaluate(() => document.activeElement.id), 'name', 'ready for a name');
  await phone.fill('#name', 'Pia');
  await phone.click('#join');
  await waitText(phone, '#h-phase', 'Waiting for the host to start');
  assert.equal(new URL(phone.url()).search, `?quiz=${QUIZ.id}`, 'a reload comes back to the game');
  // Another player types the PIN on the bare page; a wrong PIN is refused first.
  typist = await newPage({ width: 390, height: 844 });
  await typist.goto(base + '/');
  await typist.fill('#quiz', pin === '999999' ? '999998' : '999999');
  await typist.fill('#name', 'Quinn');
  await typist.click('#join');
  await waitText(typist, '#join-error', 'No game has that PIN. Check the number on the screen.');
  await typist.fill('#quiz', pin);
  await typist.click('#join');
  await waitText(typist, '#h-phase', 'Waiting for the host to start');
  await waitText(present, '#h-player-count', '2 players');
  await waitText(present, '#lobby-names', /Pia.*Quinn|Quinn.*Pia/); // the names on the projector, no controls
  await waitCount(control, '#players li', 2);
  await waitText(control, '#players-title', 'Players (2)');
  assert.equal(await present.locator('#players button.kick').first().isVisible(), false, 'no Kick on the projector');
  t.diagnostic(`screenshot: ${await shot(present, 'present-lobby.png')}`);
  t.diagnostic(`screenshot: ${await shot(control, 'control-lobby.png')}`);
  await axe(t, present, 'presenter view (lobby)');
  await axe(t, control, 'control panel');
  await axe(t, phone, 'player page (lobby)');
  reached.add('lobby');
});

test('keyboard only: the presenter starts with a key, the phone answers with keys', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(reached.has('lobby'));
  await present.bringToFront();
  await present.keyboard.press('n'); // start: "get ready", then the question
  await present.locator('#get-ready').waitFor({ state: 'visible' });
  t.diagnostic(`screenshot: ${await shot(present, 'present-get-ready.png')}`);
  await waitText(present, '#h-phase', `Question 1 of ${N}`, 8000);
  await waitText(phone, '#prompt', QUIZ.questions[0].prompt);
  // Tiles: a letter and a shape as well as a colour, the same on phone and projector.
  const phoneTiles = await phone.locator('#options .option .tile-badge').allTextContents();
  const screenTiles = await present.locator('#hq-options .tile-badge').allTextContents();
  assert.deepEqual(phoneTiles, ['▲A', '◆B', '●C', '■D']);
  assert.deepEqual(screenTiles, phoneTiles);
  const colours = await phone.locator('#options .option').evaluateAll((bs) => bs.map((b) => getComputedStyle(b).backgroundColor));
  assert.equal(new Set(colours).size, 4, `four colours: ${colours}`);
  // Phone at 360×640: every tile is in view and at least 48 px high.
  const boxes = await phone.locator('#options .option').evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().toJSON()));
  for (const b of boxes) assert.ok(b.height >= 48 && b.width >= 48 && b.bottom <= 640, JSON.stringify(b));
  await phone.waitForTimeout(500); // the tiles' entrance
  t.diagnostic(`screenshot: ${await shot(phone, 'phone-question.png')}`);
  t.diagnostic(`screenshot: ${await shot(present, 'present-question.png')}`);
  await axe(t, phone, 'player page (question)');
  await axe(t, present, 'presenter view (question)');

  // Quinn answers Square (wrong); the phone answers with the keyboard alone: Tab to the
  // first tile, Enter.
  await typist.locator('#options .option').nth(1).click();
  await waitText(present, '#hq-answered', /1 of 2/);
  await phone.locator('body').focus();
  let focused = '';
  for (let i = 0; i < 30 && !focused.includes('option'); i++) {
    await phone.keyboard.press('Tab');
    focused = await phone.evaluate(() => document.activeElement.className);
  }
  assert.match(focused, /option/);
  await phone.keyboard.press('Enter');
  await waitText(present, '#h-phase', `Question 1 of ${N}: the answer`); // both answered
  await waitText(phone, '#h-result', /^Correct! \+[\d,]+ points$/);
  await present.waitForTimeout(900); // the bars grow
  t.diagnostic(`screenshot: ${await shot(phone, 'phone-reveal.png')}`);
  t.diagnostic(`screenshot: ${await shot(present, 'present-reveal.png')}`);
  await axe(t, phone, 'player page (reveal)');
  await axe(t, present, 'presenter view (reveal)');

  // A host command from the control panel with the keyboard alone: Tab to Next, Enter.
  await control.bringToFront();
  await control.locator('body').focus();
  focused = '';
  for (let i = 0; i < 30 && focused !== 'btn-next'; i++) {
    await control.keyboard.press('Tab');
    focused = await control.evaluate(() => document.activeElement.id);
  }
  assert.equal(focused, 'btn-next');
  await control.keyboard.press('Enter');
  await waitText(present, '#h-phase', `Leaderboard after question 1 of ${N}`);
  // The confirmation fades away.
  await waitText(control, '#h-status', 'Moved on.');
  await control.locator('#h-status').waitFor({ state: 'hidden', timeout: 8000 });
  reached.add('q1');
});

test('a host console opened mid-game lists the players; a kick; pause from the presenter keys', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(reached.has('q1'));
  await present.bringToFront();
  await present.keyboard.press('n'); // next question, after "get ready"
  await waitText(present, '#h-phase', `Question 2 of ${N}`, 8000);
  await waitText(present, '#hq-answered', /0 of 2/);
  // Opened mid-question (a reload, a second device): a question's phase frame lists no
  // players, yet the panel shows both at once with their Kick buttons, not "Nobody has
  // joined yet." under "Players (2)".
  late = await newPage({ width: 1280, height: 800 });
  await late.goto(`${base}/host/${QUIZ.id}?view=control#key=${encodeURIComponent(created.host_key)}`);
  await waitText(late, '#conn', 'connected');
  await waitText(late, '#h-phase', `Question 2 of ${N}`);
  await waitText(late, '#players-title', 'Players (2)');
  await waitCount(late, '#players li', 2);
  assert.equal(await late.locator('#players-empty').isVisible(), false, 'not "Nobody has joined yet."');
  assert.equal(await late.locator('#players button.kick').count(), 2);
  // The results export is reachable from it.
  assert.equal(await late.locator('#export-csv').isVisible(), true);
  assert.equal(await late.getAttribute('#export-csv', 'href'), `/api/quizzes/${QUIZ.id}/results.csv`);
  assert.equal(await late.getAttribute('#export-json', 'href'), `/api/quizzes/${QUIZ.id}/results.json`);
  // Kicked from the control panel: Quinn's page says so; the question waits for Pia only.
  await late.locator('#players li', { hasText: 'Quinn' }).getByRole('button', { name: 'Kick Quinn' }).click();
  await waitText(typist, '#join-error', 'You were removed by the host.');
  await waitText(present, '#hq-answered', /0 of 1/);
  await waitText(late, '#players-title', 'Players (1)');
  t.diagnostic(`screenshot: ${await shot(late, 'control-kicked.png')}`);
  await present.keyboard.press('p');
  await waitText(present, '#h-phase', `Paused · Question 2 of ${N}`);
  await present.keyboard.press('p');
  await waitText(present, '#h-phase', `Question 2 of ${N}`);
  await waitText(phone, '#prompt', QUIZ.questions[1].prompt);
  assert.deepEqual(await phone.locator('#options .option .tile-text').allTextContents(), ['True', 'False']);
  await phone.locator('#options .option').first().click();
  await waitText(present, '#h-phase', `Question 2 of ${N}: the answer`);
  await present.keyboard.press('n');
  await waitText(present, '#h-phase', `Leaderboard after question 2 of ${N}`);
  reached.add('q2');
});

test('every other type: multi (with a reload mid-question), poll, typed answer, to the podium', { timeout: TEST_TIMEOUT }, async () => {
  assert.ok(reached.has('q2'));
  const next = async (i) => {
    await present.bringToFront();
    await present.keyboard.press('n');
    await waitText(present, '#h-phase', `Question ${i} of ${N}`, 8000);
    await waitText(phone, '#prompt', QUIZ.questions[i - 1].prompt);
  };
  const revealed = async (i) => {
    await waitText(present, '#h-phase', `Question ${i} of ${N}: the answer`);
    await present.keyboard.press('n');
    await waitText(present, '#h-phase', `Leaderboard after question ${i} of ${N}`);
  };

  // Multi: the phone reloads mid-question and comes back to it with its score.
  await next(3);
  const score = await text(phone, '#my-score');
  await phone.reload();
  await waitText(phone, '#conn', 'connected');
  assert.equal(await phone.locator('#join-view').isVisible(), false, 'still in the game after the reload');
  await waitText(phone, '#prompt', QUIZ.questions[2].prompt);
  await waitText(phone, '#my-score', score);
  for (const l of ['2', '4']) await phone.locator('#options .option', { has: phone.locator('.tile-text', { hasText: new RegExp(`^${l}$`) }) }).click();
  await phone.click('#options .submit-answer');
  await revealed(3);

  // Poll.
  await next(4);
  await phone.locator('#options .option', { hasText: 'Cake' }).click();
  await waitText(present, '#hr-answered', '1 vote');
  await revealed(4);

  // Typed answer.
  await next(5);
  const input = phone.locator('#options input.answer-text');
  await input.waitFor({ state: 'visible' });
  await input.fill('Roma');
  await input.press('Enter');
  await waitText(present, '#hr-accepted', 'Accepted answers: Rome · Roma');
  await revealed(5);

  await present.keyboard.press('n');
  await waitText(present, '#h-phase', /^Podium/);
  await waitCount(present, '#hp-podium li', 1);
  await waitText(phone, '#h-final-rank', 'You finished 1st of 1');
  reached.add('podium');
});

test('podium, the report and the export on the control panel', { timeout: TEST_TIMEOUT }, async (t) => {
  assert.ok(reached.has('podium'));
  await present.waitForTimeout(2500); // the podium's animation
  t.diagnostic(`screenshot: ${await shot(present, 'present-podium.png')}`);
  await waitCount(control, '#report-body tr', N);
  t.diagnostic(`screenshot: ${await shot(control, 'control-podium.png')}`);
  const csv = await control.evaluate(async (href) => (await fetch(href)).text(), await control.getAttribute('#export-csv', 'href'));
  assert.match(csv, /Pia/);
  await axe(t, present, 'presenter view (podium)');
  await axe(t, control, 'control panel (podium)');
});

test('a second language, the switch, and right-to-left', { timeout: TEST_TIMEOUT }, async (t) => {
  const p = await newPage({ width: 360, height: 640 });
  await p.goto(`${base}/?lang=de`);
  await waitText(p, '#join-title', 'Einem Quiz beitreten');
  assert.equal(await p.getAttribute('html', 'lang'), 'de');
  // The switch changes the language in place and remembers it.
  await p.selectOption('#lang-select', 'es');
  await waitText(p, '#join-title', 'Unirse a un quiz');
  await p.goto(`${base}/`);
  await waitText(p, '#join-title', 'Unirse a un quiz');
  await p.goto(joinHref);
  await p.fill('#name', 'Eva');
  await p.click('#join');
  await waitText(p, '#join-error', 'Esta partida ha terminado: ya no admite jugadores.');
  t.diagnostic(`screenshot: ${await shot(p, 'phone-spanish.png')}`);
  await axe(t, p, 'player page (Spanish)');

  // A browser whose first language is German gets German.
  const ctx = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } });
  contexts.push(ctx);
  const g = await ctx.newPage();
  g.on('pageerror', (e) => pageErrors.push(`${g.url()}: ${e.message}`));
  await g.goto(`${base}/create`);
  await waitText(g, 'h1', 'Ein Quiz erstellen');
  await axe(t, g, 'create page (German)');

  const r = await newPage({ width: 1280, height: 800 });
  await r.goto(`${base}/host/${QUIZ.id}?lang=ar-XB#key=${encodeURIComponent(created.host_key)}`);
  await waitText(r, '#conn', '[connected]');
  assert.equal(await r.getAttribute('html', 'dir'), 'rtl');
  const stage = await r.locator('#stage').boundingBox();
  const panel = await r.locator('#control').boundingBox();
  assert.ok(panel.x < stage.x, 'the control panel is on the left in right-to-left');
  t.diagnostic(`screenshot: ${await shot(r, 'host-rtl.png')}`);
  const rp = await newPage({ width: 360, height: 640 });
  await rp.goto(`${base}/?lang=ar-XB`);
  assert.equal(await rp.getAttribute('html', 'dir'), 'rtl');
  t.diagnostic(`screenshot: ${await shot(rp, 'phone-rtl.png')}`);
});

test('the create page passes axe', { timeout: TEST_TIMEOUT }, async (t) => {
  const c = await newPage({ width: 1280, height: 800 });
  await c.goto(`${base}/create?lang=en`);
  await waitText(c, 'h1', 'Create a quiz');
  await axe(t, c, 'create page');
  const h = await newPage({ width: 1280, height: 800 });
  await h.goto(`${base}/host/${QUIZ.id}`);
  await h.locator('#key-view').waitFor({ state: 'visible' });
  await axe(t, h, 'host key form');
});

test('the CSP check sees a violation (an inline script the policy blocks)', { timeout: TEST_TIMEOUT }, async () => {
  const probe = { browser, base, contexts, pageErrors: [], webDir: WEB_DIR };
  const p = await openPage(probe, { timeout: STEP_TIMEOUT });
  await p.goto(base + '/');
  const ran = await p.evaluate(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.inlineRan = true;';
    document.body.append(s);
    await new Promise((r) => setTimeout(r, 200));
    return window.inlineRan === true;
  });
  assert.equal(ran, false, 'the inline script was blocked');
  for (let i = 0; i < 20 && probe.pageErrors.length === 0; i++) await p.waitForTimeout(100);
  assert.ok(probe.pageErrors.some((e) => /CSP|Content Security Policy/.test(e)), JSON.stringify(probe.pageErrors));
});

test('no script errors and no CSP violation on any page', () => {
  assert.deepEqual(pageErrors, []);
});

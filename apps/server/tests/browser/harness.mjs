// What the browser tests share: starting and stopping the real server binary, and serving
// the web client from a directory (QUIZ_TEST_WEB_DIR) instead of the pages compiled into it.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join as joinPath, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A loopback port nothing listens on right now. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** Waits for `url` to answer 200; fails early if the `child` server process exits (with its log). */
export async function waitHealthy(child, log, url, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`quiz-server exited early (code ${child.exitCode}, signal ${child.signalCode}):\n${log()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e.message;
    }
    await sleep(100);
  }
  throw new Error(`quiz-server did not answer ${url} with 200 within ${deadlineMs} ms (last: ${last}):\n${log()}`);
}

/** SIGTERM, then SIGKILL after 3 s if the process is still there. */
export function stopChild(child) {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, 3000).unref();
  }
}

// The pages and files of web.rs, with the headers it serves them with (so a test run from
// QUIZ_TEST_WEB_DIR sees the same Content-Security-Policy as one against the binary).
const PAGES = [
  [/^\/$/, 'index.html'],
  [/^\/create$/, 'create.html'],
  [/^\/host\/[^/]+$/, 'host.html'],
  [/^\/library$/, 'library.html'],
  [/^\/edit$/, 'edit.html'],
];
const TYPES = { html: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8' };
export const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
    "connect-src 'self'; font-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; " +
    "form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function webFile(path) {
  const page = PAGES.find(([re]) => re.test(path));
  if (page) return page[1];
  if (path.startsWith('/static/') && !path.includes('..')) return path.slice('/static/'.length);
  return null;
}

/** Makes the browser context `ctx` take the web client's files for `base` from `webDir`. */
export async function routeWebDir(ctx, base, webDir) {
  await ctx.route((url) => url.origin === base && webFile(url.pathname) !== null, (route) => {
    const file = webFile(new URL(route.request().url()).pathname);
    const type = TYPES[file.split('.').pop()] || 'text/plain; charset=utf-8';
    let body;
    try { body = readFileSync(joinPath(webDir, file)); } catch (_) { return route.fulfill({ status: 404, body: 'not found' }); }
    return route.fulfill({ status: 200, contentType: type, headers: { ...SECURITY_HEADERS, 'content-type': type }, body });
  });
}

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Starts the server binary named by QUIZ_SERVER_BIN on a free loopback port (a hermetic
 * environment: no QUIZ_* settings leak in from the caller's shell; `--throttle-ms 200`
 * plus `extraArgs`) and Debian's Chromium, headless. Returns what `shutDown` takes, plus
 * `base` (the server's URL) and `log()` (the server's last output).
 */
export async function startServerAndBrowser({ testFile, adminKey, extraArgs = [], tmpPrefix, webDir = null }) {
  const bin = process.env.QUIZ_SERVER_BIN;
  if (!bin) {
    throw new Error('QUIZ_SERVER_BIN is not set. Build the server (cargo build -p quiz-server) and run: ' +
      `QUIZ_SERVER_BIN=<repo>/target/debug/quiz-server node --test ${testFile}`);
  }
  if (!existsSync(bin)) throw new Error(`QUIZ_SERVER_BIN=${bin} does not exist; build it with cargo build -p quiz-server`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found; install it with apt-get install -y chromium`);

  // The server runs in a temporary directory of its own, so the embedded default's data
  // directory (quiz-data/ where it runs) starts empty and is removed with it.
  const tmp = mkdtempSync(joinPath(tmpdir(), tmpPrefix));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('QUIZ_')));
  const server = spawn(resolve(bin), [
    '--listen', `127.0.0.1:${port}`,
    '--admin-key', adminKey,
    '--throttle-ms', '200',
    ...extraArgs,
  ], { env, cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  process.on('exit', () => { if (server.exitCode === null) server.kill('SIGKILL'); });
  let log = '';
  const keep = (d) => { log = (log + d.toString()).slice(-20_000); };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  server.on('error', (e) => { log += `\nspawn error: ${e.message}`; });
  await waitHealthy(server, () => log, `${base}/healthz`, 30_000);

  // Playwright refuses a --user-data-dir argument in launch() (it would share one profile
  // between contexts); it creates a fresh temporary profile directory itself and deletes it
  // on close. The browser's own scratch files go to a temp dir of ours, removed at the end.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    env: { ...process.env, TMPDIR: tmp },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // Pages fulfilled by the test (QUIZ_TEST_WEB_DIR) have no address space of their own,
      // so Chromium would block their WebSocket to 127.0.0.1 as a local-network request.
      ...(webDir ? ['--disable-features=LocalNetworkAccessChecks'] : []),
    ],
  });
  return { server, base, browser, tmp, log: () => log };
}

/** Closes the browser contexts and the browser, stops the server, removes the temp dir. */
export async function shutDown({ contexts, browser, server, tmp }) {
  try {
    for (const ctx of contexts) await ctx.close().catch(() => {});
    if (browser) await browser.close().catch(() => {});
  } finally {
    stopChild(server);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** Waits until the first element matching `sel` shows `pattern` (a RegExp, or the exact text). */
export async function waitText(page, sel, pattern, timeout = 10_000) {
  const src = pattern instanceof RegExp ? pattern.source : null;
  const flags = pattern instanceof RegExp ? pattern.flags : '';
  await page.waitForFunction(
    ({ sel, src, flags, plain }) => {
      const e = document.querySelector(sel);
      if (!e) return false;
      const t = e.textContent || '';
      return src !== null ? new RegExp(src, flags).test(t) : t === plain;
    },
    { sel, src, flags, plain: src === null ? String(pattern) : null },
    { timeout },
  ).catch(async (e) => {
    const got = await page.locator(sel).first().textContent({ timeout: 500 }).catch(() => '(missing)');
    throw new Error(`waiting for ${sel} to show ${pattern}: got ${JSON.stringify(got)} (${e.message.split('\n')[0]})`);
  });
}

/** Waits until `sel` matches `n` elements. */
export async function waitCount(page, sel, n, timeout = 10_000) {
  await page.waitForFunction(({ sel, n }) => document.querySelectorAll(sel).length === n, { sel, n }, { timeout })
    .catch(async (e) => {
      const got = await page.locator(sel).count();
      throw new Error(`waiting for ${n} × ${sel}: got ${got} (${e.message.split('\n')[0]})`);
    });
}

/**
 * A page in a fresh browser context of `run.browser` (a phone-sized viewport unless told
 * otherwise), remembered in `run.contexts` for `shutDown`, with page errors collected in
 * `run.pageErrors` and, when `run.webDir` is set, the web client served from there.
 */
export async function openPage(run, { width = 360, height = 740, timeout = 10_000 } = {}) {
  const ctx = await run.browser.newContext({ viewport: { width, height } });
  run.contexts.push(ctx);
  if (run.webDir) await routeWebDir(ctx, run.base, run.webDir);
  const page = await ctx.newPage();
  page.setDefaultTimeout(timeout);
  page.on('pageerror', (e) => run.pageErrors.push(`${page.url()}: ${e.message}`));
  // Any Content-Security-Policy violation fails the run: Chromium reports it in the console,
  // and the page's securitypolicyviolation event is logged too (an init script runs through
  // the DevTools protocol, which the policy does not govern).
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|CSP violation/i.test(m.text())) {
      run.pageErrors.push(`${page.url()}: ${m.text()}`);
    }
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  return page;
}

// What the browser tests share: starting and stopping the real server binary, and serving
// the web client from a directory (QUIZ_TEST_WEB_DIR) instead of the pages compiled into it.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join as joinPath } from 'node:path';

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

const STATIC = [
  [/^\/$/, 'index.html', 'text/html; charset=utf-8'],
  [/^\/create$/, 'create.html', 'text/html; charset=utf-8'],
  [/^\/host\/[^/]+$/, 'host.html', 'text/html; charset=utf-8'],
  [/^\/app\.js$/, 'app.js', 'text/javascript; charset=utf-8'],
  [/^\/create\.js$/, 'create.js', 'text/javascript; charset=utf-8'],
  [/^\/host\.js$/, 'host.js', 'text/javascript; charset=utf-8'],
  [/^\/style\.css$/, 'style.css', 'text/css; charset=utf-8'],
];

/** Makes the browser context `ctx` take the web client's files for `base` from `webDir`. */
export async function routeWebDir(ctx, base, webDir) {
  await ctx.route((url) => url.origin === base && STATIC.some(([re]) => re.test(url.pathname)), (route) => {
    const path = new URL(route.request().url()).pathname;
    const [, file, type] = STATIC.find(([re]) => re.test(path));
    return route.fulfill({ status: 200, contentType: type, body: readFileSync(joinPath(webDir, file)) });
  });
}

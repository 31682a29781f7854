// What the library and the editor share: the admin key and calls to the admin API.
//
// The admin key is kept in sessionStorage, not localStorage: it is the server's master key
// (it creates, changes and deletes every quiz and works wherever a host key does), so it
// lives only as long as the tab, is never written to disk for later visitors of a shared
// classroom computer, and is not in any address. The library, the editor and the host
// console opened from the library share the tab, so it is typed once per session.

import { t } from './i18n.js';

const STORE = 'quiz.admin';

/** The admin key kept for this tab, or ''. */
export function adminKey() {
  try { return sessionStorage.getItem(STORE) || ''; } catch (_) { return ''; }
}

export function setAdminKey(key) {
  try {
    if (key) sessionStorage.setItem(STORE, key);
    else sessionStorage.removeItem(STORE);
  } catch (_) { /* storage off: the key is asked again next page */ }
}

/**
 * Lets the host console of `quiz`, opened in this tab, use the admin key (the key works
 * wherever the host key does; the console reads it from sessionStorage, so it never goes
 * into an address).
 */
export function shareKeyWithHost(quiz) {
  try { sessionStorage.setItem('quiz.host.' + quiz, adminKey()); } catch (_) { /* ignore */ }
}

/**
 * Calls the API with the admin key. `body`: an object (sent as JSON), a Blob or
 * ArrayBuffer (sent as bytes) or undefined. Resolves to `{status, data, response}` (`data`
 * the parsed JSON body or null); rejects only when the server cannot be reached.
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json', 'X-Admin-Key': adminKey() };
  let payload;
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    payload = body;
    headers['Content-Type'] = 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(path, { method, headers, body: payload });
  let data = null;
  if (response.status !== 204) {
    try { data = await response.json(); } catch (_) { data = null; }
  }
  return { status: response.status, data, response };
}

/** Error codes with a message of their own in the catalogue (`admin.error.<code>`). */
const KNOWN = ['unauthorized', 'quiz_exists', 'game_live', 'unknown_quiz', 'unsupported_media',
  'bad_image', 'image_too_large', 'payload_too_large', 'import_failed', 'rate_limited'];

/** A sentence for a failed call: the catalogue's for a known code, else the server's own. */
export function errorText(res) {
  const d = res && res.data;
  const code = d && typeof d.code === 'string' ? d.code : '';
  if (code && KNOWN.includes(code)) return t('admin.error.' + code);
  if (d && typeof d.message === 'string' && d.message) return d.message + (code ? ' (' + code + ')' : '');
  return t('admin.error.http', { status: res ? res.status : 0 });
}

/** Saves `blob` as a download named `name`. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

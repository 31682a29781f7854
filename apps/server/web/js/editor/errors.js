// The server's validation errors shown next to the field they name. A 400 says where with
// `field` ("questions[2].points", "title"); the input carrying that data-field (or, for a
// rule about a group such as `questions[2].correct`, the group's first input) gets
// aria-invalid and aria-describedby pointing at the message placed after it. A field the
// form does not show (a question's `id`, say) falls back to the nearest one it does:
// "questions[2].id" → the card of question 3.

let count = 0;

function byField(field) {
  const esc = CSS.escape(field);
  return document.querySelector(`#editor [data-field="${esc}"], #editor [data-alias~="${esc}"]`);
}

/** The element for `field`, or for the nearest enclosing path that has one. */
function target(field) {
  let f = field;
  while (f) {
    const hit = byField(f);
    if (hit) return hit;
    const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
    if (cut <= 0) break;
    f = f.slice(0, cut);
  }
  const q = /^questions\[(\d+)\]/.exec(field);
  if (q) return document.getElementById(`f-questions-${q[1]}-prompt`);
  return null;
}

const focusable = (n) => n instanceof HTMLInputElement || n instanceof HTMLTextAreaElement || n instanceof HTMLSelectElement;

/**
 * Shows `message` next to the field `field` names. Returns the input to focus, or null when
 * nothing on the page matches.
 */
export function showFieldError(field, message) {
  const node = target(field);
  if (!node) return null;
  const input = /** @type {HTMLElement|null} */ (focusable(node) ? node : node.querySelector('input, textarea, select'));
  const p = document.createElement('p');
  p.className = 'field-error';
  p.id = 'field-error-' + (++count);
  p.textContent = message;
  if (focusable(node)) node.after(p); else node.append(p);
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    const before = input.getAttribute('aria-describedby');
    input.dataset.describedBefore = before || '';
    input.setAttribute('aria-describedby', ((before ? before + ' ' : '') + p.id));
    input.dataset.errorId = p.id;
  }
  return input instanceof HTMLElement ? input : null;
}

/** Removes the error shown for `input` (the author is fixing it). */
export function clearFieldError(input) {
  const id = input && input.dataset && input.dataset.errorId;
  if (!id) return;
  document.getElementById(id)?.remove();
  input.removeAttribute('aria-invalid');
  if (input.dataset.describedBefore) input.setAttribute('aria-describedby', input.dataset.describedBefore);
  else input.removeAttribute('aria-describedby');
  delete input.dataset.errorId;
  delete input.dataset.describedBefore;
}

export function clearFieldErrors() {
  for (const n of document.querySelectorAll('#editor [data-error-id]')) clearFieldError(/** @type {HTMLElement} */ (n));
  for (const n of document.querySelectorAll('#editor .field-error:not(#json-error)')) n.remove();
}

// A question's image on the presenter view, the host console and the phones: the question
// frames carry `image` ("/media/<sha256>") when the question has one. Only the server's own
// media paths are shown (the page's policy allows images from this origin only); the size
// comes from game.css (.q-image), which fits it to a phone and to a projector.

import { t } from './i18n.js';

/** `url` when it is a `/media/<sha256 hex>` path, else ''. */
export function mediaPath(url) {
  return typeof url === 'string' && /^\/media\/[0-9a-f]{64}$/.test(url) ? url : '';
}

/**
 * Shows the image `url` in a figure placed right after `anchor` (the prompt), made on first
 * use; hides it when the question has none. Call it wherever a question or its reveal is
 * drawn.
 */
export function questionImage(anchor, url) {
  if (!anchor || !anchor.parentNode) return;
  let fig = anchor.nextElementSibling;
  if (!fig || !fig.classList.contains('q-image')) {
    fig = document.createElement('figure');
    fig.className = 'q-image';
    fig.append(document.createElement('img'));
    anchor.after(fig);
  }
  const img = /** @type {HTMLImageElement} */ (fig.firstElementChild);
  const path = mediaPath(url);
  fig.hidden = !path;
  if (!path) { img.removeAttribute('src'); return; }
  if (img.getAttribute('src') !== path) img.src = path;
  img.alt = t('media.alt');
}

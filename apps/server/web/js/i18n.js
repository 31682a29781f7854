// Translations: every string a person reads comes from a message catalogue
// (js/locales/<lang>.js). The language is the one chosen with the switch (kept in
// localStorage), else `?lang=` in the address, else the first of the browser's languages
// that has a catalogue, else English. A message is a string with {placeholders}, or an
// object of plural forms chosen with Intl.PluralRules ({one: …, other: …}; ordinals use the
// "ordinal" message and the ordinal rules). Numbers go through Intl.NumberFormat.
//
// "ar-XB" is a pseudo-catalogue for testing right-to-left layout: the English text marked
// with brackets, the page laid out right to left. It is offered in the switch only when
// the address asks for it (`?lang=ar-XB`).

import en from './locales/en.js';
import es from './locales/es.js';
import de from './locales/de.js';

const PSEUDO_RTL = 'ar-XB';
const STORE_KEY = 'quiz.lang';

/** The languages with a catalogue, by code, with their own names. */
export const LANGUAGES = {
  en: { name: 'English', messages: en },
  es: { name: 'Español', messages: es },
  de: { name: 'Deutsch', messages: de },
};

const RTL_LANGS = ['ar', 'he', 'fa', 'ur'];

let lang = 'en';
let messages = en;
let plural = new Intl.PluralRules('en');
let ordinalRules = new Intl.PluralRules('en', { type: 'ordinal' });
let numbers = new Intl.NumberFormat('en');
const listeners = [];

function pseudo(value) {
  if (typeof value === 'string') return '[' + value + ']';
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = '[' + v + ']';
    return out;
  }
  return value;
}

function pick(code) {
  if (!code) return null;
  if (code === PSEUDO_RTL) return PSEUDO_RTL;
  const base = String(code).toLowerCase().split('-')[0];
  return LANGUAGES[base] ? base : null;
}

function stored() {
  try { return localStorage.getItem(STORE_KEY); } catch (_) { return null; }
}

/** The language to start with (see the top of this file). */
function initialLang() {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  const chosen = pick(fromUrl) || pick(stored());
  if (chosen) return chosen;
  for (const l of navigator.languages || [navigator.language]) {
    const p = pick(l);
    if (p) return p;
  }
  return 'en';
}

/** The language in force ("en", "es", "de" or the pseudo "ar-XB"). */
export function currentLang() { return lang; }

/** The locale for Intl (the pseudo-catalogue formats like English). */
export function locale() { return lang === PSEUDO_RTL ? 'en' : lang; }

export function isRtl() {
  return lang === PSEUDO_RTL || RTL_LANGS.includes(lang.split('-')[0]);
}

function setLang(code) {
  lang = pick(code) || 'en';
  messages = lang === PSEUDO_RTL ? en : LANGUAGES[lang].messages;
  plural = new Intl.PluralRules(locale());
  ordinalRules = new Intl.PluralRules(locale(), { type: 'ordinal' });
  numbers = new Intl.NumberFormat(locale());
  document.documentElement.lang = lang;
  document.documentElement.dir = isRtl() ? 'rtl' : 'ltr';
}

/** A number in the language's digits and grouping. */
export function num(n) {
  return Number.isFinite(n) ? numbers.format(n) : String(n);
}

/** A number with one decimal (seconds, percentages). */
export function dec1(n) {
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(n);
}

/** 1st, 2nd, 3rd… (1.º, 2.º in Spanish; 1., 2. in German). */
export function ordinal(n) {
  return t('ordinal', { n, _rule: ordinalRules.select(n) });
}

function lookup(key) {
  let v = messages[key];
  if (v === undefined) v = en[key];
  if (v === undefined) return key;
  return lang === PSEUDO_RTL ? pseudo(v) : v;
}

/**
 * The message `key` with `params` filled in. A plural message picks its form by
 * `params.n` (or by `params._rule`, an already chosen rule, for ordinals).
 */
export function t(key, params) {
  let v = lookup(key);
  const p = params || {};
  if (v && typeof v === 'object') {
    const rule = p._rule || (Number.isFinite(p.n) ? plural.select(p.n) : 'other');
    v = v[rule] !== undefined ? v[rule] : v.other;
  }
  return String(v).replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in p)) return m;
    const x = p[name];
    return typeof x === 'number' ? num(x) : String(x);
  });
}

/**
 * Fills the page's static text: `data-i18n="key"` sets the text (parts of the message
 * between backquotes become <code>), `data-i18n-attr=
 * "attr:key attr2:key2"` sets attributes (aria-label, placeholder, title).
 */
export function translatePage(root) {
  const base = root || document;
  for (const node of base.querySelectorAll('[data-i18n]')) {
    const text = t(node.dataset.i18n);
    if (text.includes('`')) withCode(node, text);
    else if (node.textContent !== text) node.textContent = text;
  }
  for (const node of base.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of node.dataset.i18nAttr.split(/\s+/)) {
      const [attr, key] = pair.split(':');
      if (attr && key) node.setAttribute(attr, t(key));
    }
  }
}

/** Sets `text` into `node` with its `backquoted` parts as <code> elements (no markup parsed). */
function withCode(node, text) {
  const parts = text.split('`');
  node.replaceChildren(...parts.map((part, i) => {
    if (i % 2 === 0) return document.createTextNode(part);
    const code = document.createElement('code');
    code.textContent = part;
    return code;
  }));
}

/** Runs `fn` after every change of language (to re-render what code wrote). */
export function onLangChange(fn) { listeners.push(fn); }

/** Builds the language switch into `#lang-switch` (a labelled select). */
function buildSwitch() {
  const host = document.getElementById('lang-switch');
  if (!host) return;
  const id = 'lang-select';
  const label = document.createElement('label');
  label.htmlFor = id;
  label.className = 'visually-hidden';
  label.dataset.i18n = 'lang.label';
  const select = document.createElement('select');
  select.id = id;
  select.className = 'lang-select';
  const codes = Object.keys(LANGUAGES);
  if (lang === PSEUDO_RTL) codes.push(PSEUDO_RTL);
  for (const code of codes) {
    const o = document.createElement('option');
    o.value = code;
    o.lang = code;
    o.textContent = code === PSEUDO_RTL ? 'RTL (pseudo)' : LANGUAGES[code].name;
    select.append(o);
  }
  select.value = lang;
  select.addEventListener('change', () => {
    try { localStorage.setItem(STORE_KEY, select.value); } catch (_) { /* storage off */ }
    setLang(select.value);
    translatePage();
    for (const fn of listeners) fn();
  });
  host.replaceChildren(label, select);
}

/** Chooses the language, translates the page and builds the switch. Call once at start. */
export function initI18n() {
  setLang(initialLang());
  buildSwitch();
  translatePage();
}

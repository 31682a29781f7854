// Sound effects and lobby music, made with WebAudio oscillators (no audio files). A page
// has one Sound with a mute switch (a button with aria-pressed) whose choice is kept in
// localStorage. Browsers start audio only after a user gesture, so nothing plays before
// the first click or key press on the page.

import { t } from './i18n.js';

// Notes in Hz, and the effects as [frequency, start s, length s] triples.
const C5 = 523.25;
const E5 = 659.25;
const G5 = 783.99;
const C6 = 1046.5;
const EFFECTS = {
  lock: [[880, 0, 0.08]],
  go: [[C5, 0, 0.12], [G5, 0.12, 0.18]],
  tick: [[1200, 0, 0.05]],
  right: [[C5, 0, 0.1], [E5, 0.1, 0.1], [G5, 0.2, 0.2]],
  wrong: [[311, 0, 0.18], [233, 0.18, 0.3]],
  reveal: [[G5, 0, 0.1], [C6, 0.1, 0.25]],
  fanfare: [[C5, 0, 0.15], [E5, 0.15, 0.15], [G5, 0.3, 0.15], [C6, 0.45, 0.5]],
};
// The lobby's loop: a calm arpeggio, one note every 0.3 s.
const LOOP = [C5, E5, G5, E5, C5 * 1.122, E5 * 1.122, G5 * 1.122, E5 * 1.122];

export class Sound {
  /** `opts.defaultOn`: whether sound is on before the user chose; `opts.storeKey`: where the choice is kept. */
  constructor(opts) {
    this.key = opts.storeKey;
    let saved = null;
    try { saved = localStorage.getItem(this.key); } catch (_) { /* storage off */ }
    this.on = saved === null ? !!opts.defaultOn : saved === 'on';
    this.ctx = null;
    this.music = null;
    this.button = null;
    const unlock = () => { if (this.on) this.context(); };
    window.addEventListener('pointerdown', unlock, { once: true });
    window.addEventListener('keydown', unlock, { once: true });
  }

  context() {
    if (!this.ctx) {
      const Ctx = window.AudioContext || /** @type {any} */ (window).webkitAudioContext;
      if (!Ctx) return null;
      try { this.ctx = new Ctx(); } catch (_) { return null; }
    }
    if (this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
    return this.ctx;
  }

  /** Makes `button` the mute switch of this page. */
  bindToggle(button) {
    if (!button) return;
    this.button = button;
    button.addEventListener('click', () => this.set(!this.on));
    this.label();
  }

  label() {
    if (!this.button) return;
    this.button.setAttribute('aria-pressed', this.on ? 'true' : 'false');
    this.button.textContent = t(this.on ? 'sound.on' : 'sound.off');
  }

  set(on) {
    this.on = on;
    try { localStorage.setItem(this.key, on ? 'on' : 'off'); } catch (_) { /* storage off */ }
    if (on) this.context();
    else this.stopMusic(true);
    if (on && this.wantMusic) this.startMusic();
    this.label();
  }

  tone(freq, at, len, gain) {
    const ctx = this.ctx;
    const osc = ctx.createOscillator();
    const amp = ctx.createGain();
    osc.type = 'triangle';
    osc.frequency.value = freq;
    const start = ctx.currentTime + at;
    amp.gain.setValueAtTime(0.0001, start);
    amp.gain.exponentialRampToValueAtTime(gain, start + 0.02);
    amp.gain.exponentialRampToValueAtTime(0.0001, start + len);
    osc.connect(amp).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + len + 0.05);
  }

  /** Plays effect `name` (see EFFECTS) when sound is on and the page may play. */
  play(name) {
    if (!this.on || !this.ctx || this.ctx.state !== 'running') return;
    for (const [f, at, len] of EFFECTS[name] || []) this.tone(f, at, len, 0.15);
  }

  /** The lobby music: loops while wanted and sound is on. */
  startMusic() {
    this.wantMusic = true;
    if (this.music || !this.on) return;
    let i = 0;
    this.music = setInterval(() => {
      if (!this.ctx || this.ctx.state !== 'running') return;
      this.tone(LOOP[i % LOOP.length] / 2, 0, 0.28, 0.05);
      i++;
    }, 300);
  }

  stopMusic(keepWanted) {
    if (!keepWanted) this.wantMusic = false;
    clearInterval(this.music);
    this.music = null;
  }
}

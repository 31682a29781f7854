// The WebSocket of a page, shared by the player page and the host console: connect,
// reconnect with exponential backoff and jitter, ping every 15 s for the clock skew
// (server clock minus local clock), and dispatch of frames by their `type`.

export const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 5000;
const PING_EVERY_MS = 15000;

export function randomId(bytes) {
  const b = new Uint8Array(bytes || 12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** `path` on this page's host as a ws: or wss: URL. */
export function wsUrl(path) {
  const u = new URL(path, location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

/**
 * One logical connection. `opts`: `url()` (the address to open now), `handlers` (frame
 * type → function), `onState(state, reconnecting)` ("connecting", "reconnecting",
 * "connected", "idle"), `onOpen()`, `onClose(event, hadReady)` (return nothing; call
 * `retry()` to reconnect).
 */
export class Link {
  constructor(opts) {
    this.opts = opts;
    this.ws = null;
    this.gen = 0;           // increments per socket, so stale handlers are ignored
    this.isReady = false;   // the first meaningful frame arrived on the current socket
    this.backoff = BACKOFF_MIN_MS;
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.pingSent = new Map(); // nonce -> Date.now() when sent
    this.skew = 0;
  }

  serverNow() { return Date.now() + this.skew; }

  /** Takes the server's clock from a frame's `server_time` (one way; a pong refines it). */
  syncClock(serverTime) {
    if (Number.isFinite(serverTime)) this.skew = serverTime - Date.now();
  }

  open() { return !!(this.ws && this.ws.readyState === WebSocket.OPEN); }

  connect() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const gen = ++this.gen;
    if (this.ws) { try { this.ws.close(1000, 'bye'); } catch (_) { /* ignore */ } }
    this.isReady = false;
    this.state(this.backoff > BACKOFF_MIN_MS ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new WebSocket(this.opts.url());
    } catch (_) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => { if (gen === this.gen && this.opts.onOpen) this.opts.onOpen(); };
    ws.onmessage = (ev) => { if (gen === this.gen) this.dispatch(ev); };
    ws.onclose = (ev) => { if (gen === this.gen) this.closed(ev); };
    ws.onerror = () => { /* onclose follows and handles it */ };
  }

  /** Closes for good (no reconnect) until the next connect(). */
  disconnect() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.gen++;
    if (this.ws) { try { this.ws.close(1000, 'bye'); } catch (_) { /* ignore */ } }
    this.ws = null;
    this.isReady = false;
  }

  /** Reconnects after the backoff (at least `minDelay` ms), ±25 % jitter. */
  retry(minDelay) {
    clearTimeout(this.reconnectTimer);
    const base = Math.max(this.backoff, minDelay || 0);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.state('reconnecting');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** Reconnects now if a reconnect is waiting (the page became visible, went online). */
  hurry() {
    if (!this.ws && this.reconnectTimer) this.connect();
  }

  /** The first meaningful frame arrived: the connection works (backoff reset, pings start). */
  ready() {
    if (this.isReady) return false;
    this.isReady = true;
    this.backoff = BACKOFF_MIN_MS;
    this.state('connected');
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
    this.ping();
    return true;
  }

  /** @param {import('@contracts').ClientMessage} obj */
  send(obj) {
    if (this.open()) {
      this.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  ping() {
    const nonce = randomId(8);
    this.pingSent.set(nonce, Date.now());
    if (this.pingSent.size > 8) this.pingSent.delete(this.pingSent.keys().next().value);
    this.send({ type: 'ping', nonce });
  }

  state(s) { if (this.opts.onState) this.opts.onState(s); }

  dispatch(ev) {
    let msg;
    try { msg = JSON.parse(ev.data); } catch (_) { return; }
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === 'pong') { this.pong(msg); return; }
    const fn = this.opts.handlers[msg.type];
    if (fn) fn(msg);
  }

  /** @param {import('@contracts').Frame<'pong'>} msg */
  pong(msg) {
    const sent = this.pingSent.get(msg.nonce);
    if (sent !== undefined && Number.isFinite(msg.server_time)) {
      this.pingSent.delete(msg.nonce);
      const now = Date.now();
      this.skew = msg.server_time + (now - sent) / 2 - now;
    }
  }

  closed(ev) {
    const hadReady = this.isReady;
    this.ws = null;
    this.isReady = false;
    clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.opts.onClose(ev, hadReady);
  }
}

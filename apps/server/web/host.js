// The host console of a hosted game (`/host/{quiz}`): one WebSocket with the host key,
// `phase` frames in, `host` commands out. Plain ES2020, no dependencies. Every server-provided
// string goes through textContent (never innerHTML), so names and prompts cannot inject markup.
(function () {
  'use strict';

  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 5000;
  const PING_EVERY_MS = 15000;
  const END_CONFIRM_MS = 4000;
  const SILENT_MS = 3000;
  const LETTERS = 'ABCDEFGHIJ';
  // Question types (a question without one is "single").
  const TYPES = ['single', 'multi', 'true_false', 'poll', 'type_answer'];
  const TYPE_LABELS = {
    single: 'One answer', multi: 'Several answers', true_false: 'True or false', poll: 'Poll',
    type_answer: 'Typed answer',
  };
  const TYPE_NOTES = {
    single: '',
    multi: 'Players pick every right answer.',
    true_false: '',
    poll: 'A poll: no right or wrong answer, no points.',
    type_answer: 'Players type their answer.',
  };
  const ERRORS = {
    not_now: 'Not now: that command does not apply to this phase.',
    unknown_player: 'That player is not in the game (any more).',
    not_hosted: 'This quiz is not a hosted game.',
    not_a_player: 'The host console cannot answer questions.',
    rate_limited: 'Too many commands: slow down.',
  };
  const COMMAND_DONE = {
    start: 'Started.', next: 'Moved on.', skip: 'Skipped to the reveal.', pause: 'Paused.',
    resume: 'Resumed.', lock: 'Lobby locked: nobody new can join.', unlock: 'Lobby unlocked.',
    end: 'Game ended.',
  };

  // ---------- DOM ----------
  const $ = (id) => document.getElementById(id);
  const el = {
    conn: $('conn'),
    keyView: $('key-view'), keyForm: $('key-form'), keyInput: $('host-key'), keyError: $('key-error'),
    console: $('console'), title: $('h-title'), phase: $('h-phase'), playerCount: $('h-player-count'),
    lockState: $('h-lock-state'), status: $('h-status'), paused: $('h-paused'),
    btnStart: $('btn-start'), btnNext: $('btn-next'), btnSkip: $('btn-skip'), btnPause: $('btn-pause'),
    btnLock: $('btn-lock'), btnEnd: $('btn-end'),
    vLobby: $('v-lobby'), joinLink: $('join-link'), bigId: $('big-id'),
    vQuestion: $('v-question'), qProgress: $('hq-progress'), qPoints: $('hq-points'), qPrompt: $('hq-prompt'),
    qType: $('hq-type'), qNote: $('hq-note'),
    qFill: $('hq-fill'), qCountdown: $('hq-countdown'), qOptions: $('hq-options'), qAnswered: $('hq-answered'),
    vReveal: $('v-reveal'), rProgress: $('hr-progress'), rAnswered: $('hr-answered'), rPrompt: $('hr-prompt'),
    rType: $('hr-type'), rAccepted: $('hr-accepted'), rNone: $('hr-none'),
    rBars: $('hr-bars'), rExplanation: $('hr-explanation'),
    vBoard: $('v-board'), bTitle: $('hb-title'), bList: $('hb-list'), bEmpty: $('hb-empty'),
    vPodium: $('v-podium'), pPodium: $('hp-podium'), pFinal: $('hp-final'),
    report: $('report'), reportBody: $('report-body'), reportStatus: $('report-status'), reportRetry: $('report-retry'),
    players: $('players'), playersEmpty: $('players-empty'), playersTitle: $('players-title'),
  };

  // ---------- state ----------
  const quiz = decodeURIComponent((location.pathname.split('/')[2] || '').trim());
  const STORE_KEY = 'quiz.host.' + quiz;
  const H = {
    key: null,
    ws: null,
    wsGen: 0,
    phaseOnSocket: false, // a phase frame arrived on the current socket
    everConnected: false, // a phase frame arrived on any socket
    stopped: false,       // no more reconnecting (bad key, unknown quiz)
    backoff: BACKOFF_MIN_MS,
    reconnectTimer: null,
    pingTimer: null,
    pingSent: new Map(),
    skew: 0,              // server clock minus local clock, ms
    seq: -Infinity,       // highest phase seq shown
    phase: null,          // latest phase frame
    content: null,        // latest phase frame that is not "paused"
    counts: null,         // {answered, expected} of the open question
    roster: new Map(),    // player id -> name, in join order
    kicked: new Set(),    // player ids removed by this console (never listed again)
    players: 0,           // players in the game, from the latest phase or board frame
    kicks: [],            // player ids of kick commands waiting for their reply
    endArmed: null,       // timer while "End" waits for its confirmation click
    reportSeq: null,      // the podium seq the report was loaded for
    optionsKey: '',
    statusTimer: null,
    silentTimer: null,
  };

  const serverNow = () => Date.now() + H.skew;

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  function setConn(state, text) {
    el.conn.dataset.state = state;
    setText(el.conn, text);
  }

  function showStatus(text, kind) {
    if (!text) { el.status.hidden = true; el.status.textContent = ''; return; }
    el.status.textContent = text;
    el.status.className = 'notice' + (kind ? ' ' + kind : '');
    el.status.hidden = false;
    if (kind === 'ok') clearOkLater();
  }

  function randomId() {
    const b = new Uint8Array(8);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  function qType(q) {
    return q && TYPES.includes(q.type) ? q.type : 'single';
  }

  /** The right option indexes of a reveal or a report line (single, true_false, multi). */
  function rightIndexes(r) {
    if (Array.isArray(r.correct_options) && r.correct_options.length) return r.correct_options;
    if (Number.isInteger(r.correct_option)) return [r.correct_option];
    return Number.isInteger(r.correct) ? [r.correct] : [];
  }

  function ordinal(n) {
    const s = ['th', 'st', 'nd', 'rd'];
    const v = n % 100;
    return n + (s[(v - 20) % 10] || s[v] || s[0]);
  }

  // ---------- the host key ----------
  function keyFromFragment() {
    const m = /(?:^#|&)key=([^&]*)/.exec(location.hash || '');
    if (!m) return null;
    let key;
    try { key = decodeURIComponent(m[1]); } catch (_) { key = m[1]; }
    // Keep the key out of the address bar (the console is usually on a shared screen).
    try { history.replaceState(null, '', location.pathname + location.search); } catch (_) { /* ignore */ }
    return key || null;
  }
  function saveKey(key) {
    try { sessionStorage.setItem(STORE_KEY, key); } catch (_) { /* storage off */ }
  }
  function loadKey() {
    try { return sessionStorage.getItem(STORE_KEY); } catch (_) { return null; }
  }
  function forgetKey() {
    try { sessionStorage.removeItem(STORE_KEY); } catch (_) { /* ignore */ }
    H.key = null;
  }

  function showKeyForm(message) {
    el.console.hidden = true;
    el.keyView.hidden = false;
    setConn('idle', 'not connected');
    el.keyError.textContent = message || '';
    el.keyError.hidden = !message;
    el.keyInput.focus();
  }

  function onKeySubmit(ev) {
    ev.preventDefault();
    const key = el.keyInput.value.trim();
    if (!key) {
      el.keyError.textContent = 'Please enter the host key.';
      el.keyError.hidden = false;
      el.keyInput.focus();
      return;
    }
    el.keyInput.value = '';
    H.key = key;
    saveKey(key);
    H.stopped = false;
    showConsole();
    connect();
  }

  function showConsole() {
    el.keyView.hidden = true;
    el.console.hidden = false;
    setText(el.bigId, quiz);
    const url = location.origin + '/?quiz=' + encodeURIComponent(quiz);
    el.joinLink.href = url;
    setText(el.joinLink, url);
    render();
  }

  // ---------- WebSocket ----------
  function wsUrl() {
    const u = new URL('/ws/' + encodeURIComponent(quiz), location.href);
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('host_key', H.key);
    return u.href;
  }

  function connect() {
    if (!H.key || H.stopped) return;
    clearTimeout(H.reconnectTimer);
    H.reconnectTimer = null;
    const gen = ++H.wsGen;
    if (H.ws) { try { H.ws.close(1000, 'bye'); } catch (_) { /* ignore */ } }
    H.phaseOnSocket = false;
    setConn('connecting', H.backoff > BACKOFF_MIN_MS ? 'reconnecting…' : 'connecting…');
    let ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch (_) {
      scheduleReconnect();
      return;
    }
    H.ws = ws;
    ws.onopen = () => {
      // A socket that stays silent is not a game's (a self-paced quiz): ask the HTTP API why.
      clearTimeout(H.silentTimer);
      H.silentTimer = setTimeout(() => { if (gen === H.wsGen && !H.phaseOnSocket) diagnose(); }, SILENT_MS);
    };
    ws.onmessage = (ev) => { if (gen === H.wsGen) onMessage(ev); };
    ws.onclose = (ev) => { if (gen === H.wsGen) onClose(ev); };
    ws.onerror = () => { /* onclose follows and handles it */ };
    render();
  }

  function scheduleReconnect() {
    clearTimeout(H.reconnectTimer);
    const delay = Math.round(H.backoff * (0.75 + Math.random() * 0.5)); // ±25% jitter
    H.backoff = Math.min(H.backoff * 2, BACKOFF_MAX_MS);
    setConn('reconnecting', 'reconnecting…');
    H.reconnectTimer = setTimeout(connect, delay);
  }

  async function onClose(ev) {
    const hadPhase = H.phaseOnSocket;
    H.ws = null;
    clearTimeout(H.silentTimer);
    clearInterval(H.pingTimer);
    H.pingTimer = null;
    H.kicks = [];
    render();
    if (ev.code === 4001) {
      // Wrong or missing host key (or no such quiz: the server says 4001 then too). Asking
      // again beats retrying.
      if (await diagnose()) return;
      forgetKey();
      H.stopped = true;
      showKeyForm('The host key was not accepted. Check it and try again.');
      return;
    }
    if (H.stopped) { setConn('idle', 'not connected'); return; }
    if (!hadPhase) diagnose();
    scheduleReconnect();
  }

  /**
   * The socket gave no phase: say why when the HTTP API knows (no such quiz, not a hosted
   * game) and stop reconnecting. True when it found such a reason.
   */
  async function diagnose() {
    try {
      const res = await fetch('/api/quizzes/' + encodeURIComponent(quiz) + '/game', { headers: { Accept: 'application/json' } });
      if (res.ok) return false;
      let body = null;
      try { body = await res.json(); } catch (_) { body = null; }
      const code = body && body.code;
      if (code === 'unknown_quiz' || code === 'not_hosted') {
        stop(code === 'unknown_quiz' ? 'There is no quiz with the ID "' + quiz + '".' : ERRORS.not_hosted);
        return true;
      }
    } catch (_) { /* offline: keep retrying */ }
    return false;
  }

  /** No more reconnecting: the console cannot work for this quiz. */
  function stop(message) {
    H.stopped = true;
    clearTimeout(H.reconnectTimer);
    clearTimeout(H.silentTimer);
    H.wsGen++;
    if (H.ws) { try { H.ws.close(1000, 'bye'); } catch (_) { /* ignore */ } }
    H.ws = null;
    clearInterval(H.pingTimer);
    setConn('idle', 'not connected');
    el.keyView.hidden = true;
    el.console.hidden = false;
    showStatus(message, 'error');
    render();
  }

  function send(obj) {
    if (H.ws && H.ws.readyState === WebSocket.OPEN) {
      H.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  function sendPing() {
    const nonce = randomId();
    H.pingSent.set(nonce, Date.now());
    if (H.pingSent.size > 8) H.pingSent.delete(H.pingSent.keys().next().value);
    send({ type: 'ping', nonce });
  }

  function onMessage(ev) {
    let msg;
    try { msg = JSON.parse(ev.data); } catch (_) { return; }
    if (!msg || typeof msg !== 'object') return;
    switch (msg.type) {
      case 'phase': onPhase(msg); break;
      case 'answered': onAnswered(msg); break;
      case 'roster': onRoster(msg); break;
      case 'board': onBoard(msg); break;
      case 'host_ok': onHostOk(msg); break;
      case 'error': onError(msg); break;
      case 'pong': onPong(msg); break;
      default: break;
    }
  }

  function onPhase(msg) {
    if (!Number.isFinite(msg.seq)) return;
    const first = !H.phaseOnSocket;
    H.phaseOnSocket = true;
    if (first) {
      H.backoff = BACKOFF_MIN_MS;
      H.everConnected = true;
      setConn('connected', 'connected');
      clearInterval(H.pingTimer);
      H.pingTimer = setInterval(sendPing, PING_EVERY_MS);
      if (!el.status.classList.contains('error')) showStatus('');
    }
    // Keep the highest seq shown; after a reconnect the first frame is the current phase
    // again (same seq, fresh time left), which is taken for its clock.
    if (!(msg.seq > H.seq) && !(first && msg.seq === H.seq)) return;
    H.seq = msg.seq;
    if (Number.isFinite(msg.server_time)) H.skew = msg.server_time - Date.now();
    H.phase = msg;
    if (msg.phase !== 'paused') H.content = msg;
    H.counts = Number.isFinite(msg.answered) && Number.isFinite(msg.expected)
      ? { answered: msg.answered, expected: msg.expected } : null;
    if (Number.isFinite(msg.players)) H.players = msg.players;
    if (Array.isArray(msg.lobby)) {
      H.roster = new Map(msg.lobby.filter((p) => !H.kicked.has(p.player)).map((p) => [p.player, p.name]));
    }
    if (msg.board) addToRoster(msg.board.top);
    if (Array.isArray(msg.podium)) addToRoster(msg.podium);
    if (msg.phase === 'podium' && H.reportSeq !== msg.seq) {
      H.reportSeq = msg.seq;
      loadReport();
    }
    render();
  }

  function addToRoster(entries) {
    if (!Array.isArray(entries)) return;
    for (const e of entries) {
      if (e && typeof e.player === 'string' && !H.roster.has(e.player) && !H.kicked.has(e.player)) {
        H.roster.set(e.player, String(e.name));
      }
    }
  }

  function onAnswered(msg) {
    if (!H.phase || msg.seq !== H.seq) return; // counts of another phase
    if (Number.isFinite(msg.answered) && Number.isFinite(msg.expected)) {
      H.counts = { answered: msg.answered, expected: msg.expected };
      render();
    }
  }

  // Joins and removals within a phase: the count, the lobby's list, a question's expected.
  function onRoster(msg) {
    if (!H.phase || msg.seq !== H.seq) return; // another phase's
    if (Number.isFinite(msg.players)) H.players = msg.players;
    if (Array.isArray(msg.lobby)) {
      H.roster = new Map(msg.lobby.filter((p) => !H.kicked.has(p.player)).map((p) => [p.player, p.name]));
    }
    if (Number.isFinite(msg.expected) && H.counts) {
      H.counts = { answered: H.counts.answered, expected: msg.expected };
    }
    render();
  }

  function onBoard(msg) {
    // The live board is not shown (the host shows the board between questions), but it
    // follows joins and kicks, which send no phase frame: the lobby's phase frame lists the
    // players at connect time only. So the roster and the count also come from here.
    addToRoster(msg.top);
    if (Number.isFinite(msg.players)) H.players = msg.players;
    render();
  }

  function onHostOk(msg) {
    if (msg.command === 'kick') {
      const player = H.kicks.shift();
      const name = player ? H.roster.get(player) : null;
      if (player) { H.roster.delete(player); H.kicked.add(player); }
      showStatus((name ? name : 'The player') + ' was removed from the game.', 'ok');
      renderRoster();
      return;
    }
    showStatus(COMMAND_DONE[msg.command] || '', 'ok');
  }

  /** A confirmation fades after a few seconds; an error stays until the next command works. */
  function clearOkLater() {
    clearTimeout(H.statusTimer);
    H.statusTimer = setTimeout(() => { if (el.status.classList.contains('ok')) showStatus(''); }, 5000);
  }

  function onError(msg) {
    if (msg.code === 'unknown_player' && H.kicks.length) {
      const player = H.kicks.shift();
      H.roster.delete(player);
      renderRoster();
    }
    if (msg.code === 'not_hosted') { stop(ERRORS.not_hosted); return; }
    const text = ERRORS[msg.code] || msg.message || ('The server refused that (' + msg.code + ').');
    const detail = msg.message && ERRORS[msg.code] && msg.message !== text ? ' (' + msg.message + ')' : '';
    showStatus(text + detail, 'error');
  }

  function onPong(msg) {
    const sent = H.pingSent.get(msg.nonce);
    if (sent !== undefined && Number.isFinite(msg.server_time)) {
      H.pingSent.delete(msg.nonce);
      const now = Date.now();
      H.skew = msg.server_time + (now - sent) / 2 - now;
    }
  }

  // ---------- commands ----------
  function command(name, extra) {
    const frame = Object.assign({ type: 'host', command: name }, extra || {});
    if (!send(frame)) {
      showStatus('Not connected: the command was not sent. Reconnecting…', 'error');
      return false;
    }
    return true;
  }

  /** The commands that apply now, by button. */
  function applicable() {
    const ph = H.phase;
    const live = !!(H.ws && H.ws.readyState === WebSocket.OPEN && ph);
    const p = ph ? ph.phase : '';
    return {
      start: live && p === 'lobby',
      next: live && (p === 'reveal' || p === 'board'),
      skip: live && p === 'question',
      pause: live && (p === 'question' || p === 'reveal' || p === 'board' || p === 'paused'),
      lock: live && p === 'lobby', // the lobby only: joining stays open during the game
      end: live && p !== 'podium',
    };
  }

  function onButton(ev) {
    const b = ev.currentTarget;
    const which = b.dataset.command;
    if (b.getAttribute('aria-disabled') === 'true') return;
    const ph = H.phase;
    switch (which) {
      case 'pause':
        command(ph && ph.phase === 'paused' ? 'resume' : 'pause');
        break;
      case 'lock':
        command(ph && ph.locked ? 'unlock' : 'lock');
        break;
      case 'end':
        if (!H.endArmed) {
          H.endArmed = setTimeout(() => { H.endArmed = null; render(); }, END_CONFIRM_MS);
          render();
          showStatus('Press "Really end?" to end the game for everyone.', 'warn');
          return;
        }
        clearTimeout(H.endArmed);
        H.endArmed = null;
        command('end');
        render();
        break;
      default:
        command(which);
        break;
    }
  }

  function kick(player) {
    if (!H.roster.has(player)) return;
    if (command('kick', { player })) H.kicks.push(player);
  }

  // ---------- report ----------
  async function loadReport() {
    el.reportRetry.hidden = true;
    setText(el.reportStatus, 'Loading the report…');
    try {
      const res = await fetch('/api/quizzes/' + encodeURIComponent(quiz) + '/report', { headers: { Accept: 'application/json' } });
      let body = null;
      try { body = await res.json(); } catch (_) { body = null; }
      if (!res.ok || !body || !Array.isArray(body.questions)) {
        throw new Error((body && body.message) || 'HTTP ' + res.status);
      }
      renderReport(body.questions);
      setText(el.reportStatus, body.questions.length ? '' : 'No question was played.');
    } catch (e) {
      setText(el.reportStatus, 'Could not load the report: ' + e.message);
      el.reportRetry.hidden = false;
    }
  }

  function cell(text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  /** A report line's right answer: option letters, True/False, the accepted texts; none for a poll. */
  function reportAnswer(q, type) {
    if (type === 'poll') return '– (poll)';
    if (type === 'type_answer') return Array.isArray(q.accepted) ? q.accepted.map(String).join(' · ') : '';
    const right = rightIndexes(q);
    if (type === 'true_false') return right.map((i) => (i === 0 ? 'True' : 'False')).join(', ');
    return right.map((i) => LETTERS[i] || String(i + 1)).join(', ');
  }

  function renderReport(questions) {
    const rows = questions.map((q) => {
      const tr = document.createElement('tr');
      const type = qType(q);
      let given;
      if (type === 'type_answer') {
        given = (Array.isArray(q.texts) ? q.texts : [])
          .map((t) => '"' + String(t.text) + '" × ' + (t.count | 0) + (t.correct ? ' ✓' : ' ✗')).join(' · ');
      } else {
        const names = type === 'true_false' ? ['True', 'False'] : LETTERS;
        given = Array.isArray(q.counts) ? q.counts.map((c, i) => (names[i] || i + 1) + ': ' + c).join(' · ') : '';
      }
      const poll = type === 'poll';
      const pct = !poll && Number.isFinite(q.percent_correct) ? q.percent_correct.toFixed(1) + '%' : '–';
      const mean = Number.isFinite(q.mean_answer_ms) ? (q.mean_answer_ms / 1000).toFixed(1) + ' s' : '–';
      const num = document.createElement('th');
      num.scope = 'row';
      num.textContent = String((q.index | 0) + 1);
      tr.append(num, cell(String(q.prompt || q.id || '')), cell(String(q.answered), 'num'),
        cell(poll ? '–' : String(q.correct), 'num'), cell(pct, 'num'), cell(mean, 'num'), cell(given),
        cell(TYPE_LABELS[type]), cell(reportAnswer(q, type)));
      return tr;
    });
    el.reportBody.replaceChildren(...rows);
    el.report.hidden = rows.length === 0;
  }

  // ---------- rendering ----------
  function phaseLabel(ph, view) {
    const q = ph.question;
    const n = ph.question_count || 0;
    const qText = q ? 'Question ' + (q.index + 1) + ' of ' + n : '';
    let text;
    switch (view) {
      case 'lobby': text = 'Lobby: waiting for players'; break;
      case 'question': text = qText; break;
      case 'reveal': text = qText + ': the answer'; break;
      case 'board': text = 'Leaderboard' + (q ? ' after question ' + (q.index + 1) + ' of ' + n : ''); break;
      case 'podium': text = 'Podium: the game is over'; break;
      default: text = view; break;
    }
    return ph.phase === 'paused' ? 'Paused · ' + text : text;
  }

  function render() {
    if (el.console.hidden) return;
    const ph = H.phase;
    renderButtons();
    renderRoster();
    if (!ph) {
      setText(el.phase, H.everConnected ? '' : 'Connecting to the game…');
      for (const v of [el.vLobby, el.vQuestion, el.vReveal, el.vBoard, el.vPodium]) v.hidden = true;
      el.paused.hidden = true;
      el.vLobby.hidden = false;
      return;
    }
    const paused = ph.phase === 'paused';
    const view = paused ? (ph.paused_from || 'question') : ph.phase;
    // What a pause keeps on screen: the paused frame's own reveal or board when it has one,
    // else the frame shown before the pause (when it is of the same view).
    const content = !paused || ph[view] ? ph
      : (H.content && H.content.phase === view ? H.content : null);
    setText(el.title, String(ph.title || quiz));
    document.title = 'Host · ' + String(ph.title || quiz);
    setText(el.phase, phaseLabel(ph, view));
    const n = H.players | 0;
    setText(el.playerCount, n + (n === 1 ? ' player' : ' players'));
    setText(el.lockState, ph.locked ? 'lobby locked' : 'lobby open');
    el.lockState.classList.toggle('locked', !!ph.locked);
    el.lockState.hidden = view !== 'lobby';
    el.paused.hidden = !paused;
    if (paused) setText(el.paused, 'Paused' + (view === 'question' ? ': the clock is stopped' : ''));

    el.vLobby.hidden = view !== 'lobby';
    el.vQuestion.hidden = view !== 'question' || !ph.question;
    if (!el.vQuestion.hidden) renderQuestion(ph, paused);
    el.vReveal.hidden = !(view === 'reveal' && content && content.reveal);
    if (!el.vReveal.hidden) renderReveal(content);
    el.vBoard.hidden = !(view === 'board' && content && content.board);
    if (!el.vBoard.hidden) renderBoard(content);
    el.vPodium.hidden = view !== 'podium';
    if (!el.vPodium.hidden) renderPodium(ph);
  }

  function setEnabled(button, on) {
    // aria-disabled (not disabled) keeps the button focusable, so keyboard focus stays put
    // when the phase changes under it.
    if (on) button.removeAttribute('aria-disabled');
    else button.setAttribute('aria-disabled', 'true');
  }

  function renderButtons() {
    const a = applicable();
    const ph = H.phase;
    setEnabled(el.btnStart, a.start);
    setEnabled(el.btnNext, a.next);
    setEnabled(el.btnSkip, a.skip);
    setEnabled(el.btnPause, a.pause);
    setEnabled(el.btnLock, a.lock);
    setEnabled(el.btnEnd, a.end);
    const p = ph ? ph.phase : '';
    const last = ph && ph.question && ph.question.index + 1 >= (ph.question_count || 0);
    setText(el.btnNext, p === 'board' && last ? 'Next: podium' : p === 'reveal' ? 'Next: leaderboard' : p === 'board' ? 'Next question' : 'Next');
    setText(el.btnPause, p === 'paused' ? 'Resume' : 'Pause');
    setText(el.btnLock, ph && ph.locked ? 'Unlock' : 'Lock');
    el.btnLock.setAttribute('aria-pressed', ph && ph.locked ? 'true' : 'false');
    el.btnPause.setAttribute('aria-pressed', p === 'paused' ? 'true' : 'false');
    if (!a.end && H.endArmed) { clearTimeout(H.endArmed); H.endArmed = null; }
    setText(el.btnEnd, H.endArmed ? 'Really end?' : 'End');
  }

  function renderRoster() {
    const entries = Array.from(H.roster);
    const key = JSON.stringify(entries) + '|' + (H.phase ? H.phase.phase : '');
    setText(el.playersTitle, 'Players (' + (H.phase ? H.players | 0 : entries.length) + ')');
    el.playersEmpty.hidden = entries.length > 0;
    if (el.players.dataset.key === key) return;
    el.players.dataset.key = key;
    const focused = document.activeElement && el.players.contains(document.activeElement)
      ? document.activeElement.dataset.player : null;
    const over = H.phase && H.phase.phase === 'podium';
    const items = entries.map(([player, name]) => {
      const li = document.createElement('li');
      li.dataset.player = player;
      const span = document.createElement('span');
      span.className = 'pname';
      span.textContent = name;
      li.append(span);
      if (!over) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'kick';
        b.dataset.player = player;
        b.textContent = 'Kick';
        b.setAttribute('aria-label', 'Kick ' + name);
        b.addEventListener('click', () => kick(player));
        li.append(b);
      }
      return li;
    });
    el.players.replaceChildren(...items);
    if (focused) {
      const again = el.players.querySelector('button[data-player="' + CSS.escape(focused) + '"]');
      (again || el.btnStart).focus();
    }
  }

  function renderQuestion(ph, paused) {
    const q = ph.question;
    setText(el.qProgress, 'Question ' + (q.index + 1) + ' of ' + (ph.question_count || '?'));
    const type = qType(q);
    setText(el.qType, TYPE_LABELS[type]);
    el.qType.dataset.type = type;
    setText(el.qPoints, type === 'poll' ? 'no points' : q.points + ' points');
    setText(el.qPrompt, q.prompt);
    setText(el.qNote, TYPE_NOTES[type]);
    el.qNote.hidden = !TYPE_NOTES[type];
    const options = Array.isArray(q.options) ? q.options : [];
    el.qOptions.hidden = options.length === 0;
    const key = q.id + '|' + JSON.stringify(options);
    if (H.optionsKey !== key) {
      H.optionsKey = key;
      el.qOptions.replaceChildren(...options.map((text, i) => {
        const li = document.createElement('li');
        li.className = 'opt-' + i;
        const letter = document.createElement('span');
        letter.className = 'letter';
        letter.textContent = LETTERS[i] || String(i + 1);
        const t = document.createElement('span');
        t.textContent = text;
        li.append(letter, t);
        return li;
      }));
    }
    const c = H.counts;
    setText(el.qAnswered, c ? 'Answered ' + c.answered + ' of ' + c.expected : '');
    tickCountdown(ph, paused);
  }

  function tickCountdown(ph, paused) {
    const q = ph.question;
    let left;
    if (paused) left = Number.isFinite(ph.remaining_ms) ? ph.remaining_ms : q.closes_at - ph.server_time;
    else left = q.closes_at - serverNow();
    left = Math.max(0, left);
    const secs = Math.ceil(left / 1000);
    setText(el.qCountdown, left > 0 ? String(secs) : "Time's up");
    const limit = q.time_limit_ms > 0 ? q.time_limit_ms : 1;
    el.qFill.style.width = (Math.max(0, Math.min(1, left / limit)) * 100).toFixed(1) + '%';
    el.qFill.classList.toggle('low', secs <= 5);
  }

  function renderReveal(ph) {
    const q = ph.question;
    const r = ph.reveal;
    const type = TYPES.includes(r.type) ? r.type : qType(q);
    setText(el.rProgress, 'Question ' + (q.index + 1) + ' of ' + (ph.question_count || '?'));
    setText(el.rType, TYPE_LABELS[type]);
    el.rType.dataset.type = type;
    const answered = r.answered | 0;
    setText(el.rAnswered, answered + (type === 'poll' ? (answered === 1 ? ' vote' : ' votes') : (answered === 1 ? ' answer' : ' answers')));
    setText(el.rPrompt, q.prompt);
    const accepted = type === 'type_answer' && Array.isArray(r.accepted) ? r.accepted.map(String) : [];
    el.rAccepted.hidden = accepted.length === 0;
    setText(el.rAccepted, accepted.length ? (accepted.length === 1 ? 'Accepted answer: ' : 'Accepted answers: ') + accepted.join(' · ') : '');
    // One bar per option, or per answer typed (the most given first, as the server sends them).
    let rows;
    if (type === 'type_answer') {
      rows = (Array.isArray(r.texts) ? r.texts : []).map((t) => ({
        text: String(t.text), count: t.count | 0, right: !!t.correct, mark: t.correct ? '✓ accepted' : '✗ not accepted',
      }));
    } else {
      const options = Array.isArray(q.options) ? q.options : [];
      const counts = Array.isArray(r.counts) ? r.counts : [];
      const right = type === 'poll' ? [] : rightIndexes(r);
      rows = options.map((text, i) => ({
        letter: LETTERS[i] || String(i + 1), text: String(text), count: counts[i] | 0,
        right: right.includes(i), mark: right.includes(i) ? '✓ correct' : '',
      }));
    }
    el.rNone.hidden = !(type === 'type_answer' && rows.length === 0);
    el.rBars.hidden = rows.length === 0;
    el.rBars.setAttribute('aria-label', type === 'type_answer' ? 'Answers given' : type === 'poll' ? 'Votes per option' : 'Answers per option');
    const key = ph.seq + '|' + type + '|' + JSON.stringify(rows);
    if (el.rBars.dataset.key !== key) {
      el.rBars.dataset.key = key;
      const max = Math.max(1, ...rows.map((x) => x.count));
      const unit = type === 'poll' ? ['vote', 'votes'] : ['answer', 'answers'];
      el.rBars.replaceChildren(...rows.map((row, i) => {
        const n = row.count;
        const li = document.createElement('li');
        li.className = 'bar-row' + (row.right ? ' correct' : '') + (type === 'type_answer' && !row.right ? ' not-accepted' : '');
        li.dataset.index = String(i);
        const label = document.createElement('span');
        label.className = 'bar-label';
        if (row.letter) {
          const letter = document.createElement('span');
          letter.className = 'letter';
          letter.textContent = row.letter;
          label.append(letter);
        }
        const t = document.createElement('span');
        t.className = 'bar-text';
        t.textContent = row.text;
        label.append(t);
        if (row.mark) {
          const mark = document.createElement('span');
          mark.className = 'mark' + (row.right ? '' : ' no');
          mark.textContent = row.mark;
          label.append(mark);
        }
        const track = document.createElement('span');
        track.className = 'bar-track';
        track.setAttribute('aria-hidden', 'true');
        const fill = document.createElement('span');
        fill.className = 'bar-fill';
        fill.style.width = ((n / max) * 100).toFixed(1) + '%';
        track.append(fill);
        const count = document.createElement('span');
        count.className = 'bar-count';
        count.textContent = String(n);
        count.setAttribute('aria-label', n + ' ' + unit[n === 1 ? 0 : 1]);
        li.append(label, track, count);
        return li;
      }));
    }
    const expl = typeof r.explanation === 'string' ? r.explanation : '';
    el.rExplanation.hidden = !expl;
    setText(el.rExplanation, expl);
  }

  function entryRow(e, mover) {
    const li = document.createElement('li');
    li.dataset.player = e.player;
    const rank = document.createElement('span');
    rank.className = 'rank';
    rank.textContent = '#' + e.rank;
    const name = document.createElement('span');
    name.className = 'pname';
    name.textContent = e.name;
    if (mover && Number.isFinite(mover.from) && Number.isFinite(mover.to) && mover.from !== mover.to) {
      const up = mover.to < mover.from;
      const m = document.createElement('span');
      m.className = 'mover ' + (up ? 'up' : 'down');
      m.textContent = (up ? '▲ up' : '▼ down') + ' from #' + mover.from;
      name.append(' ', m);
    }
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = String(e.score);
    li.append(rank, name, score);
    return li;
  }

  function renderBoard(ph) {
    const b = ph.board;
    const q = ph.question;
    setText(el.bTitle, 'Leaderboard' + (q ? ' after question ' + (q.index + 1) : ''));
    const top = Array.isArray(b.top) ? b.top : [];
    const movers = new Map((Array.isArray(b.movers) ? b.movers : []).map((m) => [m.player, m]));
    const key = ph.seq + '|' + JSON.stringify(top);
    if (el.bList.dataset.key !== key) {
      el.bList.dataset.key = key;
      el.bList.replaceChildren(...top.map((e) => entryRow(e, movers.get(e.player))));
    }
    el.bEmpty.hidden = top.length > 0;
  }

  function renderPodium(ph) {
    const podium = Array.isArray(ph.podium) ? ph.podium : [];
    const key = ph.seq + '|' + JSON.stringify(podium);
    if (el.pPodium.dataset.key !== key) {
      el.pPodium.dataset.key = key;
      el.pPodium.replaceChildren(...podium.map((e) => {
        const li = document.createElement('li');
        li.className = 'place place-' + e.rank;
        li.dataset.player = e.player;
        const rank = document.createElement('span');
        rank.className = 'rank';
        rank.textContent = ordinal(e.rank);
        const name = document.createElement('span');
        name.className = 'pname';
        name.textContent = e.name;
        const score = document.createElement('span');
        score.className = 'score';
        score.textContent = String(e.score);
        li.append(rank, name, score);
        return li;
      }));
    }
    const top = ph.board && Array.isArray(ph.board.top) ? ph.board.top : [];
    const fkey = ph.seq + '|' + JSON.stringify(top);
    if (el.pFinal.dataset.key !== fkey) {
      el.pFinal.dataset.key = fkey;
      el.pFinal.replaceChildren(...top.map((e) => entryRow(e, null)));
    }
  }

  function tick() {
    const ph = H.phase;
    if (!ph || el.console.hidden) return;
    if (ph.phase === 'question' && ph.question) tickCountdown(ph, false);
  }

  // ---------- start ----------
  function start() {
    el.keyForm.addEventListener('submit', onKeySubmit);
    for (const b of [el.btnStart, el.btnNext, el.btnSkip, el.btnPause, el.btnLock, el.btnEnd]) {
      b.addEventListener('click', onButton);
    }
    el.reportRetry.addEventListener('click', loadReport);
    window.addEventListener('online', () => { if (H.key && !H.ws && !H.stopped) connect(); });
    window.addEventListener('hashchange', () => {
      const key = keyFromFragment();
      if (!key) return;
      saveKey(key);
      H.key = key;
      H.stopped = false;
      H.backoff = BACKOFF_MIN_MS;
      showStatus('');
      showConsole();
      connect();
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && H.key && !H.ws && H.reconnectTimer) connect();
    });
    setInterval(tick, 250);

    if (!quiz || !/^[A-Za-z0-9_-]{1,64}$/.test(quiz)) {
      el.console.hidden = false;
      showStatus('This address does not name a quiz: open /host/<quiz id>.', 'error');
      return;
    }
    const fromLink = keyFromFragment();
    if (fromLink) saveKey(fromLink);
    H.key = fromLink || loadKey();
    if (!H.key) {
      showKeyForm('');
      return;
    }
    showConsole();
    connect();
  }

  start();
})();

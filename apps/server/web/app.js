// The quiz player page: join, answer over a WebSocket, live leaderboard.
// Plain ES2020, no dependencies. Every server-provided string goes through
// textContent (never innerHTML), so names and prompts cannot inject markup.
(function () {
  'use strict';

  const SESSION_KEY = 'quiz.session';
  const PENDING_KEY = 'quiz.pending';
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 5000;
  const RETRY_ANSWER_MS = 400;
  const REPLY_TIMEOUT_MS = 8000; // no reply by then: resend (same answer_id, so it is safe)
  const PING_EVERY_MS = 15000;
  const FATAL_CLOSE = {
    4001: 'Your session has expired or is invalid. Please join again.',
    4003: 'Your session belongs to another quiz. Please join again.',
    4004: 'This quiz no longer knows your player. Please join again.',
  };
  const JOIN_ERRORS = {
    name_taken: 'That name is taken. Please choose another name.',
    bad_name: 'That name is not allowed (1 to 32 characters, no control characters).',
    bad_quiz_id: 'That quiz id is not valid (letters, digits, "_" and "-" only).',
    unknown_quiz: 'There is no quiz with that id.',
    quiz_closed: 'This quiz is closed: it no longer accepts players.',
    quiz_full: 'This quiz is full.',
    rate_limited: 'Too many join attempts. Please wait a minute and try again.',
  };
  const ANSWER_ERRORS = {
    too_late: 'Too late: time was up for that question.',
    quiz_closed: 'The quiz is closed: answers are no longer accepted.',
    unknown_quiz: 'This quiz no longer exists.',
    unknown_question: 'The server does not know that question.',
    option_out_of_range: 'That option is not valid.',
  };

  // ---------- DOM ----------
  const $ = (id) => document.getElementById(id);
  const el = {
    conn: $('conn'),
    joinView: $('join-view'), joinForm: $('join-form'), quiz: $('quiz'), name: $('name'),
    join: $('join'), joinError: $('join-error'),
    playView: $('play-view'), quizTitle: $('quiz-title'), meName: $('me-name'), leave: $('leave'),
    myScore: $('my-score'), myRank: $('my-rank'), notice: $('play-notice'),
    qCard: $('question-card'), qProgress: $('q-progress'), qPoints: $('q-points'),
    prompt: $('prompt'), countdown: $('countdown'), timerFill: $('timer-fill'), options: $('options'),
    finished: $('finished'), finalScore: $('final-score'), finalDetail: $('final-detail'),
    result: $('result'),
    board: $('leaderboard'), boardEmpty: $('board-empty'), aroundWrap: $('around-wrap'), around: $('around'),
  };

  // ---------- state ----------
  const S = {
    session: null,        // {quiz, token, ws_path, name, player}
    ws: null,
    wsGen: 0,             // increments per socket, so stale handlers are ignored
    connected: false,     // a snapshot arrived on the current socket
    leaving: false,
    backoff: BACKOFF_MIN_MS,
    reconnectTimer: null,
    pingTimer: null,
    pingSent: new Map(),  // nonce -> Date.now() when sent
    quizTitle: '',
    status: 'open',
    questions: [],        // [{id, prompt, options, points, time_limit_ms, opens_at, closes_at}]
    answered: new Map(),  // question id -> {correct, points, streak}
    skipped: new Set(),   // question ids refused as too late
    pending: new Map(),   // answer_id -> {question, option, sent: bool}
    total: 0,
    me: null,             // latest board line of this player
    players: 0,
    lastSeq: -Infinity,
    skew: 0,              // server clock minus local clock, ms
    currentId: null,      // question shown
    rendered: '',         // key of the rendered question (id + state)
    lastRankText: '',
  };

  const serverNow = () => Date.now() + S.skew;

  function setConn(state, text) {
    el.conn.dataset.state = state;
    if (el.conn.textContent !== text) el.conn.textContent = text;
  }

  function showNotice(text, kind) {
    if (!text) { el.notice.hidden = true; el.notice.textContent = ''; return; }
    el.notice.textContent = text;
    el.notice.className = 'notice' + (kind ? ' ' + kind : '');
    el.notice.hidden = false;
  }

  function showJoinError(text) {
    el.joinError.textContent = text || '';
    el.joinError.hidden = !text;
  }

  function randomId() {
    const b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return 'a' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  // ---------- session storage ----------
  function loadSession() {
    try {
      const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
      if (s && typeof s.quiz === 'string' && typeof s.token === 'string' && typeof s.ws_path === 'string') return s;
    } catch (_) { /* ignore corrupt storage */ }
    return null;
  }
  function saveSession(s) {
    try { sessionStorage.setItem(SESSION_KEY, JSON.stringify(s)); } catch (_) { /* storage full or off */ }
  }
  function savePending() {
    try {
      sessionStorage.setItem(PENDING_KEY, JSON.stringify(Array.from(S.pending, ([id, p]) => [id, p.question, p.option])));
    } catch (_) { /* ignore */ }
  }
  function loadPending() {
    S.pending.clear();
    try {
      const list = JSON.parse(sessionStorage.getItem(PENDING_KEY) || '[]');
      if (Array.isArray(list)) {
        for (const [id, question, option] of list) {
          if (typeof id === 'string' && typeof question === 'string' && Number.isInteger(option)) {
            S.pending.set(id, { question, option, sent: false });
          }
        }
      }
    } catch (_) { /* ignore */ }
  }
  function clearSession() {
    try { sessionStorage.removeItem(SESSION_KEY); sessionStorage.removeItem(PENDING_KEY); } catch (_) { /* ignore */ }
    S.session = null;
  }

  // ---------- views ----------
  function showJoin(message) {
    el.playView.hidden = true;
    el.joinView.hidden = false;
    setConn('idle', 'not connected');
    showJoinError(message || '');
    document.title = 'Quiz';
    if (!el.name.value) el.name.focus();
  }

  function showPlay() {
    el.joinView.hidden = true;
    el.playView.hidden = false;
    el.meName.textContent = S.session.name;
  }

  function resetGame() {
    S.quizTitle = '';
    S.status = 'open';
    S.questions = [];
    S.answered = new Map();
    S.skipped = new Set();
    S.total = 0;
    S.me = null;
    S.players = 0;
    S.lastSeq = -Infinity;
    S.currentId = null;
    S.rendered = '';
    S.lastRankText = '';
    el.result.textContent = '';
    el.result.className = 'result';
    el.board.replaceChildren();
    el.around.replaceChildren();
    el.myScore.textContent = '0';
    el.myRank.textContent = 'Not ranked yet';
    showNotice('');
  }

  // ---------- join / leave ----------
  async function join(ev) {
    ev.preventDefault();
    const quiz = el.quiz.value.trim();
    const name = el.name.value.trim();
    if (!quiz || !/^[A-Za-z0-9_-]{1,64}$/.test(quiz)) {
      showJoinError(JOIN_ERRORS.bad_quiz_id);
      el.quiz.focus();
      return;
    }
    if (!name) {
      showJoinError('Please enter your name.');
      el.name.focus();
      return;
    }
    showJoinError('');
    el.join.disabled = true;
    el.join.textContent = 'Joining…';
    try {
      const res = await fetch('/api/quizzes/' + encodeURIComponent(quiz) + '/join', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ name }),
      });
      let body = null;
      try { body = await res.json(); } catch (_) { body = null; }
      if (!res.ok || !body || typeof body.token !== 'string') {
        const code = body && body.code;
        const msg = (code && JOIN_ERRORS[code]) ||
          (body && body.message ? 'Could not join: ' + body.message : 'Could not join (HTTP ' + res.status + ').');
        showJoinError(msg);
        (code === 'name_taken' || code === 'bad_name' ? el.name : el.quiz).focus();
        return;
      }
      S.session = {
        quiz: body.quiz, token: body.token, ws_path: body.ws_path,
        name: body.name, player: body.player_id,
      };
      saveSession(S.session);
      S.pending.clear();
      savePending();
      resetGame();
      showPlay();
      if (body.snapshot && Array.isArray(body.snapshot.questions)) applySnapshot(body.snapshot);
      connect();
    } catch (err) {
      showJoinError('Could not reach the server. Check your connection and try again.');
    } finally {
      el.join.disabled = false;
      el.join.textContent = 'Join';
    }
  }

  function leave() {
    const s = S.session;
    S.leaving = true;
    disconnect();
    clearSession();
    S.pending.clear();
    resetGame();
    if (s) { el.quiz.value = s.quiz; el.name.value = ''; }
    showJoin('');
    S.leaving = false;
  }

  // ---------- WebSocket ----------
  function wsUrl(path) {
    const u = new URL(path, location.href);
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }

  function disconnect() {
    clearTimeout(S.reconnectTimer);
    S.reconnectTimer = null;
    clearInterval(S.pingTimer);
    S.pingTimer = null;
    S.wsGen++;
    if (S.ws) {
      try { S.ws.close(1000, 'bye'); } catch (_) { /* ignore */ }
    }
    S.ws = null;
    S.connected = false;
  }

  function connect() {
    if (!S.session) return;
    clearTimeout(S.reconnectTimer);
    S.reconnectTimer = null;
    const gen = ++S.wsGen;
    S.connected = false;
    setConn('connecting', S.backoff > BACKOFF_MIN_MS ? 'reconnecting…' : 'connecting…');
    let ws;
    try {
      ws = new WebSocket(wsUrl(S.session.ws_path));
    } catch (_) {
      scheduleReconnect();
      return;
    }
    S.ws = ws;
    ws.onmessage = (ev) => { if (gen === S.wsGen) onMessage(ev); };
    ws.onclose = (ev) => { if (gen === S.wsGen) onClose(ev); };
    ws.onerror = () => { /* onclose follows and handles it */ };
  }

  function scheduleReconnect(minDelay) {
    clearTimeout(S.reconnectTimer);
    const base = Math.max(S.backoff, minDelay || 0);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5)); // ±25% jitter
    S.backoff = Math.min(S.backoff * 2, BACKOFF_MAX_MS);
    setConn('reconnecting', 'reconnecting…');
    S.reconnectTimer = setTimeout(connect, delay);
  }

  function onClose(ev) {
    S.ws = null;
    S.connected = false;
    clearInterval(S.pingTimer);
    S.pingTimer = null;
    for (const p of S.pending.values()) p.sent = false; // in flight: resend after reconnect
    if (S.leaving || !S.session) return;
    if (FATAL_CLOSE[ev.code]) {
      el.quiz.value = S.session.quiz;
      clearSession();
      S.pending.clear();
      resetGame();
      showJoin(FATAL_CLOSE[ev.code]);
      return;
    }
    if (ev.code === 4029) {
      showNotice('Too many messages: slowing down before reconnecting.', 'warn');
      scheduleReconnect(BACKOFF_MAX_MS);
      return;
    }
    scheduleReconnect();
  }

  function send(obj) {
    if (S.ws && S.ws.readyState === WebSocket.OPEN) {
      S.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  function sendPing() {
    const nonce = randomId();
    S.pingSent.set(nonce, Date.now());
    if (S.pingSent.size > 8) S.pingSent.delete(S.pingSent.keys().next().value);
    send({ type: 'ping', nonce });
  }

  function onMessage(ev) {
    let msg;
    try { msg = JSON.parse(ev.data); } catch (_) { return; }
    if (!msg || typeof msg !== 'object') return;
    switch (msg.type) {
      case 'snapshot': onSnapshot(msg); break;
      case 'answer_result': onAnswerResult(msg); break;
      case 'board': onBoard(msg); break;
      case 'error': onError(msg); break;
      case 'pong': onPong(msg); break;
      default: break;
    }
  }

  function onSnapshot(msg) {
    const first = !S.connected;
    S.connected = true;
    S.backoff = BACKOFF_MIN_MS;
    setConn('connected', 'connected');
    showNotice('');
    if (first) {
      clearInterval(S.pingTimer);
      S.pingTimer = setInterval(sendPing, PING_EVERY_MS);
      sendPing();
    }
    applySnapshot(msg);
    flushPending();
  }

  function applySnapshot(msg) {
    S.quizTitle = String(msg.title || msg.quiz || 'Quiz');
    S.status = msg.status || 'open';
    S.questions = Array.isArray(msg.questions) ? msg.questions : [];
    S.answered = new Map();
    for (const a of msg.answered || []) {
      S.answered.set(a.question, { correct: !!a.correct, points: a.points | 0, streak: a.streak | 0 });
    }
    // Pending answers the server already has are done (their result is in `answered`).
    let changed = false;
    for (const [id, p] of S.pending) {
      if (S.answered.has(p.question)) { S.pending.delete(id); changed = true; }
    }
    if (changed) savePending();
    if (S.session && msg.name) {
      S.session.name = msg.name;
      if (msg.player) S.session.player = msg.player;
      el.meName.textContent = msg.name;
    }
    const board = msg.board || {};
    let sum = 0;
    for (const a of S.answered.values()) sum += a.points;
    S.total = board.me && Number.isFinite(board.me.score) ? board.me.score : sum;
    S.lastSeq = -Infinity; // a snapshot resets the baseline
    renderBoard(board, true);
    el.quizTitle.textContent = S.quizTitle;
    document.title = S.quizTitle + ' · Quiz';
    renderScore();
    render(true);
  }

  function flushPending() {
    for (const [id, p] of S.pending) {
      if (!p.sent) sendAnswer(id);
    }
  }

  function sendAnswer(answerId) {
    const p = S.pending.get(answerId);
    if (!p) return;
    p.sent = send({ type: 'answer', answer_id: answerId, question: p.question, option: p.option });
    p.sentAt = Date.now();
  }

  function answer(question, option) {
    if (S.answered.has(question) || S.status === 'closed') return;
    for (const p of S.pending.values()) if (p.question === question) return; // already chosen
    const id = randomId();
    S.pending.set(id, { question, option, sent: false });
    savePending();
    sendAnswer(id);
    render(true);
    if (!S.pending.get(id) || !S.pending.get(id).sent) {
      setResult('Answer saved; it will be sent when the connection is back.', 'neutral');
    }
  }

  function onAnswerResult(msg) {
    let known = S.pending.has(msg.answer_id);
    if (known) { S.pending.delete(msg.answer_id); savePending(); }
    const wasAnswered = S.answered.has(msg.question);
    S.answered.set(msg.question, { correct: !!msg.correct, points: msg.points | 0, streak: msg.streak | 0 });
    if (Number.isFinite(msg.total)) S.total = msg.total;
    if (Number.isFinite(msg.rank) && msg.rank > 0) {
      const players = Math.max(S.players, msg.rank);
      S.me = Object.assign({}, S.me || {}, { rank: msg.rank, score: S.total });
      S.players = players;
    }
    if (known || !wasAnswered) {
      const q = S.questions.find((x) => x.id === msg.question);
      const label = q ? 'Question ' + (S.questions.indexOf(q) + 1) + ': ' : '';
      if (msg.correct) {
        let text = label + 'Correct! +' + msg.points + ' points';
        if (msg.streak > 1) text += ' · streak ' + msg.streak;
        setResult(text, 'correct');
      } else {
        setResult(label + 'Incorrect · 0 points', 'incorrect');
      }
    }
    renderScore();
    render(true);
  }

  function onError(msg) {
    const id = msg.answer_id;
    const p = id ? S.pending.get(id) : null;
    switch (msg.code) {
      case 'try_again':
      case 'unavailable':
      case 'rate_limited':
        if (p) {
          p.sent = false;
          const delay = msg.code === 'rate_limited' ? 1000 : RETRY_ANSWER_MS + Math.random() * 400;
          setTimeout(() => { if (S.pending.has(id) && !S.pending.get(id).sent) sendAnswer(id); }, delay);
        } else if (msg.code === 'rate_limited') {
          showNotice('Slow down: too many messages.', 'warn');
        }
        return;
      default:
        break;
    }
    if (p) {
      S.pending.delete(id);
      savePending();
      if (msg.code === 'too_late') S.skipped.add(p.question);
      setResult(ANSWER_ERRORS[msg.code] || ('Answer refused: ' + (msg.message || msg.code)), 'incorrect');
      if (msg.code === 'quiz_closed') S.status = 'closed';
      render(true);
    } else if (msg.code === 'quiz_closed' || msg.code === 'unknown_quiz') {
      S.status = 'closed';
      render(true);
    }
  }

  function onPong(msg) {
    const sent = S.pingSent.get(msg.nonce);
    if (sent !== undefined && Number.isFinite(msg.server_time)) {
      S.pingSent.delete(msg.nonce);
      const now = Date.now();
      S.skew = msg.server_time + (now - sent) / 2 - now;
    }
  }

  function onBoard(msg) {
    if (!(msg.seq > S.lastSeq)) return; // stale or repeated
    renderBoard(msg, false);
    renderScore();
  }

  // ---------- rendering ----------
  function setResult(text, kind) {
    el.result.textContent = text;
    el.result.className = 'result' + (kind ? ' ' + kind : '');
  }

  function entryRow(e, mine) {
    const li = document.createElement('li');
    li.dataset.player = e.player;
    if (mine) { li.className = 'me'; li.setAttribute('aria-current', 'true'); }
    const rank = document.createElement('span');
    rank.className = 'rank';
    rank.textContent = '#' + e.rank;
    const name = document.createElement('span');
    name.className = 'pname';
    name.textContent = e.name + (mine ? ' (you)' : '');
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = String(e.score);
    li.append(rank, name, score);
    return li;
  }

  function renderBoard(b, fromSnapshot) {
    if (Number.isFinite(b.seq)) S.lastSeq = b.seq;
    if (Number.isFinite(b.server_time) && fromSnapshot) S.skew = b.server_time - Date.now();
    const mine = S.session && S.session.player;
    const top = Array.isArray(b.top) ? b.top : [];
    el.board.replaceChildren(...top.map((e) => entryRow(e, e.player === mine)));
    el.boardEmpty.hidden = top.length > 0;
    const around = Array.isArray(b.around) ? b.around : [];
    const meInTop = top.some((e) => e.player === mine);
    el.around.replaceChildren(...around.map((e) => entryRow(e, e.player === mine)));
    el.aroundWrap.hidden = around.length === 0 || (meInTop && around.every((e) => top.some((t) => t.player === e.player)));
    if (Number.isFinite(b.players)) S.players = b.players;
    if (b.me) {
      S.me = b.me;
      if (Number.isFinite(b.me.score) && b.me.score > S.total) S.total = b.me.score; // scores only grow
    }
  }

  function renderScore() {
    el.myScore.textContent = String(S.total);
    el.finalScore.textContent = String(S.total);
    let text;
    if (S.me && S.me.rank) text = 'You are #' + S.me.rank + ' of ' + Math.max(S.players, S.me.rank);
    else text = 'Not ranked yet' + (S.players ? ' (' + S.players + ' on the board)' : '');
    if (text !== S.lastRankText) { el.myRank.textContent = text; S.lastRankText = text; }
  }

  function isPending(qid) {
    for (const p of S.pending.values()) if (p.question === qid) return true;
    return false;
  }

  function currentQuestion(now) {
    for (const q of S.questions) {
      if (S.answered.has(q.id) || S.skipped.has(q.id)) continue;
      if (isPending(q.id)) return q; // chosen, waiting for the server
      if (q.closes_at > now) return q;
    }
    return null;
  }

  function render(force) {
    if (!S.session || el.playView.hidden) return;
    const now = serverNow();
    const finishedAll = S.questions.length > 0 && !currentQuestion(now);
    const closed = S.status === 'closed';
    if (closed || finishedAll) {
      const key = 'finished:' + (closed ? 'closed' : 'done');
      if (force || S.rendered !== key) {
        S.rendered = key;
        S.currentId = null;
        el.qCard.hidden = true;
        el.finished.hidden = false;
        let correct = 0;
        for (const a of S.answered.values()) if (a.correct) correct++;
        el.finalDetail.textContent = (closed ? 'The quiz is closed. ' : '') +
          'You answered ' + S.answered.size + ' of ' + S.questions.length + ' questions; ' +
          correct + ' correct.';
      }
      return;
    }
    el.finished.hidden = true;
    const q = currentQuestion(now);
    if (!q) { el.qCard.hidden = true; return; }
    el.qCard.hidden = false;
    const waiting = isPending(q.id);
    const key = q.id + (waiting ? ':waiting' : ':open');
    if (force || S.rendered !== key) {
      const changedQuestion = S.currentId !== q.id;
      S.rendered = key;
      S.currentId = q.id;
      el.qCard.dataset.question = q.id;
      const idx = S.questions.indexOf(q);
      el.qProgress.textContent = 'Question ' + (idx + 1) + ' of ' + S.questions.length;
      el.qPoints.textContent = q.points + ' points';
      el.prompt.textContent = q.prompt;
      const chosen = waitingOption(q.id);
      const hadFocus = el.options.contains(document.activeElement);
      if (changedQuestion || el.options.children.length !== (q.options || []).length) {
        const buttons = (q.options || []).map((text, i) => {
          const b = document.createElement('button');
          b.type = 'button';
          b.className = 'option';
          b.dataset.index = String(i);
          b.textContent = text;
          b.addEventListener('click', () => answer(q.id, i));
          return b;
        });
        el.options.replaceChildren(...buttons);
        if (hadFocus && buttons[0]) buttons[0].focus();
      }
      // While an answer is on its way the buttons stay in place (so keyboard focus is
      // kept) but are marked disabled; answer() ignores a second choice anyway.
      Array.from(el.options.children).forEach((b, i) => {
        b.classList.toggle('chosen', chosen === i);
        if (waiting) b.setAttribute('aria-disabled', 'true');
        else b.removeAttribute('aria-disabled');
      });
    }
    tickCountdown(q, now);
  }

  function waitingOption(qid) {
    for (const p of S.pending.values()) if (p.question === qid) return p.option;
    return -1;
  }

  function tickCountdown(q, now) {
    const left = Math.max(0, q.closes_at - now);
    const secs = Math.ceil(left / 1000);
    const text = isPending(q.id) ? 'sending…' : secs + ' s';
    if (el.countdown.textContent !== text) el.countdown.textContent = text;
    const limit = q.time_limit_ms > 0 ? q.time_limit_ms : 1;
    const frac = Math.max(0, Math.min(1, left / limit));
    el.timerFill.style.width = (frac * 100).toFixed(1) + '%';
    el.timerFill.className = secs <= 5 ? 'low' : '';
  }

  function tick() {
    if (!S.session || el.playView.hidden) return;
    if (S.connected) {
      for (const [id, p] of S.pending) {
        if (p.sent && Date.now() - p.sentAt > REPLY_TIMEOUT_MS) sendAnswer(id);
      }
    }
    const now = serverNow();
    const prev = S.currentId;
    const q = currentQuestion(now);
    if (!q || q.id !== prev) {
      if (prev && !S.answered.has(prev) && !isPending(prev)) {
        const idx = S.questions.findIndex((x) => x.id === prev);
        setResult('Time is up for question ' + (idx + 1) + '.', 'neutral');
      }
      render(false);
    } else {
      tickCountdown(q, now);
    }
  }

  // ---------- start ----------
  function start() {
    const params = new URLSearchParams(location.search);
    const wanted = params.get('quiz');
    if (wanted && /^[A-Za-z0-9_-]{1,64}$/.test(wanted)) el.quiz.value = wanted;
    el.joinForm.addEventListener('submit', join);
    el.leave.addEventListener('click', leave);
    window.addEventListener('online', () => { if (S.session && !S.ws) connect(); });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && S.session && !S.ws && S.reconnectTimer) connect();
    });
    setInterval(tick, 250);

    const saved = loadSession();
    if (saved && (!wanted || wanted === saved.quiz)) {
      S.session = saved;
      loadPending();
      resetGame();
      showPlay();
      el.quizTitle.textContent = saved.quiz;
      connect();
    } else {
      showJoin('');
    }
  }

  start();
})();

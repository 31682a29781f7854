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
    4009: 'You were removed by the host.',
  };
  const JOIN_ERRORS = {
    name_taken: 'That name is taken. Please choose another name.',
    bad_name: 'That name is not allowed (1 to 32 characters, no control characters).',
    bad_quiz_id: 'That quiz id is not valid (letters, digits, "_" and "-" only).',
    unknown_quiz: 'There is no quiz with that id.',
    quiz_closed: 'This quiz is closed: it no longer accepts players.',
    quiz_full: 'This quiz is full.',
    rate_limited: 'Too many join attempts. Please wait a minute and try again.',
    lobby_locked: 'The host has locked this game: nobody can join right now.',
    game_over: 'This game is over: it no longer accepts players.',
  };
  const ANSWER_ERRORS = {
    too_late: 'Too late: time was up for that question.',
    quiz_closed: 'The quiz is closed: answers are no longer accepted.',
    unknown_quiz: 'This quiz no longer exists.',
    unknown_question: 'The server does not know that question.',
    option_out_of_range: 'That option is not valid.',
    no_open_question: 'No question is open right now.',
    not_the_open_question: 'That question is no longer open.',
    wrong_answer_type: 'That kind of answer does not fit this question. Reload the page and answer again.',
    empty_answer: 'Your answer was empty: choose an option or type an answer.',
    duplicate_option: 'An option was picked twice. Please choose again.',
    answer_too_long: 'That answer is too long (at most 64 characters).',
    invalid_message: 'The server could not read that answer. Please answer again.',
  };
  // Question types (a question without one is "single").
  const TYPES = ['single', 'multi', 'true_false', 'poll', 'type_answer'];
  const TYPE_HINTS = {
    single: '',
    multi: 'Choose every right answer, then press Submit.',
    true_false: '',
    poll: 'A poll: vote for one option. There is no right or wrong answer and no points.',
    type_answer: 'Type your answer and press Enter or Submit.',
  };
  const TEXT_MAX = 64; // characters of a typed answer, when the question does not say

  // ---------- DOM ----------
  const $ = (id) => document.getElementById(id);
  const el = {
    conn: $('conn'),
    joinView: $('join-view'), joinForm: $('join-form'), quiz: $('quiz'), name: $('name'),
    join: $('join'), joinError: $('join-error'),
    playView: $('play-view'), quizTitle: $('quiz-title'), meName: $('me-name'), leave: $('leave'),
    myScore: $('my-score'), myRank: $('my-rank'), notice: $('play-notice'),
    qCard: $('question-card'), qProgress: $('q-progress'), qPoints: $('q-points'),
    prompt: $('prompt'), qHint: $('q-hint'), countdown: $('countdown'), timerFill: $('timer-fill'), options: $('options'),
    finished: $('finished'), finalScore: $('final-score'), finalDetail: $('final-detail'),
    result: $('result'),
    board: $('leaderboard'), boardEmpty: $('board-empty'), aroundWrap: $('around-wrap'), around: $('around'),
    boardCard: $('board-card'), qStatus: $('q-status'),
    // hosted games
    hosted: $('hosted'), hPhase: $('h-phase'), hPaused: $('h-paused'), hCount: $('h-count'),
    hLobby: $('h-lobby'), hPlayers: $('h-players'),
    hReveal: $('h-reveal'), hResult: $('h-result'), hAnswer: $('h-answer'), hYours: $('h-yours'),
    hDetail: $('h-detail'), hTotal: $('h-total'), hExplanation: $('h-explanation'),
    hBoard: $('h-board'), hRank: $('h-rank'), hMove: $('h-move'),
    hPodium: $('h-podium'), hFinalRank: $('h-final-rank'), hFinalScore: $('h-final-score'),
    hPodiumList: $('h-podium-list'),
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
    questions: [],        // [{id, type, prompt, options, points, time_limit_ms, opens_at, closes_at}]
    answered: new Map(),  // question id -> {correct, outcome, points, streak}
    skipped: new Set(),   // question ids refused as too late
    pending: new Map(),   // answer_id -> {question, answer: {option}|{options}|{text}, sent: bool}
    picks: new Map(),     // multi question id -> Set of the options toggled on (not sent yet)
    total: 0,
    me: null,             // latest board line of this player
    players: 0,
    lastSeq: -Infinity,
    skew: 0,              // server clock minus local clock, ms
    currentId: null,      // question shown
    rendered: '',         // key of the rendered question (id + state)
    lastRankText: '',
    // Hosted games (the snapshot says mode "hosted"): the host drives the phases.
    mode: '',             // '' until a snapshot arrives, then 'self_paced' or 'hosted'
    phase: null,          // the latest phase frame shown
    content: null,        // the latest phase frame that is not "paused" (what a pause keeps on screen)
    phaseSeq: -Infinity,  // highest phase seq shown
    phaseOnSocket: false, // a phase frame arrived on the current socket
    counts: null,         // {answered, expected} of the open question
    hRank: null,          // {rank, players} from the latest board the host showed
    chosen: new Map(),    // question id -> the answer this page gave ({option}|{options}|{text})
    hQuestion: null,      // question id whose option buttons are rendered
    ui: null,             // {q, canAnswer, chosen, reveal}: what the answer controls show
    note: null,           // {question, text}: a hint under the controls ("Type an answer first")
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

  // ---------- answers ----------
  function qType(q) {
    return q && TYPES.includes(q.type) ? q.type : 'single';
  }

  /** A copy of an answer payload with exactly one of option / options / text, or null. */
  function payload(a) {
    if (!a || typeof a !== 'object' || Array.isArray(a)) return null;
    const fields = ['option', 'options', 'text'].filter((k) => a[k] !== undefined && a[k] !== null);
    if (fields.length !== 1) return null;
    if (Number.isInteger(a.option) && a.option >= 0) return { option: a.option };
    if (Array.isArray(a.options) && a.options.length > 0 &&
        a.options.every((i) => Number.isInteger(i) && i >= 0) && new Set(a.options).size === a.options.length) {
      return { options: a.options.slice() };
    }
    if (typeof a.text === 'string' && a.text.trim() !== '') return { text: a.text };
    return null;
  }

  /** The option indexes an answer picked (none for a typed answer). */
  function pickedIndexes(a) {
    if (!a) return [];
    if (Number.isInteger(a.option)) return [a.option];
    if (Array.isArray(a.options)) return a.options;
    return [];
  }

  /** The result of an answer: "correct", "partial", "wrong" or "counted". */
  function outcomeOf(m) {
    const o = m && m.outcome;
    if (o === 'correct' || o === 'partial' || o === 'wrong' || o === 'counted') return o;
    return m && m.correct ? 'correct' : 'wrong';
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
      sessionStorage.setItem(PENDING_KEY, JSON.stringify(Array.from(S.pending, ([id, p]) => [id, p.question, p.answer])));
    } catch (_) { /* ignore */ }
  }
  function loadPending() {
    S.pending.clear();
    try {
      const list = JSON.parse(sessionStorage.getItem(PENDING_KEY) || '[]');
      if (Array.isArray(list)) {
        for (const item of list) {
          if (!Array.isArray(item)) continue;
          const [id, question, stored] = item;
          // Stored before question types: a bare option index.
          const answer = Number.isInteger(stored) ? payload({ option: stored }) : payload(stored);
          if (typeof id === 'string' && typeof question === 'string' && answer) {
            S.pending.set(id, { question, answer, sent: false });
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
    S.picks = new Map();
    S.total = 0;
    S.me = null;
    S.players = 0;
    S.lastSeq = -Infinity;
    S.currentId = null;
    S.rendered = '';
    S.lastRankText = '';
    el.result.textContent = '';
    el.result.className = 'result';
    el.options.replaceChildren();
    delete el.options.dataset.key;
    el.qHint.textContent = '';
    el.board.replaceChildren();
    el.around.replaceChildren();
    el.myScore.textContent = '0';
    el.myRank.textContent = 'Not ranked yet';
    showNotice('');
    S.mode = '';
    S.phase = null;
    S.content = null;
    S.phaseSeq = -Infinity;
    S.counts = null;
    S.hRank = null;
    S.chosen = new Map();
    S.hQuestion = null;
    S.ui = null;
    S.note = null;
    el.hosted.hidden = true;
    el.hosted.classList.remove('visually-hidden');
    el.hCount.hidden = true;
    el.boardCard.hidden = false;
    el.qStatus.textContent = '';
    el.qCard.classList.remove('hosted-q');
    el.hPhase.textContent = '';
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
    S.phaseOnSocket = false;
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
    if (ev.code === 4010) {
      // Another tab or device of this player took over: do not fight it back.
      setConn('idle', 'playing elsewhere');
      showNotice('This game continues in another tab or window. Reload this page to play here instead.', 'warn');
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
      case 'phase': onPhase(msg); break;
      case 'answered': onAnswered(msg); break;
      case 'roster': onRoster(msg); break;
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
    S.mode = msg.mode === 'hosted' ? 'hosted' : 'self_paced';
    S.questions = Array.isArray(msg.questions) ? msg.questions : [];
    S.answered = new Map();
    for (const a of msg.answered || []) {
      S.answered.set(a.question, { correct: !!a.correct, outcome: outcomeOf(a), points: a.points | 0, streak: a.streak | 0 });
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
    // A rank means something once points were scored (at join everybody ties at 0).
    if (isHosted() && board.me && board.me.rank && board.me.score > 0) {
      S.hRank = { rank: board.me.rank, players: board.players | 0 };
    }
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
    // The same answer_id and payload on every resend, so a retry is recognised as one.
    p.sent = send(Object.assign({ type: 'answer', answer_id: answerId, question: p.question }, p.answer));
    p.sentAt = Date.now();
  }

  /** Answers `question` with `given` ({option: n}, {options: [..]} or {text: '..'}). */
  function answer(question, given) {
    const a = payload(given);
    if (!a || S.answered.has(question) || S.status === 'closed') return;
    for (const p of S.pending.values()) if (p.question === question) return; // already chosen
    if (isHosted()) {
      if (!hostedOpenQuestion() || hostedOpenQuestion().id !== question) return;
      S.chosen.set(question, a);
    }
    const id = randomId();
    S.pending.set(id, { question, answer: a, sent: false });
    savePending();
    sendAnswer(id);
    render(true);
    if (!S.pending.get(id) || !S.pending.get(id).sent) {
      setResult('Answer saved; it will be sent when the connection is back.', 'neutral');
    }
  }

  function onAnswerResult(msg) {
    if (isHosted()) { onHostedAnswerResult(msg); return; }
    let known = S.pending.has(msg.answer_id);
    if (known) { S.pending.delete(msg.answer_id); savePending(); }
    const wasAnswered = S.answered.has(msg.question);
    const outcome = outcomeOf(msg);
    S.answered.set(msg.question, { correct: !!msg.correct, outcome, points: msg.points | 0, streak: msg.streak | 0 });
    S.picks.delete(msg.question);
    if (Number.isFinite(msg.total)) S.total = msg.total;
    if (Number.isFinite(msg.rank) && msg.rank > 0) {
      const players = Math.max(S.players, msg.rank);
      S.me = Object.assign({}, S.me || {}, { rank: msg.rank, score: S.total });
      S.players = players;
    }
    if (known || !wasAnswered) {
      const q = S.questions.find((x) => x.id === msg.question);
      const label = q ? 'Question ' + (S.questions.indexOf(q) + 1) + ': ' : '';
      if (outcome === 'correct') {
        let text = label + 'Correct! +' + msg.points + ' points';
        if (msg.streak > 1) text += ' · streak ' + msg.streak;
        setResult(text, 'correct');
      } else if (outcome === 'partial') {
        setResult(label + 'Partly right: +' + msg.points + ' points', 'partial');
      } else if (outcome === 'counted') {
        setResult(label + 'Vote counted', 'neutral');
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
      S.chosen.delete(p.question); // refused: nothing was recorded, the question may be answered again
      if (msg.code === 'too_late') S.skipped.add(p.question);
      setResult(ANSWER_ERRORS[msg.code] || ('Answer refused: ' + (msg.message || msg.code)), 'incorrect');
      if (msg.code === 'quiz_closed') S.status = 'closed';
      render(true);
    } else if (msg.code === 'quiz_closed' || msg.code === 'unknown_quiz') {
      S.status = 'closed';
      render(true);
    } else if (isHosted()) {
      showNotice(msg.message || ('The server refused a message (' + msg.code + ').'), 'error');
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
    // In a hosted game the board is shown when the host shows it (phase frames), so the
    // live board does not give away who answered right before the reveal.
    if (isHosted()) {
      // ...but it follows joins (which send no phase frame): the lobby's player count.
      if (Number.isFinite(msg.players) && msg.seq > S.lastSeq && S.phase && S.phase.phase === 'lobby') {
        S.lastSeq = msg.seq;
        S.players = msg.players;
        renderHosted();
      }
      return;
    }
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
    if (isHosted()) { renderHostedScore(); return; }
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
    if (isHosted()) { renderHosted(); return; }
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
        let partial = 0;
        let votes = 0;
        for (const a of S.answered.values()) {
          if (a.outcome === 'correct') correct++;
          else if (a.outcome === 'partial') partial++;
          else if (a.outcome === 'counted') votes++;
        }
        el.finalDetail.textContent = (closed ? 'The quiz is closed. ' : '') +
          'You answered ' + S.answered.size + ' of ' + S.questions.length + ' questions; ' +
          correct + ' correct' + (partial ? ', ' + partial + ' partly right' : '') +
          (votes ? ', ' + votes + (votes === 1 ? ' poll vote' : ' poll votes') : '') + '.';
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
      el.qPoints.textContent = pointsLabel(q);
      el.prompt.textContent = q.prompt;
      if (changedQuestion) setNote(null, '');
      if (changedQuestion || el.options.dataset.key !== answerUIKey(q, false)) buildAnswerUI(q, false);
      // While an answer is on its way the controls stay in place (so keyboard focus is
      // kept) but are marked disabled; answer() ignores a second choice anyway.
      updateAnswerUI(q, { canAnswer: !waiting, chosen: waitingAnswer(q.id), reveal: null });
    }
    tickCountdown(q, now);
  }

  /** The answer on its way for question `qid`, or null. */
  function waitingAnswer(qid) {
    for (const p of S.pending.values()) if (p.question === qid) return p.answer;
    return null;
  }

  // ---------- the answer controls, by question type ----------
  // Built once per question (so keyboard focus and a half-typed answer survive the
  // re-renders), then updated in place by updateAnswerUI: the choice, the right answers
  // at a hosted reveal, and whether answering is possible now.

  function pointsLabel(q) {
    return qType(q) === 'poll' ? 'Poll · no points' : q.points + ' points';
  }

  function answerUIKey(q, big) {
    const options = Array.isArray(q.options) ? q.options : [];
    return q.id + '|' + qType(q) + '|' + (big ? 'big' : '') + '|' + JSON.stringify(options);
  }

  function buildAnswerUI(q, big) {
    const type = qType(q);
    const options = Array.isArray(q.options) ? q.options : [];
    const hadFocus = el.options.contains(document.activeElement);
    el.options.dataset.key = answerUIKey(q, big);
    el.options.className = 'options type-' + type;
    setText(el.qHint, TYPE_HINTS[type] || '');
    let first = null;
    if (type === 'type_answer') {
      const form = document.createElement('form');
      form.className = 'text-answer';
      form.noValidate = true;
      form.setAttribute('autocomplete', 'off');
      const input = document.createElement('input');
      input.type = 'text';
      input.id = 'answer-text';
      input.className = 'answer-text' + (big ? ' big' : '');
      input.maxLength = q.max_length > 0 ? q.max_length : TEXT_MAX;
      input.autocomplete = 'off';
      input.spellcheck = false;
      input.setAttribute('autocapitalize', 'off');
      input.setAttribute('enterkeyhint', 'send');
      input.setAttribute('aria-labelledby', 'prompt');
      input.placeholder = 'Your answer';
      input.addEventListener('input', () => { setNote(null, ''); updateSubmit(q); });
      const submit = document.createElement('button');
      submit.type = 'submit';
      submit.className = 'primary submit-answer';
      submit.textContent = 'Submit';
      // Enter in the field submits the form.
      form.addEventListener('submit', (ev) => { ev.preventDefault(); submitText(q); });
      form.append(input, submit);
      el.options.replaceChildren(form);
      first = input;
    } else {
      const multi = type === 'multi';
      const buttons = options.map((text, i) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'option' + (big ? ' big' : '') + (multi ? ' toggle' : '');
        b.dataset.index = String(i);
        b.textContent = text;
        if (multi) {
          b.setAttribute('aria-pressed', 'false');
          b.addEventListener('click', () => togglePick(q, i));
        } else {
          b.addEventListener('click', () => answer(q.id, { option: i }));
        }
        return b;
      });
      const nodes = buttons.slice();
      if (multi) {
        const submit = document.createElement('button');
        submit.type = 'button';
        submit.className = 'primary submit-answer';
        submit.textContent = 'Submit';
        submit.addEventListener('click', () => submitPicks(q));
        nodes.push(submit);
      }
      el.options.replaceChildren(...nodes);
      first = buttons[0] || null;
    }
    if (hadFocus && first) first.focus();
  }

  /** The right option indexes of a reveal (single, true_false, multi). */
  function rightIndexes(r) {
    if (Array.isArray(r.correct_options) && r.correct_options.length) return r.correct_options;
    return Number.isInteger(r.correct) ? [r.correct] : [];
  }

  /**
   * Marks the controls of question `q`: `chosen` is the answer given (or on its way), null
   * when none; `reveal` the hosted reveal, null before it.
   */
  function updateAnswerUI(q, st) {
    S.ui = { q, canAnswer: !!st.canAnswer, chosen: st.chosen || null, reveal: st.reveal || null };
    const type = qType(q);
    const r = S.ui.reveal;
    const picked = S.ui.chosen ? pickedIndexes(S.ui.chosen)
      : type === 'multi' && !r ? Array.from(S.picks.get(q.id) || []) : [];
    const right = r && type !== 'poll' ? rightIndexes(r) : [];
    el.qHint.hidden = !el.qHint.textContent || !!r;
    for (const b of el.options.querySelectorAll('button.option')) {
      const i = Number(b.dataset.index);
      const on = picked.includes(i);
      b.classList.toggle('chosen', on);
      b.classList.toggle('correct', right.includes(i));
      b.classList.toggle('wrong', !!r && type !== 'poll' && on && !right.includes(i));
      if (type === 'multi') b.setAttribute('aria-pressed', on ? 'true' : 'false');
      if (S.ui.canAnswer) b.removeAttribute('aria-disabled');
      else b.setAttribute('aria-disabled', 'true');
    }
    const input = el.options.querySelector('input.answer-text');
    if (input) {
      input.readOnly = !S.ui.canAnswer;
      const given = S.ui.chosen && typeof S.ui.chosen.text === 'string' ? S.ui.chosen.text : null;
      if (given !== null && input.value !== given) input.value = given;
      const you = r && r.you && r.you.answered ? outcomeOf(r.you) : '';
      input.classList.toggle('correct', you === 'correct');
      input.classList.toggle('wrong', you === 'wrong');
    }
    updateSubmit(q);
  }

  /** The Submit button of a multi or typed answer: usable once there is something to send. */
  function updateSubmit(q) {
    const submit = el.options.querySelector('.submit-answer');
    if (!submit) return;
    const st = S.ui;
    const mine = !!st && st.q.id === q.id;
    let ready = mine && st.canAnswer;
    if (ready && qType(q) === 'multi') ready = (S.picks.get(q.id) || new Set()).size > 0;
    if (ready && qType(q) === 'type_answer') {
      const input = el.options.querySelector('input.answer-text');
      ready = !!input && input.value.trim() !== '';
    }
    if (ready) submit.removeAttribute('aria-disabled');
    else submit.setAttribute('aria-disabled', 'true');
    submit.hidden = mine && (!!st.reveal || !!st.chosen);
  }

  /** A short note under the controls ("Type an answer first"), for question `qid`. */
  function setNote(qid, text) {
    S.note = qid && text ? { question: qid, text } : null;
    if (!isHosted()) {
      setText(el.qStatus, text || '');
      el.qStatus.className = 'q-status note';
    }
  }

  function canAnswerNow(q) {
    const st = S.ui;
    return !!st && st.q.id === q.id && st.canAnswer && !S.answered.has(q.id) && !isPending(q.id);
  }

  function togglePick(q, i) {
    if (!canAnswerNow(q)) return;
    let set = S.picks.get(q.id);
    if (!set) { set = new Set(); S.picks.set(q.id, set); }
    if (set.has(i)) set.delete(i);
    else set.add(i);
    setNote(null, '');
    updateAnswerUI(q, S.ui);
    if (isHosted()) renderHosted();
  }

  function submitPicks(q) {
    if (!canAnswerNow(q)) return;
    const set = S.picks.get(q.id);
    if (!set || set.size === 0) {
      setNote(q.id, 'Choose at least one option first.');
      if (isHosted()) renderHosted();
      return;
    }
    setNote(null, '');
    answer(q.id, { options: Array.from(set).sort((a, b) => a - b) });
  }

  function submitText(q) {
    if (!canAnswerNow(q)) return;
    const input = el.options.querySelector('input.answer-text');
    const text = input ? input.value : '';
    const max = q.max_length > 0 ? q.max_length : TEXT_MAX;
    let note = '';
    if (text.trim() === '') note = 'Type an answer first.';
    else if (Array.from(text).length > max) note = 'That answer is too long (at most ' + max + ' characters).';
    if (note) {
      setNote(q.id, note);
      if (isHosted()) renderHosted();
      if (input) input.focus();
      return;
    }
    setNote(null, '');
    answer(q.id, { text });
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
    if (isHosted()) { renderHosted(); return; }
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

  // ---------- hosted games ----------
  // The snapshot says mode "hosted": the host moves everyone through lobby, question,
  // reveal, board and podium; each change arrives as a `phase` frame with a growing `seq`.

  function isHosted() { return S.mode === 'hosted'; }

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  /** The question that takes answers now, or null. */
  function hostedOpenQuestion() {
    const ph = S.phase;
    if (!ph || ph.phase !== 'question' || !ph.question) return null;
    if (ph.question.closes_at <= serverNow()) return null;
    return ph.question;
  }

  /** The question whose answer is not revealed yet (open or paused), or null. */
  function unrevealedQuestion() {
    const ph = S.phase;
    if (!ph || !ph.question) return null;
    if (ph.phase === 'question' || (ph.phase === 'paused' && ph.paused_from === 'question')) return ph.question;
    return null;
  }

  /** The total shown: the points of an answer not revealed yet are kept back until the reveal. */
  function shownTotal() {
    const q = unrevealedQuestion();
    const a = q ? S.answered.get(q.id) : null;
    return a ? Math.max(0, S.total - a.points) : S.total;
  }

  function ordinal(n) {
    const s = ['th', 'st', 'nd', 'rd'];
    const v = n % 100;
    return n + (s[(v - 20) % 10] || s[v] || s[0]);
  }

  function onPhase(msg) {
    if (!Number.isFinite(msg.seq)) return;
    const first = !S.phaseOnSocket;
    S.phaseOnSocket = true;
    // Keep the highest seq shown; after a reconnect the first frame is the current phase
    // again (same seq, fresh time left), which is taken for its clock.
    if (!(msg.seq > S.phaseSeq) && !(first && msg.seq === S.phaseSeq)) return;
    S.phaseSeq = msg.seq;
    S.mode = 'hosted';
    if (Number.isFinite(msg.server_time)) S.skew = msg.server_time - Date.now();
    const prevQuestion = S.phase && S.phase.question ? S.phase.question.id : null;
    S.phase = msg;
    if (msg.phase !== 'paused') S.content = msg;
    if (Number.isFinite(msg.players)) S.players = msg.players;
    S.counts = Number.isFinite(msg.answered) && Number.isFinite(msg.expected)
      ? { answered: msg.answered, expected: msg.expected } : null;
    if (msg.title) {
      S.quizTitle = String(msg.title);
      el.quizTitle.textContent = S.quizTitle;
      document.title = S.quizTitle + ' · Quiz';
    }
    const q = msg.question;
    const you = msg.reveal && msg.reveal.you;
    if (you && q) {
      if (Number.isFinite(you.total)) S.total = you.total;
      if (you.answered) {
        const old = S.answered.get(q.id);
        S.answered.set(q.id, {
          correct: !!you.correct, outcome: outcomeOf(you), points: you.points | 0, streak: old ? old.streak : 0,
        });
        // What this page sent wins: the reveal gives a typed answer normalised ("cafe noir").
        const given = payload({ option: you.option, options: you.options, text: you.text });
        if (given && !S.chosen.has(q.id)) S.chosen.set(q.id, given);
      }
    }
    if (msg.board) {
      renderBoard(msg.board, false);
      if (msg.board.me && msg.board.me.rank) {
        S.hRank = { rank: msg.board.me.rank, players: msg.board.players | 0 };
        if (Number.isFinite(msg.board.me.score)) S.total = msg.board.me.score;
      }
    }
    // Answers to a question that is no longer open would only be refused: drop them.
    const open = msg.phase === 'question' || msg.phase === 'paused' ? q && q.id : null;
    let dropped = false;
    for (const [id, p] of S.pending) {
      if (p.question !== open) { S.pending.delete(id); dropped = true; }
    }
    if (dropped) savePending();
    if (!q || q.id !== prevQuestion) setResult('', '');
    showNotice('');
    renderScore();
    renderHosted();
  }

  function onAnswered(msg) {
    if (!S.phase || msg.seq !== S.phaseSeq) return; // counts of another phase
    if (Number.isFinite(msg.answered) && Number.isFinite(msg.expected)) {
      S.counts = { answered: msg.answered, expected: msg.expected };
      renderHosted();
    }
  }

  // Joins and removals within a phase: the player count and a question's expected.
  function onRoster(msg) {
    if (!S.phase || msg.seq !== S.phaseSeq) return; // another phase's
    if (Number.isFinite(msg.players)) S.players = msg.players;
    if (Number.isFinite(msg.expected) && S.counts) {
      S.counts = { answered: S.counts.answered, expected: msg.expected };
    }
    renderHosted();
  }

  function onHostedAnswerResult(msg) {
    const p = S.pending.get(msg.answer_id);
    if (p) {
      S.pending.delete(msg.answer_id);
      savePending();
      S.chosen.set(msg.question, p.answer);
    }
    S.answered.set(msg.question, {
      correct: !!msg.correct, outcome: outcomeOf(msg), points: msg.points | 0, streak: msg.streak | 0,
    });
    S.picks.delete(msg.question);
    if (Number.isFinite(msg.total)) S.total = msg.total;
    // Right or wrong is shown at the reveal, for everyone at once.
    renderScore();
    renderHosted();
  }

  function renderHostedScore() {
    setText(el.myScore, String(shownTotal()));
    setText(el.finalScore, String(shownTotal()));
    const r = S.hRank;
    const text = r && r.rank ? 'You are #' + r.rank + ' of ' + Math.max(r.players || 0, r.rank) : 'Not ranked yet';
    if (text !== S.lastRankText) { el.myRank.textContent = text; S.lastRankText = text; }
  }

  function phaseLabel(ph, view) {
    const q = ph.question;
    const n = ph.question_count || 0;
    const qText = q ? 'Question ' + (q.index + 1) + ' of ' + n : '';
    let text;
    switch (view) {
      case 'lobby': text = 'Waiting for the host to start'; break;
      case 'question': text = qText; break;
      case 'reveal': text = qText + ': the answer'; break;
      case 'board': text = 'Leaderboard' + (q ? ' after question ' + (q.index + 1) + ' of ' + n : ''); break;
      case 'podium': text = 'Final results'; break;
      default: text = ''; break;
    }
    return ph.phase === 'paused' ? 'Paused · ' + text : text;
  }

  function renderHosted() {
    if (!S.session || el.playView.hidden) return;
    el.hosted.hidden = false;
    el.finished.hidden = true;
    const ph = S.phase;
    if (!ph) {
      setText(el.hPhase, 'Connecting to the game…');
      el.hosted.classList.remove('visually-hidden');
      el.hPaused.hidden = true;
      el.hCount.hidden = true;
      el.hLobby.hidden = el.hReveal.hidden = el.hBoard.hidden = el.hPodium.hidden = true;
      el.qCard.hidden = true;
      el.boardCard.hidden = true;
      return;
    }
    const paused = ph.phase === 'paused';
    const view = paused ? (ph.paused_from || 'question') : ph.phase;
    // What a pause keeps on screen: the paused frame's own reveal or board when it has one,
    // else the frame shown before the pause (when it is of the same view).
    const content = !paused || ph[view] ? ph
      : (S.content && S.content.phase === view ? S.content : null);
    setText(el.hPhase, phaseLabel(ph, view));
    el.hPaused.hidden = !paused;
    // While a question runs, the question card says it all: the phase line stays for
    // screen readers (it is the live region) but takes no room.
    el.hosted.classList.toggle('visually-hidden', view === 'question' && !paused);

    el.hLobby.hidden = view !== 'lobby';
    if (view === 'lobby') {
      const n = S.players | 0;
      setText(el.hPlayers, n + (n === 1 ? ' player' : ' players') + ' in the game' + (ph.locked ? ' · the lobby is locked' : ''));
    }

    // The question: open (or paused) in the question view, with the answer marked at the reveal.
    const q = view === 'question' ? ph.question : view === 'reveal' && content ? content.question : null;
    if (q) renderHostedQuestion(q, view, paused, content);
    else {
      el.qCard.hidden = true;
      el.qCard.classList.remove('hosted-q');
      S.hQuestion = null;
      delete el.options.dataset.key;
    }

    const counts = view === 'question' ? S.counts : null;
    el.hCount.hidden = !counts;
    if (counts) setText(el.hCount, counts.answered + ' of ' + counts.expected + ' players answered');

    el.hReveal.hidden = !(view === 'reveal' && content && content.reveal);
    if (!el.hReveal.hidden) renderHostedReveal(content.question, content.reveal);

    el.hBoard.hidden = !(view === 'board' && content && content.board);
    if (!el.hBoard.hidden) renderHostedBoard(content.board);

    el.hPodium.hidden = !(view === 'podium');
    if (view === 'podium') renderHostedPodium(ph);

    el.boardCard.hidden = !((view === 'board' || view === 'podium') && content && content.board);
  }

  function renderHostedQuestion(q, view, paused, content) {
    el.qCard.hidden = false;
    el.qCard.classList.add('hosted-q');
    el.qCard.dataset.question = q.id;
    setText(el.qProgress, 'Question ' + (q.index + 1) + ' of ' + (S.phase.question_count || '?'));
    setText(el.qPoints, pointsLabel(q));
    setText(el.prompt, q.prompt);
    if (S.hQuestion !== q.id || el.options.dataset.key !== answerUIKey(q, true)) {
      buildAnswerUI(q, true);
      S.hQuestion = q.id;
    }
    const answered = S.answered.has(q.id);
    const waiting = isPending(q.id);
    const chosen = waiting ? waitingAnswer(q.id) : (S.chosen.get(q.id) || null);
    const reveal = view === 'reveal' && content && content.reveal ? content.reveal : null;
    const now = serverNow();
    const left = view === 'question'
      ? (paused ? Math.max(0, pausedRemaining()) : Math.max(0, q.closes_at - now))
      : 0;
    const canAnswer = view === 'question' && !paused && left > 0 && !answered && !waiting;
    updateAnswerUI(q, { canAnswer, chosen, reveal });
    const poll = qType(q) === 'poll';
    let status = '';
    if (view === 'question') {
      if (waiting) status = poll ? 'Sending your vote…' : 'Sending your answer…';
      else if (answered) status = poll ? 'Vote locked in' : 'Answer locked in';
      else if (left <= 0) status = 'Time is up';
      else if (S.note && S.note.question === q.id) status = S.note.text;
    }
    setText(el.qStatus, status);
    el.qStatus.className = 'q-status' + (answered && view === 'question' ? ' locked' : '');
    const timer = el.countdown.parentElement;
    timer.hidden = view !== 'question';
    if (view === 'question') {
      const secs = Math.ceil(left / 1000);
      setText(el.countdown, secs + ' s');
      const limit = q.time_limit_ms > 0 ? q.time_limit_ms : 1;
      el.timerFill.style.width = (Math.max(0, Math.min(1, left / limit)) * 100).toFixed(1) + '%';
      el.timerFill.className = secs <= 5 ? 'low' : '';
    }
  }

  /** Time left of a paused question, frozen at the pause. */
  function pausedRemaining() {
    const ph = S.phase;
    if (ph && Number.isFinite(ph.remaining_ms)) return ph.remaining_ms;
    return ph && ph.question ? ph.question.closes_at - ph.server_time : 0;
  }

  function renderHostedReveal(q, r) {
    const type = TYPES.includes(r.type) ? r.type : qType(q);
    const you = r.you;
    let text;
    let kind;
    if (!you || !you.answered) {
      text = type === 'poll' ? 'You did not vote' : 'You did not answer · 0 points';
      kind = 'neutral';
    } else {
      const pts = you.points | 0;
      switch (type === 'poll' ? 'counted' : outcomeOf(you)) {
        case 'counted': text = 'Vote counted'; kind = 'neutral'; break;
        case 'correct': text = 'Correct! +' + pts + ' points'; kind = 'correct'; break;
        case 'partial': text = 'Partly right: +' + pts + ' points'; kind = 'partial'; break;
        default: text = 'Wrong · ' + pts + ' points'; kind = 'incorrect'; break;
      }
    }
    setText(el.hResult, text);
    el.hResult.className = 'h-result ' + kind;
    const options = q && Array.isArray(q.options) ? q.options : [];
    // The right answer, by type (a poll has none).
    let answerText = '';
    if (type === 'type_answer') {
      const accepted = Array.isArray(r.accepted) ? r.accepted.map(String) : [];
      if (accepted.length) answerText = (accepted.length === 1 ? 'The answer: ' : 'Accepted answers: ') + accepted.join(' · ');
    } else if (type === 'poll') {
      answerText = 'A poll: no right or wrong answer.';
    } else {
      const right = rightIndexes(r).filter((i) => options[i] !== undefined).map((i) => options[i]);
      if (right.length) answerText = (right.length === 1 ? 'The answer: ' : 'The answers: ') + right.join(', ');
    }
    setText(el.hAnswer, answerText);
    // A typed answer is repeated here (the option buttons show the other types' picks): as
    // typed on this page when it was, else as the server has it (normalised).
    const mine = q ? S.chosen.get(q.id) : null;
    const typed = mine && typeof mine.text === 'string' ? mine.text : you && typeof you.text === 'string' ? you.text : null;
    const yours = you && you.answered && typed !== null ? 'You answered: "' + typed + '"' : '';
    el.hYours.hidden = !yours;
    setText(el.hYours, yours);
    renderRevealDetail(type, options, r);
    const total = you && Number.isFinite(you.total) ? you.total : S.total;
    setText(el.hTotal, 'Your total: ' + total + ' points');
    const expl = typeof r.explanation === 'string' ? r.explanation : '';
    el.hExplanation.hidden = !expl;
    setText(el.hExplanation, expl);
  }

  /** A poll's votes per option, or the answers typed most with their counts. */
  function renderRevealDetail(type, options, r) {
    let rows = [];
    if (type === 'poll') {
      const counts = Array.isArray(r.counts) ? r.counts : [];
      rows = options.map((o, i) => {
        const n = counts[i] | 0;
        return { text: String(o), count: n + (n === 1 ? ' vote' : ' votes'), mark: '' };
      });
    } else if (type === 'type_answer') {
      rows = (Array.isArray(r.texts) ? r.texts : []).map((t) => {
        const n = t.count | 0;
        return {
          text: '"' + String(t.text) + '"', count: '× ' + n,
          mark: t.correct ? '✓ accepted' : '✗ not accepted', ok: !!t.correct,
        };
      });
    }
    const key = type + '|' + JSON.stringify(rows);
    if (el.hDetail.dataset.key === key) return;
    el.hDetail.dataset.key = key;
    el.hDetail.hidden = rows.length === 0;
    el.hDetail.setAttribute('aria-label', type === 'poll' ? 'Votes per option' : 'Answers given');
    el.hDetail.replaceChildren(...rows.map((row) => {
      const li = document.createElement('li');
      if (row.mark) li.className = row.ok ? 'ok' : 'no';
      const t = document.createElement('span');
      t.className = 'd-text';
      t.textContent = row.text;
      const c = document.createElement('span');
      c.className = 'd-count';
      c.textContent = row.count;
      li.append(t, c);
      if (row.mark) {
        const m = document.createElement('span');
        m.className = 'd-mark';
        m.textContent = row.mark;
        li.append(m);
      }
      return li;
    }));
  }

  function renderHostedBoard(b) {
    const me = b.me;
    const players = Math.max(b.players | 0, me ? me.rank : 0);
    setText(el.hRank, me && me.rank ? 'You are #' + me.rank + ' of ' + players : 'You are not on the board yet');
    const mine = S.session && S.session.player;
    const mv = Array.isArray(b.movers) ? b.movers.find((m) => m.player === mine) : null;
    let move = '';
    if (mv && Number.isFinite(mv.to)) {
      if (!Number.isFinite(mv.from)) move = 'New on the board at #' + mv.to;
      else if (mv.to < mv.from) move = 'You moved up from #' + mv.from + ' to #' + mv.to;
      else if (mv.to > mv.from) move = 'You moved down from #' + mv.from + ' to #' + mv.to;
    }
    setText(el.hMove, move);
  }

  function renderHostedPodium(ph) {
    const b = ph.board || {};
    const me = b.me;
    const players = Math.max(b.players | 0, me ? me.rank : 0);
    setText(el.hFinalRank, me && me.rank
      ? 'You finished ' + ordinal(me.rank) + ' of ' + players
      : 'The game is over');
    setText(el.hFinalScore, 'Final score: ' + (me && Number.isFinite(me.score) ? me.score : S.total) + ' points');
    const podium = Array.isArray(ph.podium) ? ph.podium : [];
    const key = JSON.stringify(podium);
    if (el.hPodiumList.dataset.key !== key) {
      el.hPodiumList.dataset.key = key;
      const mine = S.session && S.session.player;
      el.hPodiumList.replaceChildren(...podium.map((e) => {
        const li = document.createElement('li');
        li.className = 'place place-' + e.rank + (e.player === mine ? ' me' : '');
        const rank = document.createElement('span');
        rank.className = 'rank';
        rank.textContent = ordinal(e.rank);
        const name = document.createElement('span');
        name.className = 'pname';
        name.textContent = e.name + (e.player === mine ? ' (you)' : '');
        const score = document.createElement('span');
        score.className = 'score';
        score.textContent = String(e.score);
        li.append(rank, name, score);
        return li;
      }));
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

//! The Lua scripts. Each one runs atomically on the node that owns the quiz's hash slot;
//! every key it touches is passed in `KEYS` and shares the quiz's hash tag.
//!
//! Numbers: Lua numbers are doubles, exact for integers below 2^53. Every number the
//! scripts compute stays below that (the sort key is below 2^53 by construction), and
//! numbers written back to Redis are formatted with `%.0f`, which prints such integers
//! exactly. Timestamps (milliseconds since the epoch, a `u64`) travel and are stored as
//! text; the one place a script does arithmetic on them (an answer's time since its
//! question opened) converts two of them, which as epoch milliseconds are far below 2^53.

use std::sync::LazyLock;

use crate::conn::Lua;

/// Records answers, each at most once, in order, in one call: a batch of answers whose keys
/// all live in one hash slot (one quiz on a cluster; any quizzes on a standalone server).
/// See [`crate::RedisScoreboard`]'s `record`.
///
/// KEYS: per answer `i` (from 0), `3i+1` board, `3i+2` player state, `3i+3` player answers.
/// ARGV: 1 the number of answers `n`, then 11 per answer from `2 + 11i`: player id,
/// question id, grade (`1` correct, `0` wrong, `p` partial, `n` counted: a poll vote), base
/// points, has streak bonus (`1`/`0`), streak step, streak cap, `at` (ms, text), ms since
/// quiz creation (0..=2^32-1) or `-1` when past the encoding's range, the question answered
/// before (`''` for none), the question's opening for the player (ms, text). The answer
/// time stored in the result counts from the player's answer to the question before if
/// there is one, else from the opening.
///
/// Each answer is recorded in turn, so a later answer sees the earlier ones' writes (a
/// repeat is a duplicate; a player's next answer continues the streak). Each one runs under
/// `pcall`, and reads everything it needs before its first write: an answer whose keys hold
/// something else (`WRONGTYPE`) fails alone, having written nothing, and the rest of the
/// batch goes on.
///
/// Replies: one entry per answer: `{"dup"|"new", result, total, answers, rank, reached_at}`;
/// `{"score", total}` when the new total does not fit the encoding, or `{"elapsed"}` when
/// `at` does not (both change nothing; the error order, score first, is the core's
/// `SortKey::encode`'s); `{"err", message}` when Redis refused one of its commands.
pub(crate) static RECORD: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        "record",
        r#"
local MAX_SCORE = 2097151
local TWO_32 = 4294967296

local function record(k, a)
  local board, state, answers_key = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local player, question = ARGV[a], ARGV[a + 1]
  -- This answer's stored result (a repeat) and the one of the question before, together.
  local got = redis.call('HMGET', answers_key, question, ARGV[a + 9])
  local stored = got[1]
  if stored then
    local st = redis.call('HMGET', state, 'total', 'answers', 'reached_at')
    local rank = redis.call('ZRANK', board, player)
    if not rank then
      return {'err', 'answered player ' .. player .. ' is not on the board'}
    end
    return {'dup', stored, tonumber(st[1]) or 0, tonumber(st[2]) or 0, rank + 1, st[3] or ''}
  end

  local st = redis.call('HMGET', state, 'total', 'answers', 'streak', 'reached_at')
  local total = tonumber(st[1]) or 0
  local answers = tonumber(st[2]) or 0
  local streak = tonumber(st[3]) or 0
  -- Enrolling and recording write reached_at when they put the player on the board, and
  -- removing deletes both: a player with one is on the board.
  local reached = st[4]
  local on_board = reached ~= false and reached ~= nil
  local at = ARGV[a + 7]

  local grade = ARGV[a + 2]
  local correct = grade == '1'
  local points = 0
  if correct then
    streak = streak + 1
    points = tonumber(ARGV[a + 3])
    if ARGV[a + 4] == '1' then
      points = points + math.min(tonumber(ARGV[a + 5]) * (streak - 1), tonumber(ARGV[a + 6]))
    end
  elseif grade == 'p' then
    streak = 0
    points = tonumber(ARGV[a + 3])
  elseif grade ~= 'n' then
    streak = 0
  end
  total = total + points
  if total > MAX_SCORE then
    return {'score', total}
  end
  local elapsed = tonumber(ARGV[a + 8])
  if elapsed < 0 then
    return {'elapsed'}
  end

  local opened = ARGV[a + 10]
  local prev_at = got[2] and string.match(got[2], '^[^:]*:[^:]*:[^:]*:(%d+)')
  if prev_at then
    opened = prev_at
  end
  local took = tonumber(at) - tonumber(opened)
  if took < 0 then
    took = 0
  end

  -- Every read is done: the writes.
  if points > 0 or not on_board then
    reached = at
    redis.call('ZADD', board, string.format('%.0f', (MAX_SCORE - total) * TWO_32 + elapsed), player)
  end
  answers = answers + 1
  local result = (correct and '1' or '0') .. ':' .. string.format('%.0f', points) .. ':'
    .. string.format('%.0f', streak) .. ':' .. at .. ':' .. string.format('%.0f', took)
  redis.call('HSET', answers_key, question, result)
  redis.call('HSET', state,
    'total', string.format('%.0f', total),
    'answers', string.format('%.0f', answers),
    'streak', string.format('%.0f', streak),
    'reached_at', reached)
  local rank = redis.call('ZRANK', board, player)
  if not rank then
    -- Only if something else took the player off the board and left their state (an
    -- eviction): put them back where their score belongs.
    redis.call('ZADD', board, string.format('%.0f', (MAX_SCORE - total) * TWO_32 + elapsed), player)
    rank = redis.call('ZRANK', board, player)
  end
  return {'new', result, total, answers, rank + 1, reached}
end

local n = tonumber(ARGV[1])
local replies = {}
for i = 0, n - 1 do
  local ok, reply = pcall(record, 3 * i, 2 + 11 * i)
  if ok then
    replies[i + 1] = reply
  elseif type(reply) == 'table' and reply.err then
    replies[i + 1] = {'err', reply.err}
  else
    replies[i + 1] = {'err', tostring(reply)}
  end
end
return replies
"#,
    )
});

/// Puts a player on the board at score 0 unless they are on it already.
///
/// KEYS: 1 board, 2 player state. ARGV: 1 player id, 2 sort key (text), 3 `at` (ms, text).
pub(crate) static ENROLL: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        "enroll",
        r#"
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[2], 'reached_at', ARGV[3])
end
return 1
"#,
    )
});

/// A player's rank and score, read together. KEYS: 1 board. ARGV: 1 player id.
/// Reply: nil when not on the board, else `{rank (0-based), score}`.
pub(crate) static STANDING: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        "standing",
        r#"
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then
  return false
end
return {redis.call('ZRANK', KEYS[1], ARGV[1]), score}
"#,
    )
});

/// The players around one player, read together. KEYS: 1 board. ARGV: 1 player id,
/// 2 k (at most 2^50). Reply: `{}` when not on the board, else
/// `{first rank (0-based), {member, score, …}}`.
pub(crate) static AROUND: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        "around",
        r#"
local rank = redis.call('ZRANK', KEYS[1], ARGV[1])
if not rank then
  return {}
end
local k = tonumber(ARGV[2])
local from = rank - k
if from < 0 then
  from = 0
end
local entries = redis.call('ZRANGE', KEYS[1], string.format('%.0f', from),
  string.format('%.0f', rank + k), 'WITHSCORES')
return {from, entries}
"#,
    )
});

/// Replaces a quiz's board. KEYS: 1 board, then state and answers keys of every player on
/// the board as read just before (in that order), then state and answers keys of every
/// restored standing. ARGV: 1 number of old players, their ids, the number of standings,
/// then per standing: id, sort key, total, answers, streak, reached_at, number of results,
/// then (question, encoded result) pairs.
///
/// Reply: `retry` when the board's members are no longer the ones read (nothing changed;
/// the caller reads again), `ok` when replaced. Checking the members (instead of reading
/// them inside the script) keeps every key the script touches declared in `KEYS`.
pub(crate) static RESTORE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        "restore",
        r#"
local board = KEYS[1]
local n_old = tonumber(ARGV[1])
if redis.call('ZCARD', board) ~= n_old then
  return 'retry'
end
for i = 1, n_old do
  if not redis.call('ZSCORE', board, ARGV[1 + i]) then
    return 'retry'
  end
end
redis.call('DEL', board)
for i = 2, 1 + 2 * n_old do
  redis.call('DEL', KEYS[i])
end
local a = 2 + n_old
local n_new = tonumber(ARGV[a])
a = a + 1
local k = 2 + 2 * n_old
for _ = 1, n_new do
  local id = ARGV[a]
  local state, answers = KEYS[k], KEYS[k + 1]
  redis.call('DEL', state, answers)
  redis.call('ZADD', board, ARGV[a + 1], id)
  redis.call('HSET', state, 'total', ARGV[a + 2], 'answers', ARGV[a + 3],
    'streak', ARGV[a + 4], 'reached_at', ARGV[a + 5])
  local n_results = tonumber(ARGV[a + 6])
  a = a + 7
  for _ = 1, n_results do
    redis.call('HSET', answers, ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  k = k + 2
end
return 'ok'
"#,
    )
});

/// Registers a player. KEYS: 1 players hash, 2 folded names set, 3 id counter, 4 board.
/// ARGV: 1 folded name, 2 stored record (`<joined_at>:<name>`), 3 max players.
///
/// Reply: `{"full"}`, `{"taken"}` (nothing changed), or `{"ok", id}`.
///
/// Ids are `p<n>` from the counter. An id that is already registered or already on the
/// board is skipped. A rebuild restores the registry (raising the counter past the
/// restored ids, see [`RESTORE_PLAYERS`]) before the board; the skip still covers a board
/// restored on its own (`Scoreboard::restore` without the registry's), after which the
/// counter may start again at 1: a new player must not inherit a restored player's id
/// (and score).
pub(crate) static JOIN: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        "join",
        r#"
local players, names, seq, board = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('HLEN', players) >= tonumber(ARGV[3]) then
  return {'full'}
end
if redis.call('SADD', names, ARGV[1]) == 0 then
  return {'taken'}
end
local id
repeat
  id = 'p' .. string.format('%.0f', redis.call('INCR', seq))
until redis.call('HEXISTS', players, id) == 0 and not redis.call('ZSCORE', board, id)
redis.call('HSET', players, id, ARGV[2])
return {'ok', id}
"#,
    )
});

/// Re-registers players (rebuild from the archive): one chunk of a
/// [`crate::RedisRegistry`] `restore`, atomic. KEYS: 1 players hash, 2 folded names set,
/// 3 id counter. ARGV: 1 the largest issued-form id number among the chunk's players, in
/// canonical decimal (`0` when none), then per player: id, stored record
/// (`<joined_at>:<name>`), folded name.
///
/// Sets each player's record (replacing an existing one), adds each folded name, and
/// raises the counter to at least ARGV[1]. The counter is compared as a decimal string (by
/// length, then byte by byte), never as a Lua number, so it is exact for every
/// 64-bit value; a missing counter is created only for a floor above 0, and one that is
/// not a canonical non-negative decimal (not written by `INCR`) is replaced. Reply: `ok`.
pub(crate) static RESTORE_PLAYERS: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        "restore players",
        r#"
local players, names, seq = KEYS[1], KEYS[2], KEYS[3]
for i = 2, #ARGV, 3 do
  redis.call('HSET', players, ARGV[i], ARGV[i + 1])
  redis.call('SADD', names, ARGV[i + 2])
end
-- a > b for canonical decimals, byte by byte (no locale, no doubles).
local function above(a, b)
  if #a ~= #b then
    return #a > #b
  end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x > y
    end
  end
  return false
end
local floor = ARGV[1]
local cur = redis.call('GET', seq)
if not cur then
  if floor ~= '0' then
    redis.call('SET', seq, floor)
  end
elseif not (cur == '0' or string.match(cur, '^[1-9][0-9]*$')) or above(floor, cur) then
  redis.call('SET', seq, floor)
end
return 'ok'
"#,
    )
});

/// Moves a hosted game from the state with `seq` = ARGV[1] (empty: no game yet) to the
/// state ARGV[3] with `seq` ARGV[2], atomically. KEYS: 1 game. Reply: 1 when stored, 0
/// when the stored seq differed.
pub(crate) static GAME_CAS: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        "game set",
        r#"
local cur = redis.call('HGET', KEYS[1], 'seq')
if (cur == false and ARGV[1] ~= '') or (cur ~= false and cur ~= ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'state', ARGV[3])
return 1
"#,
    )
});

/// Keeps a player's first answer to a hosted game's question and counts the question's
/// answers, atomically. KEYS: 1 the question's answers. ARGV: 1 player id, 2 the encoded
/// answer. Reply: how many players have answered.
pub(crate) static GAME_ANSWER: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        "game answer",
        r#"
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HLEN', KEYS[1])
"#,
    )
});

/// Takes a player off the board with their state and answers. KEYS: 1 board, 2 the
/// player's state, 3 their answers. ARGV: 1 player id.
pub(crate) static REMOVE_PLAYER: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        "remove player",
        r#"
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3])
return 1
"#,
    )
});

/// Deletes a game-PIN key, or brings its expiry forward, only while it holds the expected
/// value (a PIN still owned by the quiz, a quiz still linked to the PIN). KEYS: 1 the key.
/// ARGV: 1 the expected value, 2 `''` to delete or the new expiry (ms since the epoch; a
/// later one than the key's changes nothing: `PEXPIREAT … LT`). Reply: 1 if it acted.
pub(crate) static PIN_IF_HOLDS: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        "pin if holds",
        r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('PEXPIREAT', KEYS[1], ARGV[2], 'LT')
end
return 1
"#,
    )
});

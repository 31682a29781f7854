//! WebSocket close codes the server uses.

/// The server is shutting down, or the socket was idle too long; reconnect (RFC 6455
/// "going away").
pub const GOING_AWAY: u16 = 1001;
/// The client broke the WebSocket framing rules, e.g. an unmasked or malformed frame
/// (RFC 6455 "protocol error").
pub const PROTOCOL_ERROR: u16 = 1002;
/// A text frame was not valid UTF-8 (RFC 6455 "invalid frame payload data").
pub const INVALID_PAYLOAD: u16 = 1007;
/// The client kept sending invalid messages (RFC 6455 "policy violation").
pub const POLICY_VIOLATION: u16 = 1008;
/// A frame, or a message of several fragments, was larger than the configured maximum
/// (RFC 6455 "message too big").
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// The server could not load what the socket needs (the player or the snapshot) because a
/// backend is unavailable; reconnect later (RFC 6455 "internal error").
pub const INTERNAL_ERROR: u16 = 1011;
/// The player token is missing, malformed, forged or expired.
pub const INVALID_TOKEN: u16 = 4001;
/// The token belongs to another quiz than the one in the URL.
pub const WRONG_QUIZ: u16 = 4003;
/// The token's player is not registered in this quiz.
pub const UNKNOWN_PLAYER: u16 = 4004;
/// The host removed this player from the hosted game; the token no longer works.
pub const REMOVED: u16 = 4009;
/// Another socket of the same player connected (another tab, another device): the
/// newest one plays; this one is closed (reconnecting takes over again).
pub const TAKEN_OVER: u16 = 4010;
/// The client sent messages faster than the configured rate, repeatedly.
pub const RATE_LIMITED: u16 = 4029;

/// Every close code with its meaning, as listed in the server-message schema
/// (`x-close-codes`) and in README.md.
pub const ALL: &[(u16, &str)] = &[
    (
        GOING_AWAY,
        "server shutting down, or idle socket: reconnect",
    ),
    (
        PROTOCOL_ERROR,
        "WebSocket framing rules broken (malformed frame)",
    ),
    (INVALID_PAYLOAD, "a text frame was not valid UTF-8"),
    (POLICY_VIOLATION, "too many invalid messages in a row"),
    (
        MESSAGE_TOO_BIG,
        "frame or fragmented message larger than the configured maximum",
    ),
    (INTERNAL_ERROR, "a backend is unavailable: reconnect later"),
    (
        INVALID_TOKEN,
        "missing, malformed, forged or expired token, or a wrong host key",
    ),
    (WRONG_QUIZ, "the token is for another quiz"),
    (UNKNOWN_PLAYER, "the token's player is not in this quiz"),
    (REMOVED, "the host removed this player from the game"),
    (
        TAKEN_OVER,
        "another connection of this player took over (one live socket per player)",
    ),
    (RATE_LIMITED, "kept flooding after rate_limited errors"),
];

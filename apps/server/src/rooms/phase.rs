//! A hosted game's phase frames, built once per phase for a whole room: everything a
//! phase shows is read once (the lobby, the reveal, one read of the board for every
//! viewer), the part every socket shares (question, counts, top of the board, podium) is
//! serialized once, and each player's own part (`you` at a reveal, `me` and `around` on a
//! board) is serialized alone and spliced in ([`PhaseFrames::for_viewer`]). The spliced
//! frame is byte for byte what serializing the whole message for that player gives (a
//! test checks), so the wire contract is unchanged.

use std::collections::HashMap;
use std::sync::Arc;

use quiz_contracts::ws::{
    EntryMsg, LobbyPlayerMsg, MoverMsg, PhaseBoardMsg, PhaseMsg, PhaseQuestionMsg, QuestionMsg,
    RevealMsg, ServerMessage, TextCountMsg, YouMsg,
};
use quiz_core::board::{RoomBoards, ViewIndex};
use quiz_core::game::{GameState, Phase};
use quiz_core::ports::{GameAnswer, Names};
use quiz_core::service::{Reveal, Unavailable};
use quiz_core::{BoardEntry, Grade, PlayerId, Quiz, QuizService, Timestamp};

use super::frame::{join, line_json};
use super::movers::{Positions, movers, positions};
use super::outbound::{Frame, Splice};

/// Most players a lobby frame lists.
pub const LOBBY_LIST: u64 = 200;
/// Stands in for a player's own part while the shared part is serialized; no client
/// string can produce it (quotes inside JSON strings are escaped).
const MARK: &str = "\u{1}splice";

pub(super) fn lobby_list(entries: &[BoardEntry]) -> Vec<LobbyPlayerMsg> {
    entries
        .iter()
        .map(|e| LobbyPlayerMsg {
            player: e.player.to_string(),
            name: e.name.clone(),
        })
        .collect()
}

fn to_json(m: &ServerMessage) -> String {
    // Serializing our own message types cannot fail (no maps with non-string keys).
    serde_json::to_string(m).unwrap_or_default()
}

/// The board of a phase, read once for every viewer, each line serialized once.
struct PhaseBoard {
    boards: RoomBoards,
    views: HashMap<PlayerId, ViewIndex>,
    /// Each line as JSON (unshown lines are empty).
    lines: Vec<String>,
}

/// Everything the phase frames of one check need, read once for all its sockets.
pub(super) struct PhaseContext<'a> {
    def: &'a Quiz,
    state: &'a GameState,
    now: u64,
    players: u64,
    answered: Option<u64>,
    lobby: Vec<BoardEntry>,
    reveal: Option<Reveal>,
    board: Option<PhaseBoard>,
    movers: Vec<MoverMsg>,
}

impl<'a> PhaseContext<'a> {
    /// Reads what the phase of `state` shows: for a reveal, board or podium one read of
    /// the answers and one of the board for all `viewers`. A board's movers are measured
    /// from `previous`, the positions of the board after the previous question as this
    /// room showed it, when it did.
    pub(super) async fn read(
        svc: &QuizService,
        (def, state): (&'a Quiz, &'a GameState),
        viewers: &[PlayerId],
        (answered, players): (Option<u64>, u64),
        now: u64,
        previous: Option<&Positions>,
    ) -> Result<Self, Unavailable> {
        let quiz = def.id();
        let phase = state.phase.unpaused();
        let mut ctx = Self {
            def,
            state,
            now,
            players,
            answered,
            lobby: Vec::new(),
            reveal: None,
            board: None,
            movers: Vec::new(),
        };
        match phase {
            Phase::Lobby { .. } => ctx.lobby = svc.games().lobby(quiz, LOBBY_LIST).await?,
            Phase::Reveal { index, .. } | Phase::Board { index, .. } => {
                ctx.reveal = Some(svc.games().reveal(def, *index).await?);
                ctx.board = Some(read_board(svc, def, viewers).await?);
            }
            Phase::Podium => ctx.board = Some(read_board(svc, def, viewers).await?),
            Phase::Question { .. } | Phase::Paused { .. } => {}
        }
        if matches!(phase, Phase::Board { .. })
            && let (Some(r), Some(b)) = (&ctx.reveal, &ctx.board)
        {
            ctx.movers = movers(&b.boards, r, previous);
        }
        Ok(ctx)
    }

    /// The board phase's positions, for the next board's movers: `(question index, each
    /// player's position)`; `None` outside a board phase or for a board read in part.
    pub(super) fn board_positions(&self) -> Option<(usize, Positions)> {
        match self.state.phase.unpaused() {
            Phase::Board { index, .. } => Some((*index, positions(&self.board.as_ref()?.boards)?)),
            _ => None,
        }
    }

    /// The frames of this phase: the shared part serialized once.
    pub(super) fn frames(self) -> PhaseFrames<'a> {
        let host = self.frame_json(None);
        let phase = self.state.phase.unpaused();
        let personal = match phase {
            Phase::Reveal { .. } => Personal::You,
            Phase::Board { .. } | Phase::Podium => Personal::Board,
            _ => Personal::None,
        };
        let splice = match personal {
            Personal::None => None,
            Personal::You => {
                let mut msg = self.frame(None);
                if let Some(r) = msg.reveal.as_mut() {
                    r.you = Some(you_mark());
                }
                split(
                    &to_json(&ServerMessage::Phase(Box::new(msg))),
                    &you_json(&you_mark()),
                )
            }
            Personal::Board => {
                let mut msg = self.frame(None);
                if let Some(b) = msg.board.as_mut() {
                    b.me = Some(entry_mark());
                    b.around = vec![entry_mark()];
                }
                split(
                    &to_json(&ServerMessage::Phase(Box::new(msg))),
                    &mark_board_json(),
                )
            }
        };
        // Without a place to splice (never expected) each player's frame is built whole.
        let personal = if splice.is_some() {
            personal
        } else {
            Personal::None
        };
        PhaseFrames {
            host: Arc::from(host),
            splice: splice.map(Arc::new),
            personal,
            ctx: self,
        }
    }

    fn frame_json(&self, viewer: Option<&PlayerId>) -> String {
        to_json(&ServerMessage::Phase(Box::new(self.frame(viewer))))
    }

    fn entry(&self, i: usize) -> Option<EntryMsg> {
        let b = &self.board.as_ref()?.boards;
        let r = b.lines.get(i)?;
        Some(EntryMsg::from(&quiz_core::board::entry(r, &b.new_names)))
    }

    fn frame(&self, viewer: Option<&PlayerId>) -> PhaseMsg {
        let state = self.state;
        let def = self.def;
        let phase = state.phase.unpaused();
        let view = state.view(Timestamp(self.now));
        let mut msg = PhaseMsg {
            seq: state.seq,
            phase: state.phase.name().to_owned(),
            server_time: self.now,
            quiz: def.id().to_string(),
            title: def.title().to_owned(),
            question_count: def.questions().len() as u64,
            players: self.players,
            locked: view.locked,
            lobby: None,
            question: None,
            remaining_ms: None,
            answered: None,
            expected: None,
            paused_from: view.paused_from.map(str::to_owned),
            reveal: None,
            board: None,
            podium: None,
        };
        match phase {
            Phase::Lobby { .. } => msg.lobby = Some(lobby_list(&self.lobby)),
            Phase::Question { index, .. } => {
                if let Some(open) = view.open {
                    msg.question = self.question(*index, open.opens_at.0, open.closes_at.0);
                    msg.remaining_ms = Some(open.remaining_ms);
                    msg.expected = Some(open.expected);
                }
                msg.answered = self.answered.or(Some(0));
            }
            Phase::Reveal { index, .. } => {
                msg.question = self.question(*index, 0, 0);
                msg.reveal = self.reveal_msg(*index, viewer);
            }
            Phase::Board { index, .. } => {
                msg.question = self.question(*index, 0, 0);
                msg.board = self.board_msg(viewer);
            }
            Phase::Podium => {
                msg.board = self.board_msg(viewer);
                msg.podium = self.board.as_ref().map(|b| {
                    (0..b.boards.lines.len().min(3))
                        .filter_map(|i| self.entry(i))
                        .collect()
                });
            }
            Phase::Paused { .. } => {}
        }
        msg
    }

    /// A question of the quiz as everyone sees it; `opens_at`/`closes_at` are 0 after it
    /// closed.
    fn question(&self, index: usize, opens_at: u64, closes_at: u64) -> Option<PhaseQuestionMsg> {
        let q = self.def.questions().get(index)?.public();
        let question = QuestionMsg::new(&q, opens_at, closes_at);
        Some(PhaseQuestionMsg::new(index, question))
    }

    /// A player's total on the board read for this phase (0 when not on it).
    fn total(&self, player: &PlayerId) -> u64 {
        self.board
            .as_ref()
            .and_then(|b| b.views.get(player)?.me.and_then(|i| b.boards.lines.get(i)))
            .map_or(0, quiz_core::Ranked::score)
    }

    /// A player's own result at the reveal of question `index`.
    fn you(&self, index: usize, answer: Option<&GameAnswer>, player: &PlayerId) -> YouMsg {
        let total = self.total(player);
        let (Some(a), Some(q)) = (answer, self.def.questions().get(index)) else {
            return YouMsg::unanswered(total);
        };
        let grade = Grade::recorded(q.kind(), a.correct, a.points);
        YouMsg::answered(&a.given, q.kind(), grade, a.correct, a.points, total)
    }

    fn reveal_msg(&self, index: usize, viewer: Option<&PlayerId>) -> Option<RevealMsg> {
        let r = self.reveal.as_ref()?;
        let q = self.def.questions().get(index)?;
        let you = viewer.map(|p| {
            let answer = r.answers.iter().find(|a| &a.player == p);
            self.you(index, answer, p)
        });
        Some(RevealMsg {
            kind: r.kind.into(),
            correct: r.correct_option.map(|i| i as u64),
            correct_options: r.correct_options.iter().map(|i| i as u64).collect(),
            accepted: r.accepted.clone(),
            texts: r
                .texts
                .iter()
                .map(|t| TextCountMsg {
                    text: t.text.clone(),
                    count: t.count,
                    correct: t.correct,
                })
                .collect(),
            counts: r.counts.clone(),
            answered: r.answers.len() as u64,
            explanation: q.explanation.clone(),
            you,
        })
    }

    fn board_msg(&self, viewer: Option<&PlayerId>) -> Option<PhaseBoardMsg> {
        let b = self.board.as_ref()?;
        let view = viewer.and_then(|p| b.views.get(p));
        Some(PhaseBoardMsg {
            top: b.boards.top.clone().filter_map(|i| self.entry(i)).collect(),
            me: view.and_then(|v| v.me).and_then(|i| self.entry(i)),
            around: view
                .map(|v| v.around.clone().filter_map(|i| self.entry(i)).collect())
                .unwrap_or_default(),
            players: b.boards.players,
            movers: self.movers.clone(),
        })
    }
}

/// What a player's own part of a phase is.
#[derive(Clone, Copy)]
enum Personal {
    /// None: every socket gets the same frame.
    None,
    /// `reveal.you`.
    You,
    /// `board.me` and `board.around`.
    Board,
}

/// A phase's frames for a room: the host's (and every socket's where nothing is
/// personal), and the shared part each player's own part is spliced into.
pub(super) struct PhaseFrames<'a> {
    host: Arc<str>,
    splice: Option<Arc<Splice>>,
    personal: Personal,
    ctx: PhaseContext<'a>,
}

impl PhaseFrames<'_> {
    /// Each player's answer to the revealed question, for [`PhaseFrames::for_viewer`].
    pub(super) fn answers(&self) -> HashMap<&PlayerId, &GameAnswer> {
        match (self.personal, &self.ctx.reveal) {
            (Personal::You, Some(r)) => r.answers.iter().map(|a| (&a.player, a)).collect(),
            _ => HashMap::new(),
        }
    }

    /// The frame for a socket of `viewer` (`None`: the host's); `answers` from
    /// [`PhaseFrames::answers`].
    pub(super) fn for_viewer(
        &self,
        viewer: Option<&PlayerId>,
        answers: &HashMap<&PlayerId, &GameAnswer>,
    ) -> Frame {
        let (Some(p), Some(splice)) = (viewer, &self.splice) else {
            return match (viewer, self.personal) {
                (Some(p), Personal::You | Personal::Board) => {
                    Frame::Text(self.ctx.frame_json(Some(p)))
                }
                _ => Frame::Shared(self.host.clone()),
            };
        };
        let own = match self.personal {
            Personal::You => {
                let index = match self.ctx.state.phase.unpaused() {
                    Phase::Reveal { index, .. } => *index,
                    _ => 0,
                };
                you_json(&self.ctx.you(index, answers.get(p).copied(), p))
            }
            Personal::Board => self.board_part(p),
            Personal::None => String::new(),
        };
        Frame::Spliced(splice.clone(), own)
    }

    /// `,"me":…,"around":[…]` for a player (each key only when it has content).
    fn board_part(&self, p: &PlayerId) -> String {
        let Some(b) = &self.ctx.board else {
            return String::new();
        };
        let Some(view) = b.views.get(p) else {
            return String::new();
        };
        let mut s = String::new();
        if let Some(line) = view.me.and_then(|i| b.lines.get(i)) {
            s.push_str(r#","me":"#);
            s.push_str(line);
        }
        if let Some(around) = b.lines.get(view.around.clone())
            && !around.is_empty()
        {
            s.push_str(r#","around":["#);
            s.push_str(&join(around));
            s.push(']');
        }
        s
    }
}

fn you_mark() -> YouMsg {
    YouMsg {
        answered: false,
        option: None,
        options: None,
        text: Some(MARK.to_owned()),
        outcome: None,
        correct: false,
        points: 0,
        total: 0,
    }
}

fn entry_mark() -> EntryMsg {
    EntryMsg {
        rank: 0,
        player: MARK.to_owned(),
        name: MARK.to_owned(),
        score: 0,
    }
}

/// `,"you":{…}`.
fn you_json(you: &YouMsg) -> String {
    format!(
        r#","you":{}"#,
        serde_json::to_string(you).unwrap_or_default()
    )
}

/// `,"me":M,"around":[M]` for the marker entry `M`.
fn mark_board_json() -> String {
    let m = serde_json::to_string(&entry_mark()).unwrap_or_default();
    format!(r#","me":{m},"around":[{m}]"#)
}

/// The text around the one occurrence of `mark`.
fn split(json: &str, mark: &str) -> Option<Splice> {
    let at = json.find(mark)?;
    Some(Splice {
        head: json[..at].to_owned(),
        tail: json[at + mark.len()..].to_owned(),
    })
}

async fn read_board(
    svc: &QuizService,
    def: &Quiz,
    viewers: &[PlayerId],
) -> Result<PhaseBoard, Unavailable> {
    let boards = svc.boards().room(def.id(), viewers, &Names::new()).await?;
    let views = viewers
        .iter()
        .cloned()
        .zip(boards.views.iter().cloned())
        .collect();
    let lines = boards
        .lines
        .iter()
        .zip(&boards.shown)
        .map(|(r, shown)| {
            if *shown {
                line_json(r, &boards.new_names)
            } else {
                String::new()
            }
        })
        .collect();
    Ok(PhaseBoard {
        boards,
        views,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use quiz_core::game::HostCommand;
    use quiz_core::service::HostAction;
    use quiz_core::{Answer, PlayerName, QuizMode, ServiceConfig};

    use super::*;
    use crate::clock;

    /// Each player's spliced reveal, board and podium frame is exactly what serializing
    /// the whole message for them gives (answered or not, on the board or not), and the
    /// host's frame is the shared part alone.
    #[tokio::test]
    async fn spliced_phase_frames_match_serde_byte_for_byte() {
        let svc = QuizService::new(quiz_memory::embedded_adapters(), ServiceConfig::default());
        let mut draft = crate::demo::demo_quiz(clock::now());
        draft.mode = QuizMode::Hosted;
        let quiz = svc.library().create(draft).await.unwrap();
        let mut players = Vec::new();
        for i in 0..4 {
            let name = PlayerName::parse(format!("Ann \"{i}\"")).unwrap();
            players.push(
                svc.players()
                    .join(quiz.id(), &name, clock::now())
                    .await
                    .unwrap(),
            );
        }
        let viewers: Vec<PlayerId> = players.iter().map(|p| p.id.clone()).collect();
        let command = |c| HostAction::Phase(c);
        svc.games()
            .host(quiz.id(), command(HostCommand::Start), clock::now())
            .await
            .unwrap();
        let q = &quiz.questions()[0];
        for (p, option) in players.iter().zip([0, 1, 2]) {
            svc.answers()
                .submit(p, &q.id, &Answer::Option(option), clock::now())
                .await
                .unwrap();
        }
        let mut spliced = 0;
        for next in [HostCommand::Skip, HostCommand::Next, HostCommand::End] {
            svc.games()
                .host(quiz.id(), command(next), clock::now())
                .await
                .unwrap();
            let state = svc.games().current(&quiz, clock::now()).await.unwrap();
            let now = clock::now().0;
            let ctx = PhaseContext::read(&svc, (&quiz, &state), &viewers, (None, 4), now, None)
                .await
                .unwrap();
            let host = ctx.frame_json(None);
            let expected: Vec<String> = viewers.iter().map(|p| ctx.frame_json(Some(p))).collect();
            let frames = ctx.frames();
            assert!(frames.splice.is_some(), "{} splices", state.phase.name());
            let answers = frames.answers();
            assert_eq!(frames.for_viewer(None, &answers).into_text(), host);
            for (p, want) in viewers.iter().zip(&expected) {
                assert_eq!(&frames.for_viewer(Some(p), &answers).into_text(), want);
                spliced += 1;
            }
        }
        assert_eq!(spliced, 12);
    }
}

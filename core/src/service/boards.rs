//! Reading boards: one viewer's, one page, and every viewer's of a room from one read.

use std::sync::Arc;

use crate::board::{
    FULL_READ_LIMIT, RoomBoards, ViewIndex, build_view, full_board_views, shown_lines,
};
use crate::ids::{PlayerId, QuizId};
use crate::model::{BoardEntry, BoardView};
use crate::ports::{Names, PlayerRegistry, Scoreboard};
use crate::unavailable::Unavailable;

use super::ServiceConfig;

/// One page of a board, with the board's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardPage {
    /// Players on the whole board.
    pub players: u64,
    /// The page's lines, best first.
    pub entries: Vec<BoardEntry>,
}

/// Reading boards, with the names of the players they show.
#[derive(Clone)]
pub struct Boards {
    scoreboard: Arc<dyn Scoreboard>,
    registry: Arc<dyn PlayerRegistry>,
    top_n: u64,
    around_k: u64,
}

impl Boards {
    pub(super) fn new(
        scoreboard: Arc<dyn Scoreboard>,
        registry: Arc<dyn PlayerRegistry>,
        config: ServiceConfig,
    ) -> Self {
        Self {
            scoreboard,
            registry,
            top_n: config.top_n,
            around_k: config.around_k,
        }
    }

    /// The board as `viewer` sees it (top N, their line, their neighbours), or the plain
    /// top N when `viewer` is `None`.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn view(
        &self,
        quiz: &QuizId,
        viewer: Option<&PlayerId>,
    ) -> Result<BoardView, Unavailable> {
        let sb = &self.scoreboard;
        let top = sb.top(quiz, 0, self.top_n).await?;
        let players = sb.count(quiz).await?;
        let (me, around) = match viewer {
            Some(p) => {
                let around = sb.around(quiz, p, self.around_k).await?;
                let me = around.iter().find(|r| &r.player == p).cloned();
                (me, around)
            }
            None => (None, Vec::new()),
        };
        let mut ids: Vec<PlayerId> = top
            .iter()
            .chain(around.iter())
            .map(|r| r.player.clone())
            .collect();
        ids.sort();
        ids.dedup();
        let names = self.registry.names(quiz, &ids).await?;
        Ok(build_view(&top, me.as_ref(), &around, players, &names))
    }

    /// Up to `limit` lines from rank `offset + 1`, and how many players the board has.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn page(
        &self,
        quiz: &QuizId,
        offset: u64,
        limit: u64,
    ) -> Result<BoardPage, Unavailable> {
        let players = self.scoreboard.count(quiz).await?;
        let entries = self.entries(quiz, offset, limit).await?;
        Ok(BoardPage { players, entries })
    }

    /// Every line of the board, best first.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn all(&self, quiz: &QuizId) -> Result<Vec<BoardEntry>, Unavailable> {
        let players = self.scoreboard.count(quiz).await?;
        self.entries(quiz, 0, players).await
    }

    /// Up to `limit` named lines from rank `offset + 1`.
    pub(super) async fn entries(
        &self,
        quiz: &QuizId,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<BoardEntry>, Unavailable> {
        let page = self.scoreboard.top(quiz, offset, limit).await?;
        let ids: Vec<PlayerId> = page.iter().map(|r| r.player.clone()).collect();
        let names = self.registry.names(quiz, &ids).await?;
        Ok(page
            .iter()
            .map(|r| crate::board::entry(r, &names))
            .collect())
    }

    /// The boards of a room's `viewers` from one read of the board (see [`RoomBoards`]);
    /// names in `known` are not read again.
    ///
    /// # Errors
    /// [`Unavailable`] when the board cannot be read; a failed name lookup is reported in
    /// [`RoomBoards::names_failed`] instead (lines show ids).
    pub async fn room(
        &self,
        quiz: &QuizId,
        viewers: &[PlayerId],
        known: &Names,
    ) -> Result<RoomBoards, Unavailable> {
        let sb = &self.scoreboard;
        let players = sb.count(quiz).await?;
        let full = players <= FULL_READ_LIMIT;
        let mut lines = sb
            .top(quiz, 0, if full { players } else { self.top_n })
            .await?;
        let top = 0..lines.len().min(self.top_n as usize);
        let k = self.around_k;
        let views = if full {
            full_board_views(&lines, viewers, k as usize)
        } else {
            let mut views = Vec::with_capacity(viewers.len());
            for v in viewers {
                views.push(match sb.around(quiz, v, k).await {
                    Ok(a) => {
                        let start = lines.len();
                        let me = a.iter().position(|r| &r.player == v);
                        lines.extend(a);
                        ViewIndex {
                            me: me.map(|p| start + p),
                            around: start..lines.len(),
                        }
                    }
                    Err(_) => ViewIndex::EMPTY,
                });
            }
            views
        };
        let shown = shown_lines(lines.len(), &top, &views);
        let mut missing: Vec<PlayerId> = lines
            .iter()
            .zip(&shown)
            .filter(|(r, shown)| **shown && !known.contains_key(&r.player))
            .map(|(r, _)| r.player.clone())
            .collect();
        missing.sort();
        missing.dedup();
        let (new_names, names_failed) = if missing.is_empty() {
            (Names::new(), None)
        } else {
            match self.registry.names(quiz, &missing).await {
                Ok(n) => (n, None),
                Err(e) => (Names::new(), Some(Unavailable::from(e))),
            }
        };
        Ok(RoomBoards {
            lines,
            shown,
            top,
            views,
            players,
            new_names,
            names_failed,
        })
    }
}

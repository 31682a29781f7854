//! The results export: the whole board with each player's tally, as JSON lines or CSV.

use quiz_core::Quiz;
use quiz_core::service::PlayerResult;

use super::Api;
use super::errors::internal;
use super::missing::Missing;
use super::types::ResultOut;

/// Guards a CSV cell against spreadsheet formula injection.
pub fn csv_safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The results as CSV (header [`quiz_contracts::RESULTS_CSV_HEADER`]:
/// `rank,player,name,score,correct,fast_answers,fast_questions`; the fast questions' ids
/// separated by spaces), names guarded against formulas.
///
/// # Errors
/// The CSV writer's error (it writes to memory, so only on a bug).
pub fn results_csv(entries: Vec<ResultOut>) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(quiz_contracts::RESULTS_CSV_HEADER.split(','))?;
    for e in entries {
        w.write_record([
            e.rank.to_string(),
            e.player,
            csv_safe(&e.name),
            e.score.to_string(),
            e.correct.to_string(),
            e.fast_answers.to_string(),
            e.fast_questions.join(" "),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

impl Api {
    pub(super) async fn results(&self, quiz: &Quiz) -> Result<Vec<ResultOut>, Missing> {
        let results = self
            .state
            .service
            .results()
            .results(quiz)
            .await
            .map_err(|u| Missing::Internal(internal(&u)))?;
        Ok(results
            .into_iter()
            .map(|PlayerResult { entry: e, tally: t }| ResultOut {
                correct: t.correct,
                fast_answers: t.fast.len() as u64,
                fast_questions: t.fast.iter().map(ToString::to_string).collect(),
                rank: e.rank,
                player: e.player.to_string(),
                name: e.name,
                score: e.score,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_names_cannot_become_formulas() {
        let text = results_csv(vec![ResultOut {
            rank: 1,
            player: "p1".into(),
            name: "=1+1".into(),
            score: 5,
            correct: 2,
            fast_answers: 2,
            fast_questions: vec!["q1".into(), "q3".into()],
        }])
        .unwrap();
        assert_eq!(
            text,
            "rank,player,name,score,correct,fast_answers,fast_questions\n1,p1,'=1+1,5,2,2,q1 q3\n"
        );
    }
}

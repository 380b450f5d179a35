//! A tab's comparison with an earlier period: the toggle and offset the user chose, the
//! run of the previous period's query (a second job on the worker, tagged
//! [`Purpose::Compare`](crate::worker::Purpose::Compare), beside the tab's own run), and the
//! joined result once both answers are in ([`crate::data::compare`]).
//!
//! The tab holds one [`CompareState`]. Starting the tab's run starts this one with the same
//! clock reading, so relative times resolve alike in both queries; the join is made once,
//! when the second answer arrives, never per frame. Nothing here draws.

use std::sync::Arc;

use jiff::Timestamp;

use crate::api::client::ClientError;
use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::app::state::RunState;
use crate::data::ResultTable;
use crate::data::compare::{CompareOffset, ComparePlan, CompareSummary, join_comparison, plan_comparison};
use crate::data::export::ComparisonRecord;
use crate::data::series::{Chart, SeriesOptions, derive_chart};
use crate::worker::{Job, JobTag, RunAnswer};

/// What the user changes about a tab's comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareCommand {
    /// Turn the comparison on (and run) or off.
    SetEnabled(bool),
    /// Compare with another period (and run again when on).
    SetOffset(CompareOffset),
}

/// The joined result of a comparison, for the run it belongs to.
#[derive(Debug, Clone)]
pub struct Compared {
    /// The tab's run whose answer is the current period.
    pub request_id: u64,
    /// The current answer's columns with `previous` and `change %` beside them.
    pub table: Arc<ResultTable>,
    /// The previous period laid over the current one (for the chart's dashed lines).
    pub aligned_previous: Arc<ResultTable>,
    /// Totals and change of the first count or sum.
    pub summary: Option<CompareSummary>,
    /// What an export records about the previous period's query.
    pub record: ComparisonRecord,
}

/// The previous period's run.
#[derive(Debug, Default)]
pub enum CompareRun {
    /// Nothing asked (comparison off, or no run since it was turned on).
    #[default]
    Idle,
    /// The query cannot be compared; the sentence says what it needs.
    Refused(String),
    /// Sent; `answer` holds it once it is in, until the tab's own answer is too.
    Pending {
        /// The tab's run it belongs to (the previous period's job carries the same id).
        request_id: u64,
        /// Both bodies and periods.
        plan: Box<ComparePlan>,
        /// The previous period's answer, when it came first.
        answer: Option<Box<RunAnswer>>,
    },
    /// Both answers are in and joined.
    Done(Box<Compared>),
    /// The previous period's query failed.
    Failed {
        /// The tab's run it belongs to.
        request_id: u64,
        /// What went wrong.
        message: String,
    },
}

/// A tab's comparison: on or off, with which period, and its run.
#[derive(Debug, Default)]
pub struct CompareState {
    /// The toggle.
    pub enabled: bool,
    /// Which earlier period.
    pub offset: CompareOffset,
    /// The previous period's run and the joined result.
    pub run: CompareRun,
    /// The chart's previous-period lines for the settings they were made with.
    overlay: Option<(u64, SeriesOptions, Arc<Vec<PreviousLine>>)>,
}

/// One series of the previous period, laid over the current axis: bucket starts (epoch ms,
/// the current period's buckets) and values.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousLine {
    /// The series of the current chart it belongs to.
    pub series: String,
    /// `(bucket start ms, value)`, in bucket order.
    pub points: Vec<(i64, f64)>,
}

/// Whether the query of a tab can be compared: `Err` says what it needs (for the toggle's
/// hover text).
pub fn compare_availability(view: View, query: Option<&QueryBody>, now: Timestamp) -> Result<(), String> {
    let Some(query) = query else {
        return Err("Fix the query first: Compare runs it twice.".to_string());
    };
    plan_comparison(view, query, now, CompareOffset::Previous).map(|_| ()).map_err(|error| error.to_string())
}

/// What a comparison needs to start beside a tab's run.
#[derive(Debug, Clone, Copy)]
pub struct CompareStart<'a> {
    /// The tag of the comparison's job (the tab, [`crate::worker::Purpose::Compare`]).
    pub tag: JobTag,
    /// The tab's run id; the comparison's job carries it too.
    pub request_id: u64,
    /// The view queried.
    pub view: View,
    /// The query as the builder has it (relative times unresolved).
    pub query: &'a QueryBody,
    /// The clock reading the tab's run resolved its relative times with.
    pub now: Timestamp,
}

impl CompareState {
    /// The toggle and period without the run: what a duplicated tab starts with.
    pub fn settings_only(&self) -> CompareState {
        CompareState { enabled: self.enabled, offset: self.offset, ..CompareState::default() }
    }

    /// Applies a command; true when the tab should run again (to fetch both periods).
    pub fn update(&mut self, command: CompareCommand) -> bool {
        match command {
            CompareCommand::SetEnabled(enabled) => {
                self.enabled = enabled;
                if !enabled {
                    self.run = CompareRun::Idle;
                    self.overlay = None;
                }
                enabled
            }
            CompareCommand::SetOffset(offset) => {
                let changed = self.offset != offset;
                self.offset = offset;
                changed && self.enabled
            }
        }
    }

    /// Starts the previous period's run beside the tab's run `start.request_id` when the
    /// comparison is on; returns the job, or why the query cannot be compared.
    pub fn start(&mut self, start: CompareStart<'_>) -> Result<Option<Job>, String> {
        self.overlay = None;
        if !self.enabled {
            self.run = CompareRun::Idle;
            return Ok(None);
        }
        match plan_comparison(start.view, start.query, start.now, self.offset) {
            Ok(plan) => {
                let job = Job::Run {
                    tag: start.tag,
                    request_id: start.request_id,
                    view: start.view,
                    body: plan.previous_body.clone(),
                };
                self.run =
                    CompareRun::Pending { request_id: start.request_id, plan: Box::new(plan), answer: None };
                Ok(Some(job))
            }
            Err(error) => {
                let message = format!("Compare is off for this run: {error}");
                self.run = CompareRun::Refused(message.clone());
                Err(message)
            }
        }
    }

    /// The run id of the previous period's job in flight, if any.
    pub fn pending_id(&self) -> Option<u64> {
        match &self.run {
            CompareRun::Pending { request_id, answer: None, .. } => Some(*request_id),
            _ => None,
        }
    }

    /// The tab's run was cancelled or superseded without an answer: the comparison stops too.
    pub fn abandon(&mut self) {
        if matches!(self.run, CompareRun::Pending { .. }) {
            self.run = CompareRun::Idle;
        }
    }

    /// All rows of run `request_id` were loaded: a comparison of it (made or on its way)
    /// joins the first page of each period, so it is set aside rather than shown beside
    /// rows it never saw. Returns whether there was one.
    pub fn set_aside_for_all_rows(&mut self, request_id: u64) -> bool {
        let belongs = match &self.run {
            CompareRun::Pending { request_id: id, .. } => *id == request_id,
            CompareRun::Done(compared) => compared.request_id == request_id,
            _ => false,
        };
        if belongs {
            self.run = CompareRun::Idle;
            self.overlay = None;
        }
        belongs
    }

    /// The previous period's answer (or failure) for run `request_id`. `tab_run` is the
    /// tab's run state, so the join is made as soon as both answers are in.
    pub fn on_finished(
        &mut self,
        request_id: u64,
        result: Result<RunAnswer, ClientError>,
        tab_run: &RunState,
    ) {
        let CompareRun::Pending { request_id: waited, answer, .. } = &mut self.run else { return };
        if *waited != request_id || answer.is_some() {
            return;
        }
        match result {
            Ok(previous) => *answer = Some(Box::new(previous)),
            Err(ClientError::Cancelled) => self.run = CompareRun::Idle,
            Err(error) => {
                self.run = CompareRun::Failed {
                    request_id,
                    message: format!("The previous period's query failed: {}", error.user_message()),
                }
            }
        }
        self.join_if_ready(tab_run);
    }

    /// Joins the two answers once the tab's own answer for the same run is in.
    pub fn join_if_ready(&mut self, tab_run: &RunState) {
        let CompareRun::Pending { request_id, plan, answer: Some(previous) } = &self.run else { return };
        let Some(outcome) = tab_run.outcome().filter(|outcome| outcome.request_id == *request_id) else {
            return;
        };
        let joined = join_comparison(&plan.periods, plan.offset, &outcome.table, &previous.table);
        let record = ComparisonRecord::new(
            plan,
            previous.server_request_id.clone(),
            Some(previous.meta.total),
            joined.summary.as_ref(),
        );
        self.run = CompareRun::Done(Box::new(Compared {
            request_id: *request_id,
            table: Arc::new(joined.table),
            aligned_previous: Arc::new(joined.aligned_previous),
            summary: joined.summary,
            record,
        }));
        self.overlay = None;
    }

    /// The joined result of run `request_id`, when it is there.
    pub fn compared_for(&self, request_id: u64) -> Option<&Compared> {
        match &self.run {
            CompareRun::Done(compared) if compared.request_id == request_id => Some(compared),
            _ => None,
        }
    }

    /// The previous period's lines for the chart of run `request_id` drawn with `options`
    /// (made once per result and settings).
    pub fn previous_lines(
        &mut self,
        request_id: u64,
        query: &QueryBody,
        options: &SeriesOptions,
        now: Timestamp,
    ) -> Option<Arc<Vec<PreviousLine>>> {
        if let Some((id, made_with, lines)) = &self.overlay
            && *id == request_id
            && made_with == options
        {
            return Some(Arc::clone(lines));
        }
        let compared = self.compared_for(request_id)?;
        let lines = match derive_chart(Some(&compared.aligned_previous), query, options, now) {
            Chart::Time(data) => data
                .series
                .iter()
                .map(|series| PreviousLine {
                    series: series.name.clone(),
                    points: data
                        .buckets
                        .iter()
                        .zip(&series.values)
                        .filter_map(|(bucket, value)| value.map(|value| (*bucket, value)))
                        .collect(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let lines = Arc::new(lines);
        self.overlay = Some((request_id, options.clone(), Arc::clone(&lines)));
        Some(lines)
    }

    /// The line above the grid and chart: the totals and change, or where the comparison
    /// stands. `None` when the comparison is off.
    pub fn status_line(&self, request_id: Option<u64>) -> Option<String> {
        if !self.enabled {
            return None;
        }
        Some(match &self.run {
            CompareRun::Idle => {
                format!("Compare with the {}: run the query to compare.", self.offset.label())
            }
            CompareRun::Refused(message) => message.clone(),
            CompareRun::Pending { .. } => format!("Running the query over the {}…", self.offset.label()),
            CompareRun::Failed { message, .. } => message.clone(),
            CompareRun::Done(compared) if Some(compared.request_id) == request_id => {
                match &compared.summary {
                    Some(summary) => summary.line(),
                    None => format!(
                        "Compared with the {} (no count or sum to total; see the previous and change % columns).",
                        self.offset.label()
                    ),
                }
            }
            CompareRun::Done(_) => "The comparison belongs to an earlier result; run again.".to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::api::query::parse_query;
    use crate::app::state::RunOutcome;
    use crate::data::Meta;
    use crate::worker::{Purpose, RawAnswer, TabId};

    fn query() -> QueryBody {
        parse_query(
            &json!({
                "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
                "where": {"and": [
                    {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2026-03-10"}},
                    {"condition": {"field": "firstMessageTime", "operator": "lt", "value": "2026-03-12"}}
                ]}
            })
            .to_string(),
        )
        .unwrap()
    }

    fn answer(rows: serde_json::Value) -> RunAnswer {
        let rows: Vec<_> = rows.as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect();
        let table = ResultTable::from_rows(&query(), &rows);
        let meta = Meta { total: rows.len() as u64, page_size: 1000, count: rows.len() as u64 };
        RunAnswer {
            table: Arc::new(table),
            meta,
            server_request_id: None,
            raw: RawAnswer::keep(Default::default()),
        }
    }

    fn done(request_id: u64, rows: serde_json::Value) -> RunState {
        RunState::Done(Box::new(RunOutcome::new(request_id, View::Conversations, query(), answer(rows), 1)))
    }

    fn started(state: &mut CompareState, request_id: u64) -> Option<Job> {
        let query = query();
        let start = CompareStart {
            tag: JobTag::new(TabId(1), Purpose::Compare),
            request_id,
            view: View::Conversations,
            query: &query,
            now: "2026-03-31T00:00:00Z".parse().unwrap(),
        };
        state.start(start).unwrap()
    }

    #[test]
    fn the_join_waits_for_both_answers_in_either_order_and_ignores_stale_ones() {
        let current = json!([{"firstMessageTime_day": "2026-03-10T00:00:00Z", "count": 4}]);
        let previous = json!([{"firstMessageTime_day": "2026-03-08T00:00:00Z", "count": 2}]);
        for previous_first in [true, false] {
            let mut state = CompareState::default();
            assert!(state.update(CompareCommand::SetEnabled(true)), "turning it on runs again");
            let Some(Job::Run { body, request_id: 7, .. }) = started(&mut state, 7) else { panic!("no job") };
            assert_eq!(
                serde_json::to_value(&body).unwrap()["where"]["and"][0]["condition"]["value"],
                "2026-03-08T00:00:00Z"
            );
            // An answer for another run is stale.
            state.on_finished(6, Ok(answer(previous.clone())), &RunState::NotRequested);
            assert_eq!(state.pending_id(), Some(7));
            if previous_first {
                state.on_finished(7, Ok(answer(previous.clone())), &RunState::NotRequested);
                assert!(state.compared_for(7).is_none(), "the tab's own answer is still out");
                state.join_if_ready(&done(7, current.clone()));
            } else {
                state.join_if_ready(&done(7, current.clone()));
                assert!(state.compared_for(7).is_none());
                state.on_finished(7, Ok(answer(previous.clone())), &done(7, current.clone()));
            }
            let compared = state.compared_for(7).expect("joined");
            assert_eq!(compared.summary.as_ref().unwrap().line(), "count: 4 · previous period: 2 · +100 %");
            assert_eq!(state.status_line(Some(7)).unwrap(), "count: 4 · previous period: 2 · +100 %");
            assert!(state.compared_for(8).is_none(), "a later run's result is not this comparison's");
        }
    }

    #[test]
    fn off_sends_nothing_and_an_offset_change_reruns_only_when_on() {
        let mut state = CompareState::default();
        assert!(started(&mut state, 1).is_none());
        assert!(!state.update(CompareCommand::SetOffset(CompareOffset::Year)));
        assert!(state.status_line(Some(1)).is_none());
        state.update(CompareCommand::SetEnabled(true));
        assert!(state.update(CompareCommand::SetOffset(CompareOffset::Week)));
        assert!(!state.update(CompareCommand::SetOffset(CompareOffset::Week)), "the same offset again");
        assert!(started(&mut state, 2).is_some());
        state.abandon();
        assert_eq!(state.pending_id(), None);
        let refused =
            compare_availability(View::Conversations, Some(&QueryBody::default()), Timestamp::now());
        assert!(refused.unwrap_err().contains("Compare needs"));
    }
    #[test]
    fn loading_all_rows_sets_the_comparison_of_that_run_aside() {
        let mut state = CompareState { enabled: true, ..CompareState::default() };
        let _ = started(&mut state, 7);
        assert!(!state.set_aside_for_all_rows(8), "another run's rows");
        assert!(matches!(state.run, CompareRun::Pending { .. }));
        assert!(state.set_aside_for_all_rows(7));
        assert!(matches!(state.run, CompareRun::Idle));
        assert!(!state.set_aside_for_all_rows(7), "nothing left to set aside");
    }
}

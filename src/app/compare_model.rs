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

//! The models the window's features share, none of them drawn here: a query's run (an async
//! state that keeps the previous result) and "Load all rows", undo of query edits, what is
//! derived from a draft, the request inspector's buffer, the connection's state, notices and
//! the command line's automation. A query tab and the window state are built from them.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::client::ClientError;
use crate::api::query::{ParseError, QueryBody};
use crate::api::validate::Problem;
use crate::api::view::View;
use crate::app::draft::QueryDraft;
use crate::data::{LoadProgress, Meta, ResultTable};
use crate::relative_time::relative_values;
use crate::worker::{RawAnswer, RunAnswer, TabId};

/// The result views of a query tab (shown as a row of buttons above the result): table,
/// chart, request, response. Not to be confused with the query tabs of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ResultView {
    /// The result rows.
    #[default]
    Table,
    /// Charts over time buckets (a later issue).
    Chart,
    /// The request body, editable, and Copy as curl.
    Request,
    /// The raw answer or problem details.
    Response,
}

impl ResultView {
    /// Every view, in display order.
    pub const ALL: [ResultView; 4] =
        [ResultView::Table, ResultView::Chart, ResultView::Request, ResultView::Response];

    /// The name used on the command line and in settings.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultView::Table => "table",
            ResultView::Chart => "chart",
            ResultView::Request => "request",
            ResultView::Response => "response",
        }
    }

    /// The title shown on its button.
    pub fn title(self) -> &'static str {
        match self {
            ResultView::Table => "Table",
            ResultView::Chart => "Chart",
            ResultView::Request => "Request",
            ResultView::Response => "Response",
        }
    }

    /// Looks a view up by [`ResultView::as_str`] name, ignoring case.
    pub fn from_name(name: &str) -> Option<ResultView> {
        ResultView::ALL.into_iter().find(|tab| tab.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

impl FromStr for ResultView {
    type Err = String;

    fn from_str(text: &str) -> Result<ResultView, String> {
        ResultView::from_name(text)
            .ok_or_else(|| format!("unknown view `{text}`: expected table, chart, request or response"))
    }
}

impl std::fmt::Display for ResultView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the ids of runs, loads and exports come from: unique across tabs, so a worker
/// event (and a cancel) names exactly one job.
#[derive(Debug, Clone)]
pub struct RequestIds {
    next: u64,
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds { next: 1 }
    }
}

impl RequestIds {
    /// A new id.
    pub fn take(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        id
    }

    /// The id the next call of [`RequestIds::take`] returns (tests check that a run started).
    pub fn peek(&self) -> u64 {
        self.next
    }
}

/// A successful run: the table (built on the worker) and what came with it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The window's id of the run.
    pub request_id: u64,
    /// The view it ran on (its endpoint), for "Load all rows", exports and history.
    pub view: View,
    /// The body that was sent.
    pub body: QueryBody,
    /// The rows as typed columns, shared with the grid and the chart (never copied).
    pub table: Arc<ResultTable>,
    /// `total`, `pageSize`, `count`; after "Load all rows", `total == count ==` rows.
    pub meta: Meta,
    /// The server's request id, for support.
    pub server_request_id: Option<String>,
    /// The raw answer (or its start) for the Response tab.
    pub raw: RawAnswer,
    /// Wall time of the request.
    pub duration_ms: u64,
    /// The table was completed through the export endpoint ("Load all rows"); the raw
    /// answer is then still the first page.
    pub all_rows_loaded: bool,
    /// When the query ran (its answer arrived, less the time it took), for exports.
    pub run_at: jiff::Timestamp,
    /// The server the query ran against, for exports (filled in when the answer is adopted).
    pub server_url: String,
}

impl RunOutcome {
    /// Wraps an answer.
    pub fn new(
        request_id: u64,
        view: View,
        body: QueryBody,
        answer: RunAnswer,
        duration_ms: u64,
    ) -> RunOutcome {
        let RunAnswer { table, meta, server_request_id, raw } = answer;
        RunOutcome {
            request_id,
            view,
            body,
            table,
            meta,
            server_request_id,
            raw,
            duration_ms,
            all_rows_loaded: false,
            run_at: run_started_at(jiff::Timestamp::now(), duration_ms),
            server_url: String::new(),
        }
    }

    /// The column names, in result order.
    pub fn columns(&self) -> Vec<&str> {
        self.table.column_names()
    }

    /// Rows in the table.
    pub fn row_count(&self) -> usize {
        self.table.row_count()
    }

    /// True when more rows match than the table holds ("Load all rows" would fetch them).
    pub fn is_truncated(&self) -> bool {
        self.meta.total > self.table.row_count() as u64
    }
}

/// When a run that took `duration_ms` and answered at `answered` was sent.
fn run_started_at(answered: jiff::Timestamp, duration_ms: u64) -> jiff::Timestamp {
    i64::try_from(duration_ms)
        .ok()
        .map(jiff::SignedDuration::from_millis)
        .and_then(|took| answered.checked_sub(took).ok())
        .unwrap_or(answered)
}

/// Everything known about a failed request, for the details view and the clipboard.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorDetails {
    /// HTTP status, when the server answered.
    pub status: Option<u16>,
    /// The problem's `code` (`bad_request`, `unauthorized`…).
    pub code: Option<String>,
    /// The problem's `title`.
    pub title: Option<String>,
    /// The problem's `detail` (or the start of a non-JSON error body).
    pub detail: Option<String>,
    /// The server's request id, for support.
    pub request_id: Option<String>,
    /// The endpoint.
    pub url: Option<String>,
    /// The full technical message.
    pub technical: String,
    /// The raw problem document, pretty-printed, when there was one.
    pub raw_problem: Option<String>,
}

impl ErrorDetails {
    /// Collects the details of a client error.
    pub fn from_client_error(error: &ClientError) -> ErrorDetails {
        let problem = error.problem();
        let detail = match error {
            ClientError::Http { body_excerpt, .. } => Some(body_excerpt.clone()),
            _ => problem.and_then(|p| p.detail.clone()),
        };
        ErrorDetails {
            status: error.status(),
            code: problem.and_then(|p| p.code().map(str::to_string)),
            title: problem.and_then(|p| p.title.clone()),
            detail,
            request_id: error.request_id().map(str::to_string),
            url: error.url().map(str::to_string),
            technical: error.to_string(),
            raw_problem: problem.and_then(|p| serde_json::to_string_pretty(p).ok()),
        }
    }

    /// The labelled rows shown in the details view (only those that are known).
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let mut rows = Vec::new();
        if let Some(status) = self.status {
            rows.push(("Status", status.to_string()));
        }
        let optional = [
            ("Code", &self.code),
            ("Title", &self.title),
            ("Detail", &self.detail),
            ("Request id", &self.request_id),
            ("URL", &self.url),
        ];
        for (label, value) in optional {
            if let Some(value) = value {
                rows.push((label, value.clone()));
            }
        }
        rows.push(("Message", self.technical.clone()));
        rows
    }

    /// All details as plain text, for the clipboard and support tickets.
    pub fn to_text(&self) -> String {
        self.rows()
            .into_iter()
            .map(|(label, value)| format!("{label}: {value}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A failed run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFailure {
    /// The window's id of the run.
    pub request_id: u64,
    /// The body that was sent.
    pub body: QueryBody,
    /// What went wrong, in words a support manager understands.
    pub summary: String,
    /// Status, code, title, detail, request id…
    pub details: ErrorDetails,
    /// Wall time until the failure.
    pub duration_ms: u64,
}

/// The run, as an async state that never loses the last good result.
#[derive(Debug, Default)]
pub enum RunState {
    /// Nothing run yet.
    #[default]
    NotRequested,
    /// Waiting for the worker.
    Pending {
        /// The run waited for; events of any other id are stale.
        request_id: u64,
        /// When it was sent.
        started: Instant,
        /// The view queried.
        view: View,
        /// The body sent (boxed: it is by far the largest part of the state).
        body: Box<QueryBody>,
        /// The last good result, shown dimmed meanwhile.
        previous: Option<Box<RunOutcome>>,
    },
    /// The answer.
    Done(Box<RunOutcome>),
    /// The error, with the last good result still shown.
    Failed {
        /// What went wrong.
        error: Box<RunFailure>,
        /// The last good result.
        previous: Option<Box<RunOutcome>>,
    },
}

impl RunState {
    /// The result to show: the answer, or the last good one while pending or failed.
    pub fn outcome(&self) -> Option<&RunOutcome> {
        match self {
            RunState::NotRequested => None,
            RunState::Done(outcome) => Some(outcome),
            RunState::Pending { previous, .. } | RunState::Failed { previous, .. } => previous.as_deref(),
        }
    }

    /// The result shown, for changing it in place ("Load all rows" completes its table).
    pub fn outcome_mut(&mut self) -> Option<&mut RunOutcome> {
        match self {
            RunState::NotRequested => None,
            RunState::Done(outcome) => Some(outcome),
            RunState::Pending { previous, .. } | RunState::Failed { previous, .. } => previous.as_deref_mut(),
        }
    }

    /// Takes the last good result out, leaving [`RunState::NotRequested`].
    pub fn take_previous(&mut self) -> Option<Box<RunOutcome>> {
        match std::mem::take(self) {
            RunState::NotRequested => None,
            RunState::Done(outcome) => Some(outcome),
            RunState::Pending { previous, .. } | RunState::Failed { previous, .. } => previous,
        }
    }

    /// The id of the run waited for.
    pub fn pending_id(&self) -> Option<u64> {
        match self {
            RunState::Pending { request_id, .. } => Some(*request_id),
            _ => None,
        }
    }

    /// The failure, when the last run failed.
    pub fn failure(&self) -> Option<&RunFailure> {
        match self {
            RunState::Failed { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// "Load all rows": streaming the full result through the export endpoint into a table that
/// replaces the (truncated) one shown. The table shown stays until the new one is complete.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum LoadAllState {
    /// Nothing loading.
    #[default]
    Idle,
    /// The worker is streaming the export.
    Loading {
        /// The load; events of any other id are stale.
        job_id: u64,
        /// The run whose table it completes.
        request_id: u64,
        /// When it started.
        started: Instant,
        /// Rows matching the query (what the progress bar counts towards).
        total_rows: u64,
        /// Rows parsed and bytes received so far.
        progress: LoadProgress,
    },
    /// The last load failed; the table shown is still the first page.
    Failed {
        /// The run whose table it was to complete.
        request_id: u64,
        /// Why, in words.
        message: String,
    },
}

impl LoadAllState {
    /// The load in progress: its job id.
    pub fn loading_id(&self) -> Option<u64> {
        match self {
            LoadAllState::Loading { job_id, .. } => Some(*job_id),
            _ => None,
        }
    }
}

/// Undo / redo of query edits. Each entry is the draft as it was before a change; rapid
/// typing into one field is one step.
#[derive(Debug, Default)]
pub struct UndoHistory {
    undo: Vec<QueryDraft>,
    redo: Vec<QueryDraft>,
    /// The key and time of the last recorded edit, for coalescing.
    last_edit: Option<(u64, Instant)>,
}

/// The most undo steps kept.
pub const UNDO_LIMIT: usize = 200;

/// Edits to the same field closer together than this are one undo step.
pub const COALESCE_WINDOW: Duration = Duration::from_millis(1000);

impl UndoHistory {
    /// Records `before`, the draft as it was before an edit. Edits with the same
    /// `coalesce_key` (e.g. the id of the focused text field) within [`COALESCE_WINDOW`]
    /// of the previous one extend the previous step instead of adding one.
    pub fn record(&mut self, before: QueryDraft, coalesce_key: Option<u64>, now: Instant) {
        let coalesce = match (coalesce_key, self.last_edit) {
            (Some(key), Some((last_key, at))) => {
                key == last_key
                    && now.saturating_duration_since(at) < COALESCE_WINDOW
                    && !self.undo.is_empty()
            }
            _ => false,
        };
        if !coalesce {
            self.undo.push(before);
            if self.undo.len() > UNDO_LIMIT {
                self.undo.remove(0);
            }
        }
        self.last_edit = coalesce_key.map(|key| (key, now));
        self.redo.clear();
    }

    /// The draft to go back to, given the current one (which becomes redoable).
    pub fn undo(&mut self, current: &QueryDraft) -> Option<QueryDraft> {
        let previous = self.undo.pop()?;
        self.redo.push(current.clone());
        self.last_edit = None;
        Some(previous)
    }

    /// The draft to go forward to, given the current one (which becomes undoable).
    pub fn redo(&mut self, current: &QueryDraft) -> Option<QueryDraft> {
        let next = self.redo.pop()?;
        self.undo.push(current.clone());
        self.last_edit = None;
        Some(next)
    }

    /// True when there is something to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// True when there is something to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }
}

/// What the window derives from the draft, computed once per change (never per frame).
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedQuery {
    /// The draft generation these values belong to.
    pub generation: u64,
    /// The body, when the draft is valid.
    pub body: Option<QueryBody>,
    /// Every problem of the draft, with paths.
    pub problems: Vec<Problem>,
    /// The body as far as it can be built, pretty-printed, for the inspector.
    pub preview_json: String,
    /// Every relative `firstMessageTime` value ("last 30 days") and what it stands for
    /// at the time of the change, for the inspector; the run resolves them again.
    pub relative_times: Vec<RelativeTimeShown>,
}

/// A relative time of the query and its resolution, as the request inspector lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct RelativeTimeShown {
    /// Wire path of the value (`where.and[1].condition.value`).
    pub path: String,
    /// The text as written.
    pub text: String,
    /// What it stands for (`2026-11-23T00:00:00Z … 2026-11-30T00:00:00Z (UTC)`), or why it
    /// cannot be resolved.
    pub resolved: Result<String, String>,
}

impl RelativeTimeShown {
    /// The relative times of `body`, resolved at `now`.
    pub fn list(body: &QueryBody, now: jiff::Timestamp) -> Vec<RelativeTimeShown> {
        relative_values(body)
            .into_iter()
            .map(|value| RelativeTimeShown {
                resolved: value
                    .parsed
                    .and_then(|parsed| parsed.resolve(now))
                    .map(|resolved| resolved.to_string())
                    .map_err(|err| err.message),
                path: value.path,
                text: value.text,
            })
            .collect()
    }
}

impl DerivedQuery {
    /// Validates and serialises `draft`.
    pub fn compute(draft: &QueryDraft, generation: u64) -> DerivedQuery {
        match draft.to_body() {
            Ok(body) => {
                let preview_json = body.to_pretty_json();
                let relative_times = RelativeTimeShown::list(&body, jiff::Timestamp::now());
                DerivedQuery {
                    generation,
                    body: Some(body),
                    problems: Vec::new(),
                    preview_json,
                    relative_times,
                }
            }
            Err(problems) => {
                let best_effort = draft.best_effort_body();
                let preview_json = best_effort.to_pretty_json();
                let relative_times = RelativeTimeShown::list(&best_effort, jiff::Timestamp::now());
                DerivedQuery { generation, body: None, problems, preview_json, relative_times }
            }
        }
    }

    /// Why the query cannot run, or `None` when it can.
    pub fn blocked_reason(&self) -> Option<String> {
        let first = self.problems.first()?;
        let place = if first.path.is_empty() { String::new() } else { format!(" ({})", first.path) };
        let more = match self.problems.len() {
            1 => String::new(),
            2 => " One more problem is shown in the form.".to_string(),
            n => format!(" {} more problems are shown in the form.", n - 1),
        };
        Some(format!("Fix the query first: {}{place}.{more}", first.message.trim_end_matches('.')))
    }
}

/// The request inspector's text buffer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InspectorState {
    /// The JSON shown and edited.
    pub text: String,
    /// The user changed the text: stop following the form until applied or reverted.
    pub edited: bool,
    /// Why the last Apply failed.
    pub error: Option<ParseError>,
    /// The draft generation the text was last filled from.
    pub synced_generation: Option<u64>,
}

impl InspectorState {
    /// Follows the draft unless the user is editing the text.
    pub fn sync(&mut self, derived: &DerivedQuery) {
        if !self.edited && self.synced_generation != Some(derived.generation) {
            self.text.clone_from(&derived.preview_json);
            self.synced_generation = Some(derived.generation);
        }
    }
}

/// How serious a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// For information.
    Info,
    /// Something the user should know.
    Warning,
}

/// A short message in the status bar (cancelled, copied, saved…).
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// How serious.
    pub kind: NoticeKind,
    /// When it was posted.
    pub at: Instant,
}

/// What `--run`, `--screenshot` and `--exit` still have to do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Automation {
    /// The tab the flags act on: the `--query`/`--preset` tab, else the one active at start.
    pub tab: TabId,
    /// Run the query once connected.
    pub run_pending: bool,
    /// The run started by automation (its id), until it ends.
    pub run_id: Option<u64>,
    /// The automated run (or the query) failed: the message, for the exit status.
    pub failure: Option<String>,
    /// Write a PNG here once the result is drawn.
    pub screenshot: Option<PathBuf>,
    /// Frames drawn since the automation had nothing left to wait for.
    pub settled_frames: u32,
    /// The screenshot was requested; waiting for the image and the file.
    pub screenshot_requested: bool,
    /// Close the window when done.
    pub exit: bool,
    /// Nothing left to do.
    pub finished: bool,
}

/// What a requested screenshot is for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScreenshotPurpose {
    /// `--screenshot` of the command line: the whole window.
    Automation,
    /// "Export PNG" of the chart: this part of the window, in points.
    Chart {
        /// The plot's rectangle.
        rect: egui::Rect,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft_with_notes(notes: &str) -> QueryDraft {
        QueryDraft { notes: Some(notes.to_string()), ..QueryDraft::default() }
    }

    #[test]
    fn typing_into_one_field_is_one_undo_step_but_other_edits_are_not() {
        let mut history = UndoHistory::default();
        let t0 = Instant::now();
        history.record(draft_with_notes(""), Some(1), t0);
        history.record(draft_with_notes("a"), Some(1), t0 + Duration::from_millis(200));
        history.record(draft_with_notes("ab"), Some(1), t0 + Duration::from_millis(400));
        // Another field: a new step.
        history.record(draft_with_notes("abc"), Some(2), t0 + Duration::from_millis(500));
        // Same field after a pause: a new step.
        history.record(draft_with_notes("abcd"), Some(2), t0 + Duration::from_millis(3000));
        // A click (no key) is always its own step.
        history.record(draft_with_notes("abcde"), None, t0 + Duration::from_millis(3100));
        let current = draft_with_notes("final");
        assert_eq!(history.undo(&current), Some(draft_with_notes("abcde")));
        assert_eq!(history.undo(&draft_with_notes("abcde")), Some(draft_with_notes("abcd")));
        assert_eq!(history.undo(&draft_with_notes("abcd")), Some(draft_with_notes("abc")));
        assert_eq!(history.undo(&draft_with_notes("abc")), Some(draft_with_notes("")));
        assert_eq!(history.undo(&draft_with_notes("")), None);
        assert_eq!(history.redo(&draft_with_notes("")), Some(draft_with_notes("abc")));
        // A new edit clears the redo stack.
        history.record(draft_with_notes("abc"), None, t0 + Duration::from_secs(10));
        assert!(!history.can_redo());
    }

    #[test]
    fn blocked_reason_names_the_first_problem_and_counts_the_rest() {
        let derived = DerivedQuery {
            generation: 1,
            body: None,
            problems: vec![
                Problem { path: "where.condition.value".into(), message: "Not a number: 12a.".into() },
                Problem { path: "notes".into(), message: "Too long".into() },
                Problem { path: "select[0]".into(), message: "x".into() },
            ],
            preview_json: String::new(),
            relative_times: Vec::new(),
        };
        assert_eq!(
            derived.blocked_reason().unwrap(),
            "Fix the query first: Not a number: 12a (where.condition.value). 2 more problems are shown in the form."
        );
    }

    #[test]
    fn result_views_parse_by_name() {
        assert_eq!("Request".parse::<ResultView>(), Ok(ResultView::Request));
        assert!("nope".parse::<ResultView>().is_err());
    }
}

//! One query tab: the query being built (draft, undo history, derived values), its run and
//! "Load all rows", the result with its grid and chart settings, the request inspector, and
//! which result view is shown.
//!
//! A tab's `update`-style methods change only the tab and return [`TabEffect`]s (jobs for
//! the worker, notices, "settings changed", runs started and ended for the run history)
//! instead of reaching into the window; the window applies them. Nothing here draws.

use std::sync::Arc;
use std::time::Instant;

use crate::api::client::ClientError;
use crate::api::columns::result_columns;
use crate::api::query::{QueryBody, Selection, TimeUnit, parse_query};
use crate::api::view::View;
use crate::app::chart_ui::ChartSettings;
use crate::app::compare_model::{CompareStart, CompareState};
use crate::app::draft::QueryDraft;
use crate::app::format::{format_duration_ms, thousands};
use crate::app::grid_ui::GridState;
use crate::app::state::{
    DerivedQuery, ErrorDetails, InspectorState, LoadAllState, NoticeKind, ResultView, RunFailure, RunOutcome,
    RunState, UndoHistory,
};
use crate::app::view_switch::adapt_to_view;
use crate::data::drill::Provenance;
use crate::data::series::SeriesCache;
use crate::data::{LoadProgress, ResultTable};
use crate::relative_time::resolve_relative_times;
use crate::worker::{Job, JobTag, LoadAllError, Purpose, RunAnswer, TabId};

/// Something a tab's update asks the window to do.
#[derive(Debug)]
pub enum TabEffect {
    /// Send this job to the worker.
    Job(Job),
    /// Show a status-bar notice.
    Notice(NoticeKind, String),
    /// The tab's query, grid or chart settings changed: save them (debounced).
    SettingsChanged,
    /// A run was sent: the run history remembers it (`query` as the builder had it).
    RunStarted {
        /// The run.
        request_id: u64,
        /// The view it queries.
        view: View,
        /// The query with relative times unresolved.
        query: QueryBody,
    },
    /// A run ended (answered, failed, cancelled or superseded): the run history records it
    /// from the tab's run state.
    RunEnded {
        /// The run.
        request_id: u64,
    },
}

/// What a tab needs to know from the window to start a run or a load.
#[derive(Debug, Clone, Copy)]
pub struct RunContext<'a> {
    /// The id the run (or load) gets; unique in the window.
    pub request_id: u64,
    /// Why no run can start on the connection now ("Connecting…"), if so.
    pub connection_blocked: Option<&'a str>,
}

/// One query tab.
#[derive(Debug)]
pub struct QueryTab {
    /// Never reused while the window is open; saved with the tabs.
    pub id: TabId,
    /// The title the user gave the tab (double-click to rename), if any.
    pub name: Option<String>,
    /// The preset the query was opened from, for the title.
    pub preset_name: Option<String>,
    /// The query being edited.
    pub draft: QueryDraft,
    /// The draft as of the last recorded change (the "before" of the next one).
    pub committed: QueryDraft,
    /// Increases with every change of the draft.
    pub generation: u64,
    /// Values derived from the draft at `generation`.
    pub derived: DerivedQuery,
    /// Undo / redo of query edits (not the run history, which is window-wide).
    pub undo: UndoHistory,
    /// The run.
    pub run: RunState,
    /// "Load all rows" for the result shown.
    pub load_all: LoadAllState,
    /// The grid's sort, search, hidden columns, widths and selection.
    pub grid: GridState,
    /// The column names of the last table shown in the grid; a different set resets the grid.
    pub grid_columns: Option<Vec<String>>,
    /// The chart's series, derived once per result and settings.
    pub series_cache: SeriesCache,
    /// The chart's kind, measure, top N, gaps, log scale and hidden series.
    pub chart_settings: ChartSettings,
    /// The result view shown (table, chart, request, response).
    pub view: ResultView,
    /// The request inspector.
    pub inspector: InspectorState,
    /// The error details are unfolded.
    pub show_error_details: bool,
    /// The number this tab's query shows the rows behind, when it was opened by a
    /// drill-down: its status bar says so, and it is saved and exported with the tab.
    pub drilled_from: Option<Provenance>,
    /// The comparison with an earlier period: toggle, offset, its run and joined result.
    pub compare: CompareState,
}

impl QueryTab {
    /// A tab holding `draft`, with nothing run yet.
    pub fn new(id: TabId, draft: QueryDraft) -> QueryTab {
        let derived = DerivedQuery::compute(&draft, 0);
        let mut inspector = InspectorState::default();
        inspector.sync(&derived);
        QueryTab {
            id,
            name: None,
            preset_name: None,
            committed: draft.clone(),
            draft,
            generation: 0,
            derived,
            undo: UndoHistory::default(),
            run: RunState::NotRequested,
            load_all: LoadAllState::Idle,
            grid: GridState::default(),
            grid_columns: None,
            series_cache: SeriesCache::new(),
            chart_settings: ChartSettings::default(),
            view: ResultView::default(),
            inspector,
            show_error_details: false,
            drilled_from: None,
            compare: CompareState::default(),
        }
    }

    /// A copy of this tab's query and settings under a new id (the result is not copied:
    /// the copy runs its own).
    pub fn duplicate(&self, id: TabId) -> QueryTab {
        let mut copy = QueryTab::new(id, self.draft.clone());
        copy.name = self.name.as_ref().map(|name| format!("{name} (copy)"));
        copy.preset_name.clone_from(&self.preset_name);
        copy.chart_settings = self.chart_settings.clone();
        copy.view = self.view;
        copy.drilled_from.clone_from(&self.drilled_from);
        copy.compare = self.compare.settings_only();
        copy
    }

    /// Nothing in it worth keeping: no edits, no run, no result. A preset or a history
    /// entry opens here instead of in a new tab.
    pub fn is_empty(&self) -> bool {
        !self.undo.can_undo() && matches!(self.run, RunState::NotRequested) && self.name.is_none()
    }

    /// Closing it loses something (a result or edits): the close can be undone.
    pub fn is_worth_keeping(&self) -> bool {
        !self.is_empty()
    }

    /// The title on the tab: the user's name, else the preset's, else a description of the query.
    pub fn title(&self) -> String {
        if let Some(name) = self.name.as_deref().filter(|name| !name.trim().is_empty()) {
            return name.to_string();
        }
        if let Some(preset) = self.preset_name.as_deref() {
            return preset.to_string();
        }
        let description = describe_query(self.draft.view, &self.draft.best_effort_body());
        match self.draft.view {
            View::Conversations => description,
            // Tabs on other views say which, so two "count" tabs can be told apart.
            other => shorten(&format!("{}: {description}", other.title())),
        }
    }

    /// Runs, loads all rows or both.
    pub fn is_busy(&self) -> bool {
        self.run.pending_id().is_some() || self.load_all.loading_id().is_some()
    }

    fn tag(&self, purpose: Purpose) -> JobTag {
        JobTag::new(self.id, purpose)
    }

    /// Why Run is disabled, or `None` when it is enabled.
    pub fn run_blocked_reason(&self, connection_blocked: Option<&str>) -> Option<String> {
        self.derived.blocked_reason().or_else(|| connection_blocked.map(str::to_string))
    }

    /// Goes back one query edit.
    pub fn undo(&mut self, effects: &mut Vec<TabEffect>) {
        match self.undo.undo(&self.draft) {
            Some(previous) => self.replace_draft_without_undo(previous, effects),
            None => effects.push(TabEffect::Notice(NoticeKind::Info, "Nothing to undo.".into())),
        }
    }

    /// Goes forward one query edit.
    pub fn redo(&mut self, effects: &mut Vec<TabEffect>) {
        match self.undo.redo(&self.draft) {
            Some(next) => self.replace_draft_without_undo(next, effects),
            None => effects.push(TabEffect::Notice(NoticeKind::Info, "Nothing to redo.".into())),
        }
    }

    /// The form edited the draft in place: record it for undo and re-derive.
    pub fn draft_edited(&mut self, coalesce_key: Option<u64>, effects: &mut Vec<TabEffect>) {
        if self.draft != self.committed {
            let before = std::mem::replace(&mut self.committed, self.draft.clone());
            self.undo.record(before, coalesce_key, Instant::now());
            self.draft_changed(effects);
        }
    }

    /// Replaces the query (a file, a preset, a history entry) and its view as one undoable
    /// step.
    pub fn load_query(&mut self, view: View, body: &QueryBody, effects: &mut Vec<TabEffect>) {
        self.replace_draft(QueryDraft::from_body_in(view, body), effects);
    }

    /// Parses the inspector's text and, if it fits the model, loads it into the form.
    pub fn apply_request_json(&mut self, effects: &mut Vec<TabEffect>) {
        match parse_query(&self.inspector.text) {
            Ok(body) => {
                self.inspector.edited = false;
                self.inspector.error = None;
                // The JSON is the body; the view is the tab's (the picker changes it).
                self.replace_draft(QueryDraft::from_body_in(self.draft.view, &body), effects);
                // Show the normalised JSON of the form, even when the draft did not change.
                self.inspector.synced_generation = None;
                self.inspector.sync(&self.derived);
                effects.push(TabEffect::Notice(
                    NoticeKind::Info,
                    "The request JSON was applied to the form.".into(),
                ));
            }
            // The form stays exactly as it was; the error says where the text is wrong.
            Err(error) => self.inspector.error = Some(error),
        }
    }

    /// Throws away the inspector's edits and follows the form again.
    pub fn revert_request_json(&mut self) {
        self.inspector.edited = false;
        self.inspector.error = None;
        self.inspector.synced_generation = None;
        self.inspector.sync(&self.derived);
    }

    /// Moves the query to another view as one undoable edit: what names a field the view
    /// lacks is dropped, and the notice says exactly what ([`adapt_to_view`]).
    pub fn switch_query_view(&mut self, view: View, effects: &mut Vec<TabEffect>) {
        if self.draft.view == view {
            return;
        }
        let switch = adapt_to_view(&self.draft, view);
        let notice = switch.notice();
        self.replace_draft(switch.draft, effects);
        effects.push(TabEffect::Notice(NoticeKind::Info, notice));
    }

    /// Shows a result view.
    pub fn set_view(&mut self, view: ResultView, effects: &mut Vec<TabEffect>) {
        if self.view != view {
            self.view = view;
            effects.push(TabEffect::SettingsChanged);
        }
    }

    /// Replaces the draft as one undoable step.
    fn replace_draft(&mut self, draft: QueryDraft, effects: &mut Vec<TabEffect>) {
        if draft == self.draft {
            return;
        }
        let before = std::mem::replace(&mut self.draft, draft);
        self.undo.record(before, None, Instant::now());
        self.committed = self.draft.clone();
        self.draft_changed(effects);
    }

    /// Replaces the draft from the undo history itself.
    fn replace_draft_without_undo(&mut self, draft: QueryDraft, effects: &mut Vec<TabEffect>) {
        self.draft = draft;
        self.committed = self.draft.clone();
        self.draft_changed(effects);
    }

    /// Re-derives body, problems and JSON once for the new draft.
    fn draft_changed(&mut self, effects: &mut Vec<TabEffect>) {
        self.generation += 1;
        self.derived = DerivedQuery::compute(&self.draft, self.generation);
        self.inspector.sync(&self.derived);
        effects.push(TabEffect::SettingsChanged);
    }

    /// Validates the draft, resolves relative times and sends the run. A run of this tab
    /// still pending is superseded (runs of other tabs are not touched).
    pub fn start_run(&mut self, context: RunContext<'_>, effects: &mut Vec<TabEffect>) {
        let Some(query) = self.derived.body.clone() else {
            let reason = self.derived.blocked_reason().unwrap_or_default();
            effects.push(TabEffect::Notice(NoticeKind::Warning, reason));
            return;
        };
        if let Some(reason) = self.run_blocked_reason(context.connection_blocked) {
            effects.push(TabEffect::Notice(NoticeKind::Warning, reason));
            return;
        }
        // Relative times ("this week") mean the week of the run, so they are resolved now;
        // the builder, presets and history keep them as written.
        let now = jiff::Timestamp::now();
        let body = match resolve_relative_times(&query, now) {
            Ok(body) => body,
            Err(err) => {
                effects.push(TabEffect::Notice(NoticeKind::Warning, format!("The query cannot run: {err}")));
                return;
            }
        };
        // The table a load would complete is about to be replaced.
        self.abandon_load_all(effects);
        let request_id = context.request_id;
        let superseded = self.run.pending_id();
        let previous = self.run.take_previous();
        let view = self.draft.view;
        self.run = RunState::Pending {
            request_id,
            started: Instant::now(),
            view,
            body: Box::new(body.clone()),
            previous,
        };
        self.show_error_details = false;
        effects.push(TabEffect::Job(Job::Run { tag: self.tag(Purpose::Run), request_id, view, body }));
        let start = CompareStart { tag: self.tag(Purpose::Compare), request_id, view, query: &query, now };
        match self.compare.start(start) {
            Ok(Some(job)) => effects.push(TabEffect::Job(job)),
            Ok(None) => {}
            Err(message) => effects.push(TabEffect::Notice(NoticeKind::Warning, message)),
        }
        if let Some(superseded) = superseded {
            effects.push(TabEffect::RunEnded { request_id: superseded });
        }
        effects.push(TabEffect::RunStarted { request_id, view, query });
    }

    /// Cancels the pending run; the previous result stays.
    pub fn cancel_run(&mut self, effects: &mut Vec<TabEffect>) {
        if let Some(request_id) = self.run.pending_id() {
            effects.push(TabEffect::Job(Job::Cancel { tag: self.tag(Purpose::Run), request_id }));
            self.end_pending_without_answer(effects);
            effects.push(TabEffect::Notice(
                NoticeKind::Info,
                "Run cancelled; the previous result is still shown.".into(),
            ));
        }
    }

    /// Stops whatever runs or loads in this tab without a word (the tab is closing, the
    /// connection changes).
    pub fn stop_quietly(&mut self, effects: &mut Vec<TabEffect>) {
        self.abandon_load_all(effects);
        if let Some(request_id) = self.run.pending_id() {
            effects.push(TabEffect::Job(Job::Cancel { tag: self.tag(Purpose::Run), request_id }));
            self.end_pending_without_answer(effects);
        }
    }

    /// Starts "Load all rows" for the result shown, unless it is complete or a run is pending.
    pub fn start_load_all(&mut self, job_id: u64, effects: &mut Vec<TabEffect>) {
        if self.run.pending_id().is_some() {
            effects.push(TabEffect::Notice(
                NoticeKind::Info,
                "Wait for the run to finish before loading all rows.".into(),
            ));
            return;
        }
        if self.load_all.loading_id().is_some() {
            return;
        }
        let Some(outcome) = self.run.outcome() else { return };
        if !outcome.is_truncated() {
            effects.push(TabEffect::Notice(
                NoticeKind::Info,
                "The table already holds every matching row.".into(),
            ));
            return;
        }
        let (request_id, total_rows, view, body) =
            (outcome.request_id, outcome.meta.total, outcome.view, outcome.body.clone());
        self.load_all = LoadAllState::Loading {
            job_id,
            request_id,
            started: Instant::now(),
            total_rows,
            progress: LoadProgress::default(),
        };
        effects.push(TabEffect::Job(Job::LoadAll {
            tag: self.tag(Purpose::LoadAll),
            job_id,
            view,
            body,
            total: Some(total_rows),
        }));
    }

    /// Stops loading all rows; the table shown stays.
    pub fn cancel_load_all(&mut self, effects: &mut Vec<TabEffect>) {
        if let Some(job_id) = self.load_all.loading_id() {
            effects.push(TabEffect::Job(Job::CancelLoad { tag: self.tag(Purpose::LoadAll), job_id }));
            self.load_all = LoadAllState::Idle;
            effects.push(TabEffect::Notice(
                NoticeKind::Info,
                "Loading all rows was cancelled; the table is unchanged.".into(),
            ));
        }
    }

    /// Hides the "Loading all rows failed" line.
    pub fn dismiss_load_all_failure(&mut self) {
        if matches!(self.load_all, LoadAllState::Failed { .. }) {
            self.load_all = LoadAllState::Idle;
        }
    }

    /// Stops a load in progress without a word (a new run or connection supersedes it).
    fn abandon_load_all(&mut self, effects: &mut Vec<TabEffect>) {
        if let Some(job_id) = self.load_all.loading_id() {
            effects.push(TabEffect::Job(Job::CancelLoad { tag: self.tag(Purpose::LoadAll), job_id }));
        }
        self.load_all = LoadAllState::Idle;
    }

    /// Adds a day bucket to the front of the select (one undoable edit); the caller runs it.
    /// Returns whether the query changed.
    pub fn add_day_bucket(&mut self, effects: &mut Vec<TabEffect>) -> bool {
        if self.draft.select.iter().any(|selection| matches!(selection, Selection::Time { .. })) {
            effects.push(TabEffect::Notice(NoticeKind::Info, "The query already has a time bucket.".into()));
            return false;
        }
        let mut draft = self.draft.clone();
        draft.select.insert(0, Selection::time(TimeUnit::Day));
        self.replace_draft(draft, effects);
        effects.push(TabEffect::Notice(
            NoticeKind::Info,
            "Added a day bucket to the query (Ctrl+Z undoes it).".into(),
        ));
        true
    }

    /// The grid keeps its sort, hidden columns and widths while the columns stay the same;
    /// a table with other columns starts from a clean grid.
    fn adopt_columns(&mut self, table: &ResultTable, effects: &mut Vec<TabEffect>) {
        let names: Vec<String> = table.column_names().into_iter().map(str::to_string).collect();
        let changed = match &self.grid_columns {
            Some(previous) => *previous != names,
            // The first table after a start: keep the saved grid if it fits these columns.
            None => {
                let known = |name: &str| names.iter().any(|n| n == name);
                !(self.grid.sort.iter().all(|key| known(&key.column))
                    && self.grid.hidden_columns.iter().all(|name| known(name)))
            }
        };
        // A preset's grid sort (keys the server cannot sort by) starts its first result.
        let pending = self.grid.pending_sort.take();
        if changed {
            self.grid = GridState::default();
            effects.push(TabEffect::SettingsChanged);
        }
        if let Some(sort) = pending {
            self.grid.sort = sort;
            effects.push(TabEffect::SettingsChanged);
        }
        self.grid_columns = Some(names);
    }

    /// Leaves the pending state for the previous result (cancel, or a cancelled answer).
    fn end_pending_without_answer(&mut self, effects: &mut Vec<TabEffect>) {
        if let Some(request_id) = self.compare.pending_id() {
            effects.push(TabEffect::Job(Job::Cancel { tag: self.tag(Purpose::Compare), request_id }));
        }
        self.compare.abandon();
        let ended = self.run.pending_id();
        self.run = match self.run.take_previous() {
            Some(previous) => RunState::Done(previous),
            None => RunState::NotRequested,
        };
        if let Some(ended) = ended {
            effects.push(TabEffect::RunEnded { request_id: ended });
        }
    }

    /// The worker answered a run of this tab. Returns false when it was stale (not the run
    /// waited for) and nothing changed.
    pub fn on_run_finished(
        &mut self,
        answer: RunFinished,
        server_url: String,
        effects: &mut Vec<TabEffect>,
    ) -> bool {
        let RunFinished { request_id, duration_ms, result } = answer;
        // An answer for anything but the run waited for is stale: never shown.
        if self.run.pending_id() != Some(request_id) {
            return false;
        }
        let RunState::Pending { view, body, previous, .. } = std::mem::take(&mut self.run) else {
            return false;
        };
        let body = *body;
        match result {
            Ok(answer) => {
                self.adopt_columns(&answer.table, effects);
                self.load_all = LoadAllState::Idle;
                let mut outcome = RunOutcome::new(request_id, view, body, answer, duration_ms);
                // A new connection cancels pending runs, so this is the server that answered.
                outcome.server_url = server_url;
                self.run = RunState::Done(Box::new(outcome));
                self.compare.join_if_ready(&self.run);
            }
            Err(ClientError::Cancelled) => {
                self.run = previous.map_or(RunState::NotRequested, RunState::Done);
                self.compare.abandon();
            }
            Err(error) => {
                let failure = RunFailure {
                    request_id,
                    body,
                    summary: error.user_message(),
                    details: ErrorDetails::from_client_error(&error),
                    duration_ms,
                };
                self.run = RunState::Failed { error: Box::new(failure), previous };
                self.compare.abandon();
            }
        }
        effects.push(TabEffect::RunEnded { request_id });
        true
    }

    /// The worker says a run of this tab was cancelled before it answered.
    pub fn on_run_cancelled(&mut self, request_id: u64, effects: &mut Vec<TabEffect>) {
        if self.run.pending_id() == Some(request_id) {
            self.end_pending_without_answer(effects);
            effects.push(TabEffect::Notice(
                NoticeKind::Info,
                "Run cancelled; the previous result is still shown.".into(),
            ));
        }
    }

    /// Progress of this tab's "Load all rows".
    pub fn on_load_progress(&mut self, job_id: u64, update: LoadProgress) {
        if let LoadAllState::Loading { job_id: loading, progress, .. } = &mut self.load_all
            && *loading == job_id
        {
            *progress = update;
        }
    }

    /// This tab's "Load all rows" ended.
    pub fn on_load_finished(
        &mut self,
        job_id: u64,
        duration_ms: u64,
        result: Result<Arc<ResultTable>, LoadAllError>,
        effects: &mut Vec<TabEffect>,
    ) {
        let LoadAllState::Loading { job_id: loading, request_id, .. } = self.load_all else { return };
        if loading != job_id {
            return;
        }
        self.load_all = LoadAllState::Idle;
        let Some(outcome) = self.run.outcome_mut().filter(|outcome| outcome.request_id == request_id) else {
            return;
        };
        match result {
            Ok(table) => {
                let row_count = table.row_count();
                let total_before = outcome.meta.total;
                outcome.meta.total = row_count as u64;
                outcome.meta.count = row_count as u64;
                outcome.table = Arc::clone(&table);
                outcome.all_rows_loaded = true;
                self.adopt_columns(&table, effects);
                let mut message = format!(
                    "Loaded all {} rows in {}.",
                    thousands(row_count as u64),
                    format_duration_ms(duration_ms)
                );
                if self.compare.set_aside_for_all_rows(request_id) {
                    message.push_str(
                        " Compare joins the first page of each period, so it is set aside for these rows: \
                         run again to compare.",
                    );
                }
                // The worker refuses fewer rows than the run counted (an export cut at a row
                // boundary looks complete); more means rows were added since: say so.
                let kind =
                    match crate::data::export::excess_rows_warning(row_count as u64, Some(total_before)) {
                        None => NoticeKind::Info,
                        Some(warning) => {
                            message.push_str(&format!(" Note: {warning}."));
                            NoticeKind::Warning
                        }
                    };
                effects.push(TabEffect::Notice(kind, message));
            }
            Err(LoadAllError::Cancelled) => {}
            Err(error) => {
                // The server's own words help more than a status code alone.
                let detail = match &error {
                    LoadAllError::Client(client_error) => ErrorDetails::from_client_error(client_error)
                        .detail
                        .map(|detail| format!(" The server said: {}.", detail.trim_end_matches('.')))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                let message = format!(
                    "{error}{detail} The table still shows the first {} rows.",
                    thousands(outcome.row_count() as u64)
                );
                self.load_all = LoadAllState::Failed { request_id, message: message.clone() };
                effects.push(TabEffect::Notice(
                    NoticeKind::Warning,
                    format!("Loading all rows failed: {message}"),
                ));
            }
        }
    }
}

/// A run's answer as the worker reported it (the tag already routed it to its tab).
#[derive(Debug)]
pub struct RunFinished {
    /// The run.
    pub request_id: u64,
    /// Wall time from sending to the table being built.
    pub duration_ms: u64,
    /// The answer, or why there is none.
    pub result: Result<RunAnswer, ClientError>,
}

/// The longest tab title made up from a query.
const TITLE_CHARS: usize = 32;

/// A short description of a query, for a tab that has no name: the first line of its notes,
/// else what it selects and groups by.
pub fn describe_query(view: View, body: &QueryBody) -> String {
    if let Some(line) = body.notes.as_deref().and_then(|notes| notes.lines().next()).map(str::trim)
        && !line.is_empty()
    {
        return shorten(line);
    }
    if body.select.is_empty() && body.group_by.is_empty() {
        return if body.filter.is_none() { "New query".to_string() } else { "Rows, filtered".to_string() };
    }
    let columns: Vec<String> = result_columns(view, body).into_iter().map(|column| column.name).collect();
    shorten(&columns.join(", "))
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= TITLE_CHARS {
        return text.to_string();
    }
    let mut short: String = text.chars().take(TITLE_CHARS - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tab_without_a_name_is_titled_by_its_query() {
        let mut tab = QueryTab::new(TabId(1), QueryDraft::default());
        assert_eq!(tab.title(), "New query");
        assert!(tab.is_empty());
        tab.draft.select = vec![Selection::count()];
        assert_eq!(tab.title(), "count");
        tab.draft.notes = Some("Weekly volume of conversations by source\nmore".into());
        assert_eq!(tab.title(), "Weekly volume of conversations …");
        tab.preset_name = Some("Weekly volume".into());
        assert_eq!(tab.title(), "Weekly volume");
        tab.name = Some("Mine".into());
        assert_eq!(tab.title(), "Mine");
    }

    #[test]
    fn an_edit_makes_a_tab_worth_keeping() {
        let mut tab = QueryTab::new(TabId(1), QueryDraft::default());
        let mut effects = Vec::new();
        tab.load_query(
            View::Conversations,
            &QueryBody { select: vec![Selection::count()], ..QueryBody::default() },
            &mut effects,
        );
        assert!(!tab.is_empty());
        assert!(tab.is_worth_keeping());
        assert!(effects.iter().any(|effect| matches!(effect, TabEffect::SettingsChanged)));
    }
}

//! The export feature's model: the dialog's state, [`ExportCommand`], and
//! [`Exports::update`], which applies a command or a worker event and returns the
//! [`Effect`]s (the export job, notices, "settings changed") instead of reaching into the
//! rest of the window. The pure parts (file names, what is written, the outcome's summary)
//! are in `export_plan.rs`. No egui: `export_dialog.rs` draws it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use jiff::civil::Date;

use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::app::effects::Effect;
use crate::app::export_plan::{
    ExportScope, export_meta, outcome_summary, plan_export, resolve_path, retarget_extension,
    suggested_file_name,
};
use crate::app::grid_ui::GridState;
use crate::app::path_input::NO_FILE_CHOSEN;
use crate::app::state::{NoticeKind, RequestIds, RunState};
use crate::app::tabs::Tabs;
use crate::data::export::{ExportError, ExportFormat, ExportOptions, ExportOutcome, redact_url};
use crate::worker::{Event, ExportProgress, ExportRequest, ExportSource, Job, JobTag, Purpose, TabId};

/// The formats offered, with their labels, in display order.
pub const FORMATS: [(ExportFormat, &str); 4] = [
    (ExportFormat::Csv { bom: false }, "CSV"),
    (ExportFormat::Csv { bom: true }, "CSV for Excel (BOM)"),
    (ExportFormat::Json, "JSON"),
    (ExportFormat::Xlsx, "XLSX"),
];

/// What the dialog is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportStatus {
    /// The form.
    Editing,
    /// The worker is writing.
    Running(RunningExport),
    /// The file was written.
    Succeeded {
        /// What was written.
        outcome: ExportOutcome,
        /// The outcome in words.
        summary: String,
    },
    /// The last attempt failed; the form is shown again with the reason.
    Failed {
        /// What failed, why, then the path.
        message: String,
    },
}

/// An export on its way.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningExport {
    /// The worker's job; events of any other id are stale.
    pub job_id: u64,
    /// When it started.
    pub started: Instant,
    /// The file being written.
    pub path: PathBuf,
    /// The format being written.
    pub format: ExportFormat,
    /// Which rows.
    pub scope: ExportScope,
    /// Rows to write, when known (what the progress bar counts towards).
    pub rows_to_write: Option<u64>,
    /// Rows matching the query, for the outcome.
    pub total_rows: u64,
    /// The latest progress.
    pub progress: ExportProgress,
    /// Cancel was pressed; waiting for the worker to clean up.
    pub cancelling: bool,
}

/// The dialog's state: the form (its own draft, edited by [`export_dialog_ui`](crate::app::export_dialog::export_dialog_ui)) and the
/// status (changed only through [`ExportCommand`]s).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportDialog {
    /// The format chosen.
    pub format: ExportFormat,
    /// Which rows.
    pub scope: ExportScope,
    /// Write `<file>.query.json` beside a CSV or JSON file.
    pub sidecar: bool,
    /// The file, as typed or chosen with Browse….
    pub path_text: String,
    /// Where a relative path is resolved and Browse… opens (the last export's folder).
    pub directory: Option<PathBuf>,
    /// The system file dialog is open (on the worker).
    pub browsing: bool,
    /// Form, progress or outcome.
    pub status: ExportStatus,
    /// The query tab whose result it exports (set when opened; the dialog stays with that
    /// tab's result even when another tab is shown).
    pub tab: TabId,
}

impl ExportDialog {
    /// A dialog for `body`'s result: CSV, the file name suggested in `directory`.
    pub fn new(
        scope: ExportScope,
        (view, body): (View, &QueryBody),
        directory: Option<PathBuf>,
        today: Date,
    ) -> Self {
        let format = ExportFormat::Csv { bom: false };
        let file_name = suggested_file_name(view, body, format, today);
        let path_text = match &directory {
            Some(dir) => dir.join(&file_name).display().to_string(),
            None => file_name,
        };
        ExportDialog {
            format,
            scope,
            sidecar: true,
            path_text,
            directory,
            tab: TabId::default(),
            browsing: false,
            status: ExportStatus::Editing,
        }
    }

    /// The export in progress, if any.
    pub fn running(&self) -> Option<&RunningExport> {
        match &self.status {
            ExportStatus::Running(running) => Some(running),
            _ => None,
        }
    }

    /// The file to write: the typed path (relative ones inside [`ExportDialog::directory`],
    /// `~/` at home), with the format's extension added when it has none; `None` when
    /// nothing is typed.
    pub fn target_path(&self) -> Option<PathBuf> {
        resolve_path(&self.path_text, self.directory.as_deref(), self.format)
    }

    /// The file name part of the typed path, for Browse….
    pub fn file_name(&self) -> String {
        Path::new(self.path_text.trim())
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Switches the format, and the extension of the typed file with it.
    pub fn set_format(&mut self, format: ExportFormat) {
        self.format = format;
        self.path_text = retarget_extension(&self.path_text, format);
    }
}

/// What the export dialog asks for (wrapped in [`Command::Export`](crate::app::commands::Command::Export)).
#[derive(Debug, Clone, PartialEq)]
pub enum ExportCommand {
    /// Open the dialog (or bring it back) with this choice of rows.
    Open(ExportScope),
    /// Ask the system's file dialog for the file.
    Browse,
    /// Start writing.
    Start,
    /// Stop the export in progress; nothing is left under the file name.
    Cancel,
    /// Back to the form after an export (for another one).
    Again,
    /// Close the dialog (not while an export runs: cancel it first).
    Close,
    /// Open the folder holding this file in the system's file manager.
    OpenFolder(PathBuf),
}

/// The export feature of the window: the dialog (at most one, for one tab's result) and
/// the folder the next export starts in.
#[derive(Debug, Default)]
pub struct Exports {
    /// The export dialog, when open.
    pub dialog: Option<ExportDialog>,
    /// The folder of the last export (persisted), where the next one is suggested.
    pub last_dir: Option<PathBuf>,
}

/// What an export command needs to know of the rest of the window.
pub struct ExportInputs<'a> {
    /// The query tabs (the dialog exports one tab's result).
    pub tabs: &'a Tabs,
    /// Where exports are suggested when no export happened yet.
    pub save_dir: Option<&'a Path>,
    /// The server of the current connection, if any.
    pub server_url: Option<&'a str>,
    /// Where the export job's id comes from (unique across runs, loads and exports).
    pub ids: &'a mut RequestIds,
}

impl Exports {
    /// Applies an [`ExportCommand`].
    pub fn update(&mut self, command: ExportCommand, inputs: ExportInputs<'_>) -> Vec<Effect> {
        match command {
            ExportCommand::Open(scope) => return self.open(scope, &inputs),
            ExportCommand::Browse => {
                let Some(dialog) = self.dialog.as_mut() else { return Vec::new() };
                if dialog.browsing || dialog.running().is_some() {
                    return Vec::new();
                }
                dialog.browsing = true;
                let directory = dialog
                    .target_path()
                    .and_then(|path| path.parent().map(Path::to_path_buf))
                    .or_else(|| dialog.directory.clone());
                let file_name = dialog.file_name();
                let tag = JobTag::new(dialog.tab, Purpose::Export);
                return vec![Effect::Job(Job::PickSavePath { tag, file_name, directory })];
            }
            ExportCommand::Start => return self.start(inputs),
            ExportCommand::Cancel => {
                let Some(dialog) = self.dialog.as_mut() else { return Vec::new() };
                if let ExportStatus::Running(running) = &mut dialog.status
                    && !running.cancelling
                {
                    running.cancelling = true;
                    return vec![Effect::Job(Job::CancelExport { job_id: running.job_id })];
                }
            }
            ExportCommand::Again => {
                if let Some(dialog) = self.dialog.as_mut()
                    && dialog.running().is_none()
                {
                    dialog.status = ExportStatus::Editing;
                }
            }
            ExportCommand::Close => {
                if self.dialog.as_ref().is_some_and(|dialog| dialog.running().is_none()) {
                    self.dialog = None;
                }
            }
            ExportCommand::OpenFolder(path) => {
                let folder = match path.parent() {
                    Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                return vec![Effect::Job(Job::OpenFolder { folder })];
            }
        }
        Vec::new()
    }

    fn open(&mut self, scope: ExportScope, inputs: &ExportInputs<'_>) -> Vec<Effect> {
        if let Some(dialog) = self.dialog.as_mut() {
            // Already open: keep what was typed; an export in progress keeps going.
            if dialog.running().is_none() {
                dialog.scope = scope;
                if matches!(dialog.status, ExportStatus::Succeeded { .. }) {
                    dialog.status = ExportStatus::Editing;
                }
            }
            return Vec::new();
        }
        let tab = inputs.tabs.active();
        let Some(outcome) = tab.run.outcome() else {
            let reason = export_blocked_reason(&tab.run, None).unwrap_or_default();
            return vec![Effect::Notify(NoticeKind::Info, reason)];
        };
        let directory = self.last_dir.clone().or_else(|| inputs.save_dir.map(Path::to_path_buf));
        let today = jiff::Zoned::now().date();
        let mut dialog = ExportDialog::new(scope, (outcome.view, &outcome.body), directory, today);
        dialog.tab = tab.id;
        self.dialog = Some(dialog);
        Vec::new()
    }

    fn start(&mut self, inputs: ExportInputs<'_>) -> Vec<Effect> {
        let Some(dialog) = self.dialog.as_ref() else { return Vec::new() };
        if dialog.running().is_some() {
            return Vec::new();
        }
        let (format, scope, sidecar, tab_id) = (dialog.format, dialog.scope, dialog.sidecar, dialog.tab);
        let Some(path) = dialog.target_path() else {
            return self.fail("Type the file to export to first.".to_string());
        };
        let Some(tab) = inputs.tabs.get(tab_id) else {
            return self.fail("The tab of this result was closed.".to_string());
        };
        let Some(outcome) = tab.run.outcome() else {
            return self.fail("There is no result to export.".to_string());
        };
        // A comparison exports its joined table (previous and change % included), whole.
        let compared = tab.compare.compared_for(outcome.request_id);
        let truncated = outcome.is_truncated() && compared.is_none();
        if scope == ExportScope::CurrentView && tab.grid.is_updating() {
            return self
                .fail("The grid is still sorting or searching; export when it shows the rows.".to_string());
        }
        if scope == ExportScope::AllRows && truncated {
            // All rows come from the server the result came from, or not at all.
            let current = inputs.server_url.map(redact_url);
            if current.as_deref() != Some(redact_url(&outcome.server_url).as_str()) {
                return self.fail(format!(
                    "The connection changed since this result was fetched; run the query again to export \
                     all its rows ({}).",
                    redact_url(&outcome.server_url)
                ));
            }
        }
        let table = compared.map_or(&outcome.table, |compared| &compared.table);
        let view = tab.grid.view_of(table);
        let visible = tab.grid.visible_columns(table);
        let source = match plan_export(scope, table, view, visible, truncated, (outcome.view, &outcome.body))
        {
            Ok(source) => source,
            Err(message) => return self.fail(message),
        };
        let total_rows = match compared {
            Some(compared) => compared.table.row_count() as u64,
            None => outcome.meta.total.max(outcome.row_count() as u64),
        };
        let rows_to_write = match &source {
            ExportSource::View { rows, .. } => Some(rows.len() as u64),
            ExportSource::AllRows { .. } => Some(total_rows),
        };
        let mut meta = export_meta(outcome, tab.drilled_from.as_ref());
        if let Some(compared) = compared {
            meta.comparison = Some(compared.record.clone());
            meta.total = None;
        }
        let options =
            ExportOptions { sidecar: sidecar && format.takes_sidecar(), ..ExportOptions::default() };
        let job_id = inputs.ids.take();
        let request = ExportRequest { source, format, path: path.clone(), meta, options };
        if let Some(dialog) = self.dialog.as_mut() {
            dialog.status = ExportStatus::Running(RunningExport {
                job_id,
                started: Instant::now(),
                path,
                format,
                scope,
                rows_to_write,
                total_rows,
                progress: ExportProgress::default(),
                cancelling: false,
            });
        }
        let tag = JobTag::new(tab_id, Purpose::Export);
        vec![Effect::Job(Job::Export { tag, job_id, request: Box::new(request) })]
    }

    /// Shows why the export did not start (or failed), in the dialog and the status bar.
    fn fail(&mut self, message: String) -> Vec<Effect> {
        if let Some(dialog) = self.dialog.as_mut() {
            dialog.status = ExportStatus::Failed { message: message.clone() };
        }
        vec![Effect::Notify(NoticeKind::Warning, format!("Export failed: {message}"))]
    }

    /// A tab was closed: a dialog for its result that is not writing goes with it.
    pub fn on_tab_closed(&mut self, tab: TabId) {
        if self.dialog.as_ref().is_some_and(|dialog| dialog.tab == tab && dialog.running().is_none()) {
            self.dialog = None;
        }
    }

    /// The file dialog answered for the export dialog.
    pub fn on_path_picked(&mut self, picked: Option<PathBuf>) -> Vec<Effect> {
        let Some(dialog) = self.dialog.as_mut() else { return Vec::new() };
        dialog.browsing = false;
        let Some(path) = picked else { return vec![Effect::notify(NoticeKind::Info, NO_FILE_CHOSEN)] };
        // A name ending in another format's extension means that format.
        if let Some(format) = ExportFormat::from_path(&path)
            && format.extension() != dialog.format.extension()
        {
            dialog.format = format;
        }
        dialog.path_text = path.display().to_string();
        Vec::new()
    }

    /// Export progress and outcomes from the worker.
    pub fn on_event(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::ExportProgress { job_id, progress, .. } => {
                if let Some(ExportDialog { status: ExportStatus::Running(running), .. }) =
                    self.dialog.as_mut()
                    && running.job_id == job_id
                {
                    running.progress = progress;
                }
                Vec::new()
            }
            Event::ExportFinished { job_id, duration_ms, result, .. } => {
                self.on_finished(job_id, duration_ms, result)
            }
            Event::FolderOpened { result: Err(message), .. } => {
                vec![Effect::Notify(NoticeKind::Warning, message)]
            }
            _ => Vec::new(),
        }
    }

    fn on_finished(
        &mut self,
        job_id: u64,
        duration_ms: u64,
        result: Result<ExportOutcome, ExportError>,
    ) -> Vec<Effect> {
        let Some(running) = self.dialog.as_ref().and_then(ExportDialog::running) else { return Vec::new() };
        if running.job_id != job_id {
            return Vec::new();
        }
        let (total_rows, path) = (running.total_rows, running.path.clone());
        match result {
            Ok(outcome) => {
                let mut effects = Vec::new();
                let summary = outcome_summary(&outcome, total_rows, duration_ms);
                let folder =
                    outcome.path.parent().filter(|dir| !dir.as_os_str().is_empty()).map(Path::to_path_buf);
                if let Some(folder) = &folder
                    && self.last_dir.as_ref() != Some(folder)
                {
                    // The next export starts in the same folder, also after a restart.
                    self.last_dir = Some(folder.clone());
                    effects.push(Effect::SettingsChanged);
                }
                if let Some(dialog) = self.dialog.as_mut() {
                    if folder.is_some() {
                        dialog.directory = folder;
                    }
                    dialog.status = ExportStatus::Succeeded { outcome, summary: summary.clone() };
                }
                effects.push(Effect::Notify(NoticeKind::Info, summary));
                effects
            }
            Err(ExportError::Cancelled) => {
                if let Some(dialog) = self.dialog.as_mut() {
                    dialog.status = ExportStatus::Editing;
                }
                let message = format!("Export cancelled; nothing was written ({}).", path.display());
                vec![Effect::Notify(NoticeKind::Info, message)]
            }
            // A short download's message already says that nothing was written.
            Err(error @ ExportError::Incomplete(_)) => {
                self.fail(capitalise(&format!("{error}; the table is unchanged.")))
            }
            Err(error) => {
                let message =
                    format!("{error}. Nothing was written under that name; the table is unchanged.");
                self.fail(capitalise(&message))
            }
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What the dialog shows about the result, computed by the window each frame from its state
/// (cheap: counts only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExportContext {
    /// There is a result to export.
    pub has_result: bool,
    /// Rows of the grid's view.
    pub view_rows: u64,
    /// Rows the table holds.
    pub table_rows: u64,
    /// Rows matching the query.
    pub total_rows: u64,
    /// Columns shown in the grid.
    pub visible_columns: usize,
    /// Columns of the table.
    pub column_count: usize,
    /// The grid is still sorting or searching: its view is not final.
    pub grid_updating: bool,
}

impl ExportContext {
    /// The context of the result shown.
    pub fn of(run: &RunState, grid: &GridState) -> ExportContext {
        let Some(outcome) = run.outcome() else { return ExportContext::default() };
        let table = &outcome.table;
        ExportContext {
            has_result: true,
            view_rows: grid.view_of(table).map_or(table.row_count() as u64, |rows| rows.len() as u64),
            table_rows: table.row_count() as u64,
            total_rows: outcome.meta.total.max(table.row_count() as u64),
            visible_columns: grid.visible_columns(table).len(),
            column_count: table.column_count(),
            grid_updating: grid.is_updating(),
        }
    }

    pub(crate) fn truncated(&self) -> bool {
        self.total_rows > self.table_rows
    }
}

/// Why the Export… button is disabled, or `None` when it is enabled.
pub fn export_blocked_reason(run: &RunState, dialog: Option<&ExportDialog>) -> Option<String> {
    if dialog.is_some_and(|dialog| dialog.running().is_some()) {
        return Some("An export is running: see its progress in the export dialog.".to_string());
    }
    if run.outcome().is_some() {
        return None;
    }
    Some(match run {
        RunState::Pending { .. } => {
            "Wait for the run to finish: there is no result to export yet.".to_string()
        }
        _ => "Run a query first: there is no result to export yet.".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> Date {
        Date::new(2026, 11, 26).unwrap()
    }

    #[test]
    fn export_is_blocked_without_a_result_and_while_one_runs() {
        let reason = export_blocked_reason(&RunState::NotRequested, None).unwrap();
        assert!(reason.starts_with("Run a query first"), "{reason}");
        let mut dialog = ExportDialog::new(
            ExportScope::CurrentView,
            (View::Conversations, &QueryBody::default()),
            None,
            day(),
        );
        assert_eq!(dialog.path_text, "conversations-2026-11-26.csv");
        dialog.set_format(ExportFormat::Xlsx);
        assert_eq!(dialog.path_text, "conversations-2026-11-26.xlsx");
        dialog.status = ExportStatus::Running(RunningExport {
            job_id: 1,
            started: Instant::now(),
            path: PathBuf::from("a.xlsx"),
            format: ExportFormat::Xlsx,
            scope: ExportScope::CurrentView,
            rows_to_write: None,
            total_rows: 0,
            progress: ExportProgress::default(),
            cancelling: false,
        });
        let reason = export_blocked_reason(&RunState::NotRequested, Some(&dialog)).unwrap();
        assert!(reason.contains("export is running"), "{reason}");
    }
}

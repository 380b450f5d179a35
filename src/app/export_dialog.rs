//! The export dialog of the result table: format, which rows, the query sidecar, the file;
//! then progress with Cancel, and the outcome (the path and "Open folder", or why it failed).
//!
//! - **Current view** writes what the grid shows: its rows in its order (sorted, searched)
//!   and its visible columns, taken from [`GridState`] without copying the table.
//! - **All rows** writes every matching row. When the table holds fewer than the query's
//!   `total`, the export endpoint is streamed to disk on the worker; when it already holds
//!   them all, the table itself is written (every column, in the query's order).
//!
//! Files are written on the worker ([`Job::Export`]) into a temporary file beside the target,
//! renamed into place when complete: a failed or cancelled export leaves nothing under the
//! chosen name. The window stays responsive throughout and the table shown is never touched.
//!
//! The path comes from the system's file dialog (`rfd`, on the worker) or, since that returns
//! nothing where no desktop portal runs, from the path field, which is always there. The
//! folder of the last export is remembered in the settings.
//!
//! # Finding things from tests and screen readers
//!
//! The Table tab's button is `Export…`. In the dialog: radio buttons `CSV`,
//! `CSV for Excel (BOM)`, `JSON`, `XLSX`, `Current view`, `All rows`; the checkbox
//! `Write query sidecar`; the text field `Save to`; the buttons `Browse…`, `Export`,
//! `Close`, `Cancel export`, `Open folder` and `Export again`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use egui::{ProgressBar, RichText, Ui};
use jiff::civil::Date;

use crate::api::client::format_bytes;
use crate::api::query::{QueryBody, Selection};
use crate::app::command::Command;
use crate::app::format::{format_duration_ms, thousands};
use crate::app::grid_ui::GridState;
use crate::app::path_input::resolve_typed_path;
use crate::app::state::{NoticeKind, RunOutcome, RunState};
use crate::app::window::WindowState;
use crate::data::ResultTable;
use crate::data::export::{
    EXCEL_MAX_ROWS, ExportError, ExportFormat, ExportMeta, ExportOptions, ExportOutcome, redact_url,
};
use crate::worker::{
    Event, ExportPhase, ExportProgress, ExportRequest, ExportSource, Job, JobTag, Purpose, TabId,
};

/// The formats offered, with their labels, in display order.
pub const FORMATS: [(ExportFormat, &str); 4] = [
    (ExportFormat::Csv { bom: false }, "CSV"),
    (ExportFormat::Csv { bom: true }, "CSV for Excel (BOM)"),
    (ExportFormat::Json, "JSON"),
    (ExportFormat::Xlsx, "XLSX"),
];

/// Longest file-name stem suggested (before the date), in characters.
const MAX_STEM_CHARS: usize = 80;

/// Which rows an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportScope {
    /// The grid's view: its rows in its order, its visible columns.
    CurrentView,
    /// Every row matching the query, every column.
    AllRows,
}

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

/// The dialog's state: the form (its own draft, edited by [`export_dialog_ui`]) and the
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
    pub fn new(scope: ExportScope, body: &QueryBody, directory: Option<PathBuf>, today: Date) -> Self {
        let format = ExportFormat::Csv { bom: false };
        let file_name = suggested_file_name(body, format, today);
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

/// What the export dialog asks for (wrapped in [`Command::Export`]).
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

    fn truncated(&self) -> bool {
        self.total_rows > self.table_rows
    }
}

// ---------------------------------------------------------------------------------------------
// Pure parts
// ---------------------------------------------------------------------------------------------

/// A file name that says what the file holds, with the date and the format's extension:
/// `conversations-2026-11-26.csv`, `conversations-count-by-type-per-day-2026-11-26.xlsx`.
pub fn suggested_file_name(body: &QueryBody, format: ExportFormat, today: Date) -> String {
    let mut parts: Vec<String> = vec!["conversations".to_string()];
    for selection in &body.select {
        if let Selection::Aggregation { aggregation, .. } = selection {
            let name = slug(aggregation.as_str());
            if !parts.contains(&name) {
                parts.push(name);
            }
        }
    }
    let groups: Vec<String> = body
        .group_by
        .iter()
        .map(|group| {
            let mut name = group.field.as_str().to_string();
            for key in group.path.iter().flatten() {
                name.push('-');
                name.push_str(key);
            }
            slug(&name)
        })
        .filter(|name| !name.is_empty())
        .collect();
    if !groups.is_empty() {
        parts.push(format!("by-{}", groups.join("-")));
    }
    if let Some(unit) = body.select.iter().find_map(|selection| match selection {
        Selection::Time { time_unit, .. } => Some(*time_unit),
        _ => None,
    }) {
        parts.push(format!("per-{}", unit.as_str()));
    }
    let mut stem = parts.join("-");
    if stem.chars().count() > MAX_STEM_CHARS {
        stem = stem.chars().take(MAX_STEM_CHARS).collect::<String>().trim_end_matches('-').to_string();
    }
    format!("{stem}-{}.{}", today.strftime("%Y-%m-%d"), format.extension())
}

/// Letters, digits and `_` kept, camelCase split, everything else one `-`, lower case:
/// `countDistinct` → `count-distinct`, `properties.team` → `properties-team`.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut previous_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if c.is_ascii_uppercase() && previous_lower {
                out.push('-');
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            previous_lower = false;
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The path with its extension switched to `format`'s when it ends in one of the export
/// extensions (`.csv`, `.json`, `.xlsx`); any other path is left as typed.
pub fn retarget_extension(path_text: &str, format: ExportFormat) -> String {
    let path = Path::new(path_text);
    match ExportFormat::from_path(path) {
        Some(current) if current.extension() != format.extension() => {
            path.with_extension(format.extension()).display().to_string()
        }
        _ => path_text.to_string(),
    }
}

/// The file a typed path names: `~/` at home, relative paths inside `directory`, the format's
/// extension added when the name has none. `None` when nothing is typed.
pub fn resolve_path(path_text: &str, directory: Option<&Path>, format: ExportFormat) -> Option<PathBuf> {
    let mut path = resolve_typed_path(path_text, directory)?;
    if path.extension().is_none() {
        path.set_extension(format.extension());
    }
    Some(path)
}

/// What to hand the worker for `scope`, given the table, the grid's view of it (`None` when
/// the grid has not drawn this table) and its visible columns, and whether the table holds
/// fewer rows than match. Errors say why the export cannot start.
pub fn plan_export(
    scope: ExportScope,
    table: &Arc<ResultTable>,
    view: Option<Arc<Vec<u32>>>,
    visible_columns: Vec<usize>,
    truncated: bool,
    body: &QueryBody,
) -> Result<ExportSource, String> {
    match scope {
        ExportScope::AllRows if truncated => Ok(ExportSource::AllRows { body: body.clone() }),
        ExportScope::AllRows => Ok(ExportSource::View {
            table: Arc::clone(table),
            rows: Arc::new(table.all_rows()),
            columns: (0..table.column_count()).collect(),
        }),
        ExportScope::CurrentView => {
            let Some(rows) = view else {
                return Err(
                    "The grid has not shown this result yet; open the Table tab and try again.".to_string()
                );
            };
            if visible_columns.is_empty() {
                return Err(
                    "Every column is hidden in the grid: show some in the Columns menu, or export all rows."
                        .to_string(),
                );
            }
            Ok(ExportSource::View { table: Arc::clone(table), rows, columns: visible_columns })
        }
    }
}

/// What the sidecar and the XLSX "Query" sheet record: the body sent, the server (without
/// credentials), when it ran, the server's request id and the rows matching. Never the key.
pub fn export_meta(outcome: &RunOutcome) -> ExportMeta {
    ExportMeta {
        body: outcome.body.clone(),
        server_url: redact_url(&outcome.server_url),
        run_at: outcome.run_at,
        request_id: outcome.server_request_id.clone(),
        total: Some(outcome.meta.total.max(outcome.row_count() as u64)),
    }
}

/// The outcome in words: rows, of how many, the file and its size, the sheets of a big
/// workbook, cut cells, the sidecar.
pub fn outcome_summary(outcome: &ExportOutcome, total_rows: u64, duration_ms: u64) -> String {
    let rows = outcome.rows_written;
    let of_total = if rows < total_rows { format!(" of {}", thousands(total_rows)) } else { String::new() };
    let noun = if rows == 1 && of_total.is_empty() { "row" } else { "rows" };
    let mut text = format!(
        "Exported {}{of_total} {noun} in {} to {} ({}).",
        thousands(rows),
        format_duration_ms(duration_ms),
        outcome.path.display(),
        format_bytes(outcome.bytes)
    );
    if rows > total_rows {
        text.push_str(&format!(" The run had counted {}; the data changed since.", thousands(total_rows)));
    }
    if outcome.sheets > 1 {
        text.push_str(&format!(
            " An Excel sheet holds {} rows, so the rows continue over {} sheets (\"Result\" to \"Result ({})\").",
            thousands(u64::from(EXCEL_MAX_ROWS)),
            outcome.sheets,
            outcome.sheets
        ));
    }
    if outcome.truncated_cells > 0 {
        text.push_str(&format!(
            " {} cells held more than Excel's 32,767 characters and were cut.",
            thousands(outcome.truncated_cells)
        ));
    }
    if let Some(sidecar) = &outcome.sidecar
        && let Some(name) = sidecar.file_name()
    {
        text.push_str(&format!(" The query is described in {}.", name.to_string_lossy()));
    }
    text
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

// ---------------------------------------------------------------------------------------------
// Commands and events
// ---------------------------------------------------------------------------------------------

impl WindowState {
    /// Applies an [`ExportCommand`] (called from [`WindowState::handle`]).
    pub fn handle_export(&mut self, command: ExportCommand) {
        match command {
            ExportCommand::Open(scope) => self.open_export_dialog(scope),
            ExportCommand::Browse => {
                let Some(dialog) = self.export_dialog.as_mut() else { return };
                if dialog.browsing || dialog.running().is_some() {
                    return;
                }
                dialog.browsing = true;
                let directory = dialog
                    .target_path()
                    .and_then(|path| path.parent().map(Path::to_path_buf))
                    .or_else(|| dialog.directory.clone());
                let file_name = dialog.file_name();
                let tag = JobTag::new(dialog.tab, Purpose::Export);
                self.worker.send(Job::PickSavePath { tag, file_name, directory });
            }
            ExportCommand::Start => self.start_export(),
            ExportCommand::Cancel => {
                let Some(dialog) = self.export_dialog.as_mut() else { return };
                if let ExportStatus::Running(running) = &mut dialog.status
                    && !running.cancelling
                {
                    running.cancelling = true;
                    self.worker.send(Job::CancelExport { job_id: running.job_id });
                }
            }
            ExportCommand::Again => {
                if let Some(dialog) = self.export_dialog.as_mut()
                    && dialog.running().is_none()
                {
                    dialog.status = ExportStatus::Editing;
                }
            }
            ExportCommand::Close => {
                if self.export_dialog.as_ref().is_some_and(|dialog| dialog.running().is_none()) {
                    self.export_dialog = None;
                }
            }
            ExportCommand::OpenFolder(path) => {
                let folder = match path.parent() {
                    Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                self.worker.send(Job::OpenFolder { folder });
            }
        }
    }

    fn open_export_dialog(&mut self, scope: ExportScope) {
        if let Some(dialog) = self.export_dialog.as_mut() {
            // Already open: keep what was typed; an export in progress keeps going.
            if dialog.running().is_none() {
                dialog.scope = scope;
                if matches!(dialog.status, ExportStatus::Succeeded { .. }) {
                    dialog.status = ExportStatus::Editing;
                }
            }
            return;
        }
        let tab = self.active();
        let Some(outcome) = tab.run.outcome() else {
            let reason = export_blocked_reason(&tab.run, None).unwrap_or_default();
            self.notify(NoticeKind::Info, reason);
            return;
        };
        let directory = self.last_export_dir.clone().or_else(|| self.save_dir.clone());
        let today = jiff::Zoned::now().date();
        let mut dialog = ExportDialog::new(scope, &outcome.body, directory, today);
        dialog.tab = tab.id;
        self.export_dialog = Some(dialog);
    }

    fn start_export(&mut self) {
        let Some(dialog) = self.export_dialog.as_ref() else { return };
        if dialog.running().is_some() {
            return;
        }
        let (format, scope, sidecar, tab_id) = (dialog.format, dialog.scope, dialog.sidecar, dialog.tab);
        let Some(path) = dialog.target_path() else {
            self.fail_export("Type the file to export to first.".to_string());
            return;
        };
        let Some(tab) = self.tabs.get(tab_id) else {
            self.fail_export("The tab of this result was closed.".to_string());
            return;
        };
        let Some(outcome) = tab.run.outcome() else {
            self.fail_export("There is no result to export.".to_string());
            return;
        };
        let truncated = outcome.is_truncated();
        if scope == ExportScope::CurrentView && tab.grid.is_updating() {
            self.fail_export(
                "The grid is still sorting or searching; export when it shows the rows.".to_string(),
            );
            return;
        }
        if scope == ExportScope::AllRows && truncated {
            // All rows come from the server the result came from, or not at all.
            let current = self.connection_info().map(|info| redact_url(&info.base_url));
            if current.as_deref() != Some(redact_url(&outcome.server_url).as_str()) {
                self.fail_export(format!(
                    "The connection changed since this result was fetched; run the query again to export \
                     all its rows ({}).",
                    redact_url(&outcome.server_url)
                ));
                return;
            }
        }
        let table = &outcome.table;
        let view = tab.grid.view_of(table);
        let visible = tab.grid.visible_columns(table);
        let source = match plan_export(scope, table, view, visible, truncated, &outcome.body) {
            Ok(source) => source,
            Err(message) => {
                self.fail_export(message);
                return;
            }
        };
        let total_rows = outcome.meta.total.max(outcome.row_count() as u64);
        let rows_to_write = match &source {
            ExportSource::View { rows, .. } => Some(rows.len() as u64),
            ExportSource::AllRows { .. } => Some(total_rows),
        };
        let meta = export_meta(outcome);
        let options =
            ExportOptions { sidecar: sidecar && format.takes_sidecar(), ..ExportOptions::default() };
        let job_id = self.next_id();
        let request = ExportRequest { source, format, path: path.clone(), meta, options };
        if let Some(dialog) = self.export_dialog.as_mut() {
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
        self.worker.send(Job::Export { tag, job_id, request: Box::new(request) });
    }

    /// Shows why the export did not start (or failed), in the dialog and the status bar.
    fn fail_export(&mut self, message: String) {
        if let Some(dialog) = self.export_dialog.as_mut() {
            dialog.status = ExportStatus::Failed { message: message.clone() };
        }
        self.notify(NoticeKind::Warning, format!("Export failed: {message}"));
    }

    /// The file dialog answered for the export dialog.
    pub fn on_export_path_picked(&mut self, picked: Option<PathBuf>) {
        let Some(dialog) = self.export_dialog.as_mut() else { return };
        dialog.browsing = false;
        match picked {
            Some(path) => {
                // A name ending in another format's extension means that format.
                if let Some(format) = ExportFormat::from_path(&path)
                    && format.extension() != dialog.format.extension()
                {
                    dialog.format = format;
                }
                dialog.path_text = path.display().to_string();
            }
            None => self.notify(
                NoticeKind::Info,
                "No file was chosen (or no file dialog is available here): type the path instead.",
            ),
        }
    }

    /// Export progress and outcomes from the worker.
    pub fn on_export_event(&mut self, event: Event) {
        match event {
            Event::ExportProgress { job_id, progress, .. } => {
                if let Some(ExportDialog { status: ExportStatus::Running(running), .. }) =
                    self.export_dialog.as_mut()
                    && running.job_id == job_id
                {
                    running.progress = progress;
                }
            }
            Event::ExportFinished { job_id, duration_ms, result, .. } => {
                self.on_export_finished(job_id, duration_ms, result);
            }
            Event::FolderOpened { result: Err(message), .. } => self.notify(NoticeKind::Warning, message),
            _ => {}
        }
    }

    fn on_export_finished(
        &mut self,
        job_id: u64,
        duration_ms: u64,
        result: Result<ExportOutcome, ExportError>,
    ) {
        let Some(running) = self.export_dialog.as_ref().and_then(ExportDialog::running) else { return };
        if running.job_id != job_id {
            return;
        }
        let (total_rows, path) = (running.total_rows, running.path.clone());
        match result {
            Ok(outcome) => {
                let summary = outcome_summary(&outcome, total_rows, duration_ms);
                let folder =
                    outcome.path.parent().filter(|dir| !dir.as_os_str().is_empty()).map(Path::to_path_buf);
                if let Some(folder) = &folder
                    && self.last_export_dir.as_ref() != Some(folder)
                {
                    // The next export starts in the same folder, also after a restart.
                    self.last_export_dir = Some(folder.clone());
                    self.mark_settings_dirty();
                }
                if let Some(dialog) = self.export_dialog.as_mut() {
                    if folder.is_some() {
                        dialog.directory = folder;
                    }
                    dialog.status = ExportStatus::Succeeded { outcome, summary: summary.clone() };
                }
                self.notify(NoticeKind::Info, summary);
            }
            Err(ExportError::Cancelled) => {
                if let Some(dialog) = self.export_dialog.as_mut() {
                    dialog.status = ExportStatus::Editing;
                }
                let message = format!("Export cancelled; nothing was written ({}).", path.display());
                self.notify(NoticeKind::Info, message);
            }
            // A short download's message already says that nothing was written.
            Err(error @ ExportError::Incomplete(_)) => {
                self.fail_export(capitalise(&format!("{error}; the table is unchanged.")));
            }
            Err(error) => {
                let message =
                    format!("{error}. Nothing was written under that name; the table is unchanged.");
                self.fail_export(capitalise(&message));
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

// ---------------------------------------------------------------------------------------------
// UI
// ---------------------------------------------------------------------------------------------

/// The `Export…` button (on the Table tab), disabled with the reason while there is nothing
/// to export.
pub fn export_button_ui(
    ui: &mut Ui,
    run: &RunState,
    dialog: Option<&ExportDialog>,
    commands: &mut Vec<Command>,
) {
    let blocked = export_blocked_reason(run, dialog);
    let button = ui
        .add_enabled(blocked.is_none(), egui::Button::new("Export…"))
        .on_hover_text("Write the result to a CSV, JSON or Excel file")
        .on_disabled_hover_text(blocked.as_deref().unwrap_or_default());
    if button.clicked() {
        commands.push(Command::Export(ExportCommand::Open(ExportScope::CurrentView)));
    }
}

/// Draws the dialog when it is open. `dialog` is the window's draft of it.
pub fn export_dialog_ui(
    ctx: &egui::Context,
    dialog: &mut Option<ExportDialog>,
    context: &ExportContext,
    commands: &mut Vec<Command>,
) {
    let Some(state) = dialog.as_mut() else { return };
    let running = state.running().is_some();
    let mut open = true;
    let mut window = egui::Window::new("Export the result")
        .id(egui::Id::unique("export_dialog"))
        .collapsible(false)
        .resizable(false)
        .default_width(560.0)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO);
    // While writing, the only way out is Cancel export (which cleans up).
    if !running {
        window = window.open(&mut open);
    }
    window.show(ctx, |ui| match &state.status {
        ExportStatus::Running(running) => progress_ui(ui, running, commands),
        ExportStatus::Succeeded { outcome, summary } => success_ui(ui, outcome, summary, commands),
        ExportStatus::Editing | ExportStatus::Failed { .. } => form_ui(ui, state, context, commands),
    });
    if !open {
        commands.push(Command::Export(ExportCommand::Close));
    }
}

fn form_ui(ui: &mut Ui, state: &mut ExportDialog, context: &ExportContext, commands: &mut Vec<Command>) {
    egui::Grid::new("export_form").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
        ui.label("Format");
        ui.horizontal_wrapped(|ui| {
            for (format, label) in FORMATS {
                if ui.radio(state.format == format, label).clicked() && state.format != format {
                    state.set_format(format);
                }
            }
        });
        ui.end_row();

        ui.label("Rows");
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.radio_value(&mut state.scope, ExportScope::CurrentView, "Current view");
                ui.label(RichText::new(view_description(context)).weak());
            });
            ui.horizontal(|ui| {
                ui.radio_value(&mut state.scope, ExportScope::AllRows, "All rows");
                ui.label(RichText::new(all_rows_description(context)).weak());
            });
        });
        ui.end_row();

        ui.label("");
        let takes_sidecar = state.format.takes_sidecar();
        let mut sidecar = state.sidecar && takes_sidecar;
        let checkbox = ui
            .add_enabled(takes_sidecar, egui::Checkbox::new(&mut sidecar, "Write query sidecar"))
            .on_hover_text(
                "Also write <file>.query.json: the request, the server, when it ran, its request id",
            )
            .on_disabled_hover_text("An Excel file records the query in its \"Query\" sheet");
        if checkbox.changed() {
            state.sidecar = sidecar;
        }
        ui.end_row();

        let label = ui.label("Save to");
        ui.horizontal(|ui| {
            let edit = ui
                .add(egui::TextEdit::singleline(&mut state.path_text).desired_width(380.0))
                .labelled_by(label.id);
            if edit.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter)) {
                commands.push(Command::Export(ExportCommand::Start));
            }
            let browse = ui
                .add_enabled(!state.browsing, egui::Button::new("Browse…"))
                .on_hover_text("Choose the file with the system's file dialog");
            if browse.clicked() {
                commands.push(Command::Export(ExportCommand::Browse));
            }
        });
        ui.end_row();
    });
    if state.browsing {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(RichText::new("Waiting for the file dialog…").weak());
        });
    }
    if let Some(path) = state.target_path()
        && let Some(named) = ExportFormat::from_path(&path)
        && named.extension() != state.format.extension()
    {
        ui.label(
            RichText::new(format!(
                "The file name ends in .{} but the format is {}.",
                named.extension(),
                state.format.extension().to_uppercase()
            ))
            .color(ui.visuals().warn_fg_color),
        );
    }
    if let ExportStatus::Failed { message } = &state.status {
        ui.label(RichText::new(format!("⚠ {message}")).color(ui.visuals().error_fg_color));
    }
    ui.separator();
    let blocked = start_blocked_reason(state, context);
    ui.horizontal(|ui| {
        let export = ui
            .add_enabled(blocked.is_none(), egui::Button::new(RichText::new("Export").strong()))
            .on_disabled_hover_text(blocked.as_deref().unwrap_or_default());
        if export.clicked() {
            commands.push(Command::Export(ExportCommand::Start));
        }
        if ui.button("Close").clicked() {
            commands.push(Command::Export(ExportCommand::Close));
        }
    });
    if context.grid_updating && state.scope == ExportScope::CurrentView {
        // The grid's thread repaints when done; this keeps the button's state current anyway.
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(200));
    }
}

/// Why Export is disabled, or `None`.
fn start_blocked_reason(state: &ExportDialog, context: &ExportContext) -> Option<String> {
    if !context.has_result {
        return Some("There is no result to export.".to_string());
    }
    if state.browsing {
        return Some("Waiting for the file dialog.".to_string());
    }
    if state.target_path().is_none() {
        return Some("Type the file to export to, or choose it with Browse….".to_string());
    }
    if state.scope == ExportScope::CurrentView && context.grid_updating {
        return Some("The grid is still sorting or searching.".to_string());
    }
    None
}

fn view_description(context: &ExportContext) -> String {
    format!(
        "{} rows, {} of {} columns, as sorted and searched in the grid",
        thousands(context.view_rows),
        context.visible_columns,
        context.column_count
    )
}

fn all_rows_description(context: &ExportContext) -> String {
    if context.truncated() {
        format!(
            "{} rows, every column, downloaded from the server (the table holds {})",
            thousands(context.total_rows),
            thousands(context.table_rows)
        )
    } else {
        format!("{} rows, every column, in the query's order", thousands(context.table_rows))
    }
}

fn progress_ui(ui: &mut Ui, running: &RunningExport, commands: &mut Vec<Command>) {
    let ExportProgress { phase, row_count, byte_count } = running.progress;
    let elapsed_ms = u64::try_from(running.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let doing = match phase {
        ExportPhase::Writing => "Writing",
        ExportPhase::Downloading => "Downloading",
        ExportPhase::Converting => "Converting",
    };
    let of = running.rows_to_write.map(|rows| format!(" of {}", thousands(rows))).unwrap_or_default();
    let bytes = if byte_count > 0 { format!(" · {}", format_bytes(byte_count)) } else { String::new() };
    ui.label(format!("{} to {}", running.format.label(), running.path.display()));
    ui.horizontal(|ui| {
        ui.spinner();
        let state = if running.cancelling { "Cancelling…".to_string() } else { format!("{doing}:") };
        ui.label(format!(
            "{state} {}{of} rows{bytes} · {}",
            thousands(row_count),
            format_duration_ms(elapsed_ms)
        ));
    });
    let fraction = match running.rows_to_write {
        Some(rows) if rows > 0 => (row_count as f64 / rows as f64).clamp(0.0, 1.0) as f32,
        _ => 0.0,
    };
    ui.add(ProgressBar::new(fraction).show_percentage().desired_height(10.0));
    ui.label(RichText::new("The window stays usable meanwhile; the table is not affected.").weak());
    ui.separator();
    let cancel = ui
        .add_enabled(!running.cancelling, egui::Button::new("Cancel export"))
        .on_hover_text("Stop writing; nothing is left under the file name");
    if cancel.clicked() {
        commands.push(Command::Export(ExportCommand::Cancel));
    }
    // Elapsed time moves even between progress events.
    ui.ctx().request_repaint_after(std::time::Duration::from_millis(200));
}

fn success_ui(ui: &mut Ui, outcome: &ExportOutcome, summary: &str, commands: &mut Vec<Command>) {
    ui.label(RichText::new("✔ Export complete").strong());
    ui.label(summary);
    ui.separator();
    ui.horizontal(|ui| {
        if ui.button("Open folder").on_hover_text("Show the folder in the file manager").clicked() {
            commands.push(Command::Export(ExportCommand::OpenFolder(outcome.path.clone())));
        }
        if ui.button("Copy path").clicked() {
            commands.push(Command::CopyText { text: outcome.path.display().to_string(), what: "the path" });
        }
        if ui.button("Export again").on_hover_text("Back to the form for another export").clicked() {
            commands.push(Command::Export(ExportCommand::Again));
        }
        if ui.button("Close").clicked() {
            commands.push(Command::Export(ExportCommand::Close));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::parse_query;
    use serde_json::json;

    fn day() -> Date {
        Date::new(2026, 11, 26).unwrap()
    }

    #[test]
    fn file_names_say_what_the_query_holds() {
        let csv = ExportFormat::Csv { bom: false };
        assert_eq!(suggested_file_name(&QueryBody::default(), csv, day()), "conversations-2026-11-26.csv");
        let by_type_per_day = parse_query(
            r#"{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"}],
                "groupBy":[{"field":"type"}]}"#,
        )
        .unwrap();
        assert_eq!(
            suggested_file_name(&by_type_per_day, ExportFormat::Xlsx, day()),
            "conversations-count-by-type-per-day-2026-11-26.xlsx"
        );
        let json_path = parse_query(
            r#"{"select":[{"type":"aggregation","aggregation":"countDistinct","field":"id"},
                {"type":"aggregation","aggregation":"count"}],
                "groupBy":[{"field":"properties","path":["team name"]},{"field":"organizationId"}]}"#,
        )
        .unwrap();
        assert_eq!(
            suggested_file_name(&json_path, ExportFormat::Json, day()),
            "conversations-count-distinct-count-by-properties-team-name-organization-id-2026-11-26.json"
        );
    }

    #[test]
    fn the_extension_follows_the_format_and_is_added_when_missing() {
        assert_eq!(retarget_extension("/x/a.csv", ExportFormat::Xlsx), "/x/a.xlsx");
        assert_eq!(retarget_extension("/x/a.xlsx", ExportFormat::Csv { bom: true }), "/x/a.csv");
        // Not an export extension: left as typed.
        assert_eq!(retarget_extension("/x/a.txt", ExportFormat::Json), "/x/a.txt");
        let dir = PathBuf::from("/exports");
        assert_eq!(resolve_path("a", Some(&dir), ExportFormat::Json), Some(dir.join("a.json")));
        assert_eq!(resolve_path("sub/b.csv", Some(&dir), ExportFormat::Json), Some(dir.join("sub/b.csv")));
        assert_eq!(
            resolve_path("/abs/c.xlsx", Some(&dir), ExportFormat::Xlsx),
            Some(PathBuf::from("/abs/c.xlsx"))
        );
        assert_eq!(resolve_path("  ", Some(&dir), ExportFormat::Xlsx), None);
        assert_eq!(resolve_path("/abs/", None, ExportFormat::Xlsx), None);
    }

    fn table() -> Arc<ResultTable> {
        let rows: Vec<_> = (0..5)
            .map(|i| json!({"a": i, "b": format!("r{i}"), "c": i % 2 == 0}).as_object().unwrap().clone())
            .collect();
        Arc::new(ResultTable::from_rows(&QueryBody::default(), &rows))
    }

    #[test]
    fn the_view_becomes_the_rows_and_columns_written() {
        let table = table();
        let body = QueryBody { notes: Some("n".into()), ..QueryBody::default() };
        let view = Arc::new(vec![4, 2, 0]);
        match plan_export(ExportScope::CurrentView, &table, Some(view.clone()), vec![2, 0], false, &body)
            .unwrap()
        {
            ExportSource::View { rows, columns, .. } => {
                assert_eq!(*rows, vec![4, 2, 0]);
                assert_eq!(columns, vec![2, 0]);
            }
            other => panic!("{other:?}"),
        }
        // All rows of a complete table: the table as it is, every column.
        match plan_export(ExportScope::AllRows, &table, Some(view.clone()), vec![2], false, &body).unwrap() {
            ExportSource::View { rows, columns, .. } => {
                assert_eq!(*rows, vec![0, 1, 2, 3, 4]);
                assert!(table.column_count() > 2, "more columns than the view shows");
                assert_eq!(columns, (0..table.column_count()).collect::<Vec<_>>());
            }
            other => panic!("{other:?}"),
        }
        // All rows of a truncated table: streamed, with the run's body.
        match plan_export(ExportScope::AllRows, &table, Some(view), vec![2], true, &body).unwrap() {
            ExportSource::AllRows { body: sent } => assert_eq!(sent, body),
            other => panic!("{other:?}"),
        }
        let no_view = plan_export(ExportScope::CurrentView, &table, None, vec![0], false, &body).unwrap_err();
        assert!(no_view.contains("Table tab"), "{no_view}");
        let hidden =
            plan_export(ExportScope::CurrentView, &table, Some(Arc::new(vec![0])), Vec::new(), false, &body)
                .unwrap_err();
        assert!(hidden.contains("Every column is hidden"), "{hidden}");
    }

    #[test]
    fn the_summary_tells_rows_sheets_and_the_sidecar() {
        let outcome = ExportOutcome {
            path: PathBuf::from("/x/big.xlsx"),
            rows_written: 2_500_000,
            sheets: 3,
            bytes: 3 * 1024 * 1024,
            sidecar: None,
            truncated_cells: 2,
        };
        let text = outcome_summary(&outcome, 2_500_000, 61_000);
        assert_eq!(
            text,
            "Exported 2,500,000 rows in 1 min 01 s to /x/big.xlsx (3 MiB). An Excel sheet holds 1,048,576 rows, \
             so the rows continue over 3 sheets (\"Result\" to \"Result (3)\"). 2 cells held more than Excel's \
             32,767 characters and were cut."
        );
        let csv = ExportOutcome {
            path: PathBuf::from("/x/v.csv"),
            rows_written: 37,
            sheets: 1,
            bytes: 100,
            sidecar: Some(PathBuf::from("/x/v.csv.query.json")),
            truncated_cells: 0,
        };
        assert_eq!(
            outcome_summary(&csv, 3_000, 5),
            "Exported 37 of 3,000 rows in 5 ms to /x/v.csv (100 bytes). The query is described in v.csv.query.json."
        );
    }

    #[test]
    fn export_is_blocked_without_a_result_and_while_one_runs() {
        let reason = export_blocked_reason(&RunState::NotRequested, None).unwrap();
        assert!(reason.starts_with("Run a query first"), "{reason}");
        let mut dialog = ExportDialog::new(ExportScope::CurrentView, &QueryBody::default(), None, day());
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

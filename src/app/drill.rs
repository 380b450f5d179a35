//! Drill-down in the window: from what was clicked in the tab shown (a grid row, a chart
//! point, a series) to a new tab on the same view holding the query for the rows behind it
//! ([`crate::data::drill`]), run at once and labelled with where it came from.

use crate::app::commands::Command;
use crate::app::draft::QueryDraft;
use crate::app::state::NoticeKind;
use crate::app::tab::QueryTab;
use crate::app::window::WindowState;
use crate::data::drill::{
    DrillError, DrillRequest, DrillTarget, build_drill_down, category_chart_request, row_request,
    time_chart_request,
};
use crate::data::series::Chart;

/// Why a tab's result cannot be drilled into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TabDrillError {
    /// Nothing to drill into yet.
    #[error("the tab has no result yet")]
    NoResult,
    /// The chart shown has nothing to click.
    #[error("the result has no chart")]
    NoChart,
    /// The builder's reason.
    #[error(transparent)]
    Drill(#[from] DrillError),
}

/// The drill-down request for `target` in `tab`'s result. The query drilled from is the body
/// that result answered, relative times resolved as they were sent: the rows behind a number
/// are the rows it counted, whenever the drill-down tab runs again ("last 30 days" kept as
/// words would drift, and a bucket that has left the window would come back empty).
pub fn tab_drill_request(tab: &mut QueryTab, target: DrillTarget) -> Result<DrillRequest, TabDrillError> {
    let outcome = tab.run.outcome().ok_or(TabDrillError::NoResult)?;
    let query = &outcome.body;
    let (view, table) = (outcome.view, outcome.table.as_ref());
    Ok(match target {
        // With a comparison on, the grid shows the joined table (previous, change %), its
        // rows in its own order: the row index is into that table.
        DrillTarget::Row(row) => {
            let shown =
                tab.compare.compared_for(outcome.request_id).map_or(table, |compared| &compared.table);
            row_request(view, query, shown, row)?
        }
        DrillTarget::Chart(point) => {
            // The chart as drawn: the same cache, result and settings (a cache hit).
            let options = tab.chart_settings.series_options();
            match tab.series_cache.get(Some(table), &outcome.body, &options, jiff::Timestamp::now()) {
                Chart::Time(data) => time_chart_request(view, query, table, data, point)?,
                Chart::Category(data) => category_chart_request(view, query, table, data, point)?,
                Chart::Unavailable(_) => return Err(TabDrillError::NoChart),
            }
        }
    })
}

impl WindowState {
    /// Opens the rows behind `target` of the tab shown in a new tab and runs them; says why
    /// not when the number cannot be drilled into.
    pub fn drill_down(&mut self, ctx: &egui::Context, target: DrillTarget) {
        let request = match tab_drill_request(self.tabs.active_mut(), target) {
            Ok(request) => request,
            Err(error) => {
                self.notify(NoticeKind::Warning, format!("Cannot show the rows behind this: {error}."));
                return;
            }
        };
        let drill = build_drill_down(&request);
        let id = self.tabs.new_id();
        let mut tab = QueryTab::new(id, QueryDraft::from_body_in(request.view, &drill.body));
        tab.drilled_from = Some(drill.provenance);
        self.tabs.open(tab);
        self.mark_settings_dirty();
        self.handle(ctx, Command::Run);
    }
}

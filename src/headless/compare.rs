//! `run --compare previous|week|month|year`: the query over its range and over an earlier
//! period, joined into one file with `previous` and `change %` columns
//! ([`crate::data::compare`]). The sidecar and the XLSX "Query" sheet record both request
//! bodies and both `requestId`s, and the summary line on stderr ends with the change as a
//! weekly report quotes it ("+12.2 % on last week").
//!
//! A comparison joins the first page of each period's answer: with `--all` it is refused
//! (an aggregated answer rarely fills a page), and an answer that does not fit in one page
//! is named in a warning rather than compared silently in part.

use std::io::Write;

use jiff::Timestamp;

use crate::api::query::QueryBody;
use crate::api::validate::{Problem, validate_for_send};
use crate::api::view::View;
use crate::data::compare::{CompareError, CompareOffset, ComparePlan, join_comparison};
use crate::data::display::group_thousands;
use crate::data::export::ComparisonRecord;

use super::{Job, RunError, RunOptions, RunSummary};

/// The comparison's plan for `query` (as stored, relative times unresolved), both bodies
/// checked against the view as the window would.
pub(super) fn plan(
    options: &RunOptions,
    view: View,
    query: &QueryBody,
    now: Timestamp,
    offset: CompareOffset,
    origin: &str,
) -> Result<ComparePlan, RunError> {
    if options.all {
        return Err(RunError::Usage(
            "--compare joins the first page of each period's answer; drop --all (an aggregated answer rarely \
             fills a page)"
                .to_string(),
        ));
    }
    let plan = plan_comparison_for_run(view, query, now, offset, origin)?;
    for (which, body) in [("", &plan.current_body), (" (previous period)", &plan.previous_body)] {
        validate_for_send(view, body)
            .map_err(|problems| RunError::InvalidQuery { origin: format!("{origin}{which}"), problems })?;
    }
    Ok(plan)
}

fn plan_comparison_for_run(
    view: View,
    query: &QueryBody,
    now: Timestamp,
    offset: CompareOffset,
    origin: &str,
) -> Result<ComparePlan, RunError> {
    crate::data::compare::plan_comparison(view, query, now, offset).map_err(|error| match error {
        CompareError::Relative(error) => {
            RunError::InvalidQuery { origin: origin.to_string(), problems: vec![error.to_problem()] }
        }
        other => RunError::InvalidQuery {
            origin: origin.to_string(),
            problems: vec![Problem::new("where", format!("--compare {offset}: {other}"))],
        },
    })
}

impl Job<'_> {
    /// Runs both periods, joins them and writes the joined table.
    pub(super) fn compared(
        &self,
        plan: &ComparePlan,
        stdout: &mut dyn Write,
    ) -> Result<RunSummary, RunError> {
        let (current, current_meta, current_id) = self.query_body(&plan.current_body)?;
        let (previous, previous_meta, previous_id) = self.query_body(&plan.previous_body)?;
        let joined = join_comparison(&plan.periods, plan.offset, &current, &previous);
        let mut meta = self.meta(current_id, Some(current_meta.total));
        meta.comparison = Some(ComparisonRecord::new(
            plan,
            previous_id,
            Some(previous_meta.total),
            joined.summary.as_ref(),
        ));
        // The joined rows are not the query's rows: no "of N matching rows" in the summary.
        meta.total = None;
        let mut summary = self.write_table(&joined.table, &meta, stdout)?;
        summary.comparison = Some(match &joined.summary {
            Some(totals) => format!(
                "{} ({} {}, previous {})",
                totals.report_line(),
                totals.measure,
                crate::data::compare::summary::number_text(totals.current_total),
                crate::data::compare::summary::number_text(totals.previous_total)
            ),
            None => format!("compared with the {}", plan.offset.label()),
        });
        let partial: Vec<String> = [("this period", &current_meta), ("the previous period", &previous_meta)]
            .into_iter()
            .filter(|(_, meta)| meta.is_truncated())
            .map(|(which, meta)| {
                format!(
                    "{which}'s answer holds the first {} of {} rows",
                    group_thousands(&meta.count.to_string()),
                    group_thousands(&meta.total.to_string())
                )
            })
            .collect();
        if !partial.is_empty() {
            summary.warning =
                Some(format!("{}: the comparison covers those rows only", partial.join(" and ")));
        }
        Ok(summary)
    }
}

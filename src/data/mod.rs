//! The result model: typed, compact columns built from a response, with sorting,
//! quick search and copy working on row-index views. Nothing here knows egui or
//! tokio; everything is a pure function of an immutable [`ResultTable`], so the UI
//! and the worker can share one behind an `Arc`.
//!
//! - [`table`]: [`ResultTable`], [`Column`], [`ColumnType`], [`CellRef`];
//! - [`parse`]: building a table from JSON rows, response bytes or CSV;
//! - [`sort`]: [`sort_view`] by [`SortKey`]s;
//! - [`search`]: [`search_view`] and the incremental
//!   [`SearchCursor`];
//! - [`copy`]: TSV and JSON for the clipboard;
//! - [`display`]: how cells read in the grid (grouped numbers, local times);
//! - [`drill`]: the query for the rows behind a number of a grouped result;
//! - [`view`]: [`TableView`], the rows and columns on screen of a table;
//! - [`compare`]: a query against an earlier period, joined row by row.

mod builder;
pub mod compare;
pub mod copy;
pub mod display;
pub mod drill;
pub mod export;
pub mod parse;
pub mod search;
pub mod series;
pub mod sort;
pub mod storage;
pub mod table;
pub mod time;
pub mod view;

pub use parse::{LoadProgress, Meta, TableError};
pub use search::{SearchCursor, search_view};
pub use sort::{SortKey, sort_view};
pub use table::{CellRef, Column, ColumnType, ResultTable};
pub use view::TableView;

#[cfg(test)]
mod tests;

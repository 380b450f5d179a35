//! [`TableView`]: a table as the grid shows it, without copying it.

use super::table::ResultTable;

/// A view of a [`ResultTable`]: which rows, in which order (sorted, searched), and which
/// columns (the visible ones, in table order), as the grid holds them. Everything that reads
/// "what is on screen" — the grid's rows, copy, export — takes one of these instead of three
/// loose arguments, so the three cannot be mixed up with another table's.
#[derive(Debug, Clone, Copy)]
pub struct TableView<'a> {
    /// The table the indices refer to.
    pub table: &'a ResultTable,
    /// Table row indices, in display order.
    pub rows: &'a [u32],
    /// Table column indices, in display order.
    pub columns: &'a [usize],
}

//! The egui window: the query builder and, around it, the shell (worker, state, commands, tabs).

pub mod draft;
pub mod query_form;

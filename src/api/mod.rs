//! The wire contract of the Inkeep Analytics query API: the views and their fields, the
//! query model, query files (a body and the view it names), the result column names,
//! client-side validation, the response envelope and the HTTP client. Nothing here knows
//! about egui.

pub mod client;
pub mod columns;
pub mod field;
pub mod links;
pub mod query;
pub mod query_file;
pub mod redact;
pub mod response;
pub mod timestamp;
pub mod validate;
pub mod view;

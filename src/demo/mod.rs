//! The embedded Analytics API: a deterministic demo dataset in SQLite, a compiler
//! from [`QueryBody`](crate::api::query::QueryBody) to parameterised SQL, and an
//! HTTP server on loopback that answers exactly as `API.md` says.

pub mod dataset;
#[cfg(test)]
pub(crate) mod fixture;
pub mod server;
pub mod sql;
pub mod store;

//! inkeep-explorer: a desktop explorer for the Inkeep Analytics query API.
//!
//! # Layers
//!
//! Dependencies point downwards only:
//!
//! - `app` (egui) reads state and sends commands;
//! - `worker` owns a tokio runtime and the client, turning jobs into events;
//! - [`api`] is the wire contract: query model, column names, validation, client;
//! - `data` holds results: typed columns, sort, filter, series, export;
//! - [`demo`] is an embedded implementation of the same API over SQLite.
//!
//! # Failure handling
//!
//! Bad input always gets a clear error and loses nothing: an invalid query never
//! leaves the UI, a failed run keeps the previous result, and files are written to
//! a temporary file and renamed into place only when complete.

pub mod api;
pub mod app;
pub mod atomic_file;
pub mod data;
pub mod demo;
pub mod history;
pub mod presets;
pub mod relative_time;
pub mod secrets;
pub mod settings;
pub mod worker;

//! inkeep-explorer: a desktop explorer for the Inkeep Analytics query API.
//!
//! # Layers
//!
//! Dependencies point downwards only:
//!
//! - [`app`] (egui) reads state and sends commands;
//! - [`worker`] owns a tokio runtime and the client, turning jobs into events;
//! - [`api`] is the wire contract: query model, column names, validation, client;
//! - [`data`] holds results: typed columns, sort, filter, series, export;
//! - [`demo`] is an embedded implementation of the same API over SQLite.
//!
//! # Data flow
//!
//! 1. The query form edits a `QueryDraft` (undoable); every change derives the body, its
//!    problems and its JSON once, never per frame.
//! 2. Run validates the draft into a [`api::query::QueryBody`] (an invalid draft never
//!    leaves the window), resolves relative times ("last 30 days") to instants, and sends
//!    `Job::Run` to the worker.
//! 3. The worker sends the request, builds a `ResultTable` off the UI thread and answers
//!    with `Event::Finished`, then asks for a repaint. An answer for a superseded run is
//!    dropped; while a run is pending the previous result stays on screen, dimmed.
//! 4. The grid and the chart read the table through views (row-index vectors); nothing
//!    copies it. Exports, "Load all rows", presets, history and settings are written on the
//!    worker, with progress and cancel where they take time.
//! 5. Without a window, [`headless`] runs the same query and export code for
//!    `inkeep-explorer run`.
//!
//! # Failure handling
//!
//! Bad input always gets a clear error and loses nothing: an invalid query never
//! leaves the UI, a failed run keeps the previous result, and files are written to
//! a temporary file and renamed into place only when complete.

pub mod api;
pub mod app;
pub mod atomic_file;
pub mod build_info;
pub mod data;
pub mod demo;
pub mod file_version;
pub mod headless;
pub mod history;
pub mod presets;
pub mod relative_time;
pub mod secrets;
pub mod settings;
pub mod worker;

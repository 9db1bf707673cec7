//! Node binding of the webknossos Rust core. It only converts JavaScript values to core types and
//! runs the work on native threads; every function returns a Promise (an `AsyncTask`).

mod array;
mod control;
mod error;
mod formats;
mod lock;
mod sampling;
mod store;
mod task;

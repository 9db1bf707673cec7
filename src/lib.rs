//! Node binding of the webknossos Rust core. It only converts JavaScript values to core types and
//! runs the work on native threads; every function returns a Promise (an `AsyncTask`).

mod control;
mod error;
mod sampling;
mod task;
mod wkw;

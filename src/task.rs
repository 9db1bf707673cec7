//! One generic `AsyncTask`: a closure run on a libuv worker thread, whose result resolves the
//! Promise and whose error rejects it with a coded error. Keeps each binding function down to
//! converting its arguments.

use crate::error::{guarded, to_js_error, Failure};
use napi::bindgen_prelude::{AsyncTask, JsValue, ToNapiValue, TypeName};
use napi::{Env, Task};

pub struct Work<T> {
    work: Option<Box<dyn FnOnce() -> voxel::Result<T> + Send>>,
    failure: Option<Failure>,
}

pub fn spawn<T>(work: impl FnOnce() -> voxel::Result<T> + Send + 'static) -> AsyncTask<Work<T>>
where
    Work<T>: Task,
{
    AsyncTask::new(Work { work: Some(Box::new(work)), failure: None })
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Work<T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<T> {
        let work = self.work.take().expect("a task runs once");
        guarded(work).map_err(|failure| {
            self.failure = Some(failure);
            napi::Error::from_status(napi::Status::GenericFailure)
        })
    }

    fn resolve(&mut self, _env: Env, output: T) -> napi::Result<T> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, error: napi::Error) -> napi::Result<T> {
        let Some(failure) = self.failure.take() else { return Err(error) };
        Err(napi::Error::from(to_js_error(&env, failure)?.to_unknown()))
    }
}

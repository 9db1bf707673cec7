//! One generic `AsyncTask`: a closure run on a libuv worker thread, whose result resolves the
//! Promise. Keeps each binding function down to converting its arguments.

use crate::error::guarded;
use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Task};

pub struct Work<T> {
    work: Option<Box<dyn FnOnce() -> ::wkw::Result<T> + Send>>,
}

pub fn spawn<T>(work: impl FnOnce() -> ::wkw::Result<T> + Send + 'static) -> AsyncTask<Work<T>>
where
    Work<T>: Task,
{
    AsyncTask::new(Work { work: Some(Box::new(work)) })
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Work<T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<T> {
        let work = self.work.take().expect("a task runs once");
        guarded(work)
    }

    fn resolve(&mut self, _env: Env, output: T) -> napi::Result<T> {
        Ok(output)
    }
}

//! Numbered shared/exclusive locks inside one process, for stores that have no lock of their
//! own to share with other processes (memory; remote object stores).

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

#[derive(Default)]
pub struct LockTable {
    held: Mutex<HashMap<u64, Holders>>,
    released: Condvar,
}

#[derive(Default, Clone, Copy)]
struct Holders {
    shared: usize,
    exclusive: bool,
}

impl LockTable {
    /// Takes all of `ranges` at once (or waits until it can), so that lockers never deadlock.
    pub fn lock(self: &Arc<Self>, ranges: &[u64], exclusive: bool) -> TableGuard {
        let mut held = self.held.lock().unwrap();
        loop {
            let free = ranges.iter().all(|r| {
                let h = held.get(r).copied().unwrap_or_default();
                !h.exclusive && (!exclusive || h.shared == 0)
            });
            if free {
                break;
            }
            held = self.released.wait(held).unwrap();
        }
        for r in ranges {
            let h = held.entry(*r).or_default();
            if exclusive {
                h.exclusive = true;
            } else {
                h.shared += 1;
            }
        }
        TableGuard { table: self.clone(), ranges: ranges.to_vec(), exclusive }
    }
}

pub struct TableGuard {
    table: Arc<LockTable>,
    ranges: Vec<u64>,
    exclusive: bool,
}

impl Drop for TableGuard {
    fn drop(&mut self) {
        let mut held = self.table.held.lock().unwrap();
        for r in &self.ranges {
            if let Some(h) = held.get_mut(r) {
                if self.exclusive {
                    h.exclusive = false;
                } else {
                    h.shared -= 1;
                }
                if !h.exclusive && h.shared == 0 {
                    held.remove(r);
                }
            }
        }
        self.table.released.notify_all();
    }
}

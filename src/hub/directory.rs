//! What a connection must know about a run before it subscribes, beyond the hub's own memory: whether
//! the run exists (live or stored) and whether this user may see it. The `runs` layer keeps that one
//! rule and implements [`RunDirectory`]; the hub only asks.

use futures::future::BoxFuture;

use crate::{auth::AuthUser, store::RunRecord};

/// A run the asking user may see.
#[derive(Debug)]
pub enum Visible {
    /// In progress: subscribe to it in the hub (it may finish before that; then read it stored).
    Live,
    /// Finished (or never live in this process): its stored row.
    Stored(Box<RunRecord>),
}

/// Finds runs and decides who may see them.
pub trait RunDirectory: Send + Sync {
    /// The run `test_id` if it exists and `user` owns it or is a member of its room; `None` for
    /// both "no such run" and "not yours", which callers answer the same way.
    fn find_visible<'a>(
        &'a self,
        user: &'a AuthUser,
        test_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Visible>, sqlx::Error>>;
}

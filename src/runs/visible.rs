//! The one rule that finds a run and decides who may see it, and the run as it is now: the hub's
//! live snapshot while it runs, the stored one after.

use futures::future::BoxFuture;

use super::Runs;
use crate::{
    auth::AuthUser,
    hub::{RunAccess, RunDirectory, Visible},
    protocol::RunSnapshot,
    store::{RunQuery, RunRecord},
};

impl Runs {
    /// The one rule: the run `test_id` if it exists (live in the hub, else stored) and `user` owns it
    /// or is a member of its room. `None` means "no such run" and "not yours" alike.
    pub async fn find_visible(
        &self,
        user: &AuthUser,
        test_id: &str,
    ) -> Result<Option<Visible>, sqlx::Error> {
        let (access, found) = match self.hub.access(test_id) {
            Some(access) => (access, Visible::Live),
            None => match self.store.run(test_id).await? {
                Some(run) => {
                    let access = RunAccess {
                        owner: run.user_id,
                        room: run.room.clone(),
                    };
                    (access, Visible::Stored(Box::new(run)))
                }
                None => return Ok(None),
            },
        };
        let allowed = self
            .store
            .may_see_run(user.id, access.owner, access.room.as_deref())
            .await?;
        Ok(allowed.then_some(found))
    }

    /// A run the user may see, as it is now: live while it runs, stored after.
    pub async fn visible_snapshot(
        &self,
        user: &AuthUser,
        test_id: &str,
    ) -> Result<Option<RunSnapshot>, sqlx::Error> {
        match self.find_visible(user, test_id).await? {
            None => Ok(None),
            Some(Visible::Stored(run)) => Ok(Some(run.snapshot)),
            Some(Visible::Live) => match self.hub.live_snapshot(test_id) {
                Some(snapshot) => Ok(Some(snapshot)),
                // It finished between the two looks.
                None => Ok(self.store.run(test_id).await?.map(|r| r.snapshot)),
            },
        }
    }

    /// A run the user may see, with what it ran; its snapshot is the live one while it runs.
    pub async fn visible_run(
        &self,
        user: &AuthUser,
        test_id: &str,
    ) -> Result<Option<RunRecord>, sqlx::Error> {
        Ok(match self.find_visible(user, test_id).await? {
            None => None,
            Some(Visible::Stored(run)) => Some(*run),
            Some(Visible::Live) => self.store.run(test_id).await?.map(|run| self.fresh(run)),
        })
    }

    /// The runs the user may see (their own and their rooms'), newest first, filtered; runs in
    /// progress with their live snapshots.
    pub async fn recent(
        &self,
        user: &AuthUser,
        query: &RunQuery,
    ) -> Result<Vec<RunRecord>, sqlx::Error> {
        let runs = self.store.recent_runs(user.id, query).await?;
        Ok(runs.into_iter().map(|run| self.fresh(run)).collect())
    }

    /// A stored row with the hub's fresher snapshot while the run is live.
    fn fresh(&self, mut run: RunRecord) -> RunRecord {
        if let Some(live) = self.hub.live_snapshot(&run.id) {
            run.snapshot = live;
        }
        run
    }
}

impl RunDirectory for Runs {
    fn find_visible<'a>(
        &'a self,
        user: &'a AuthUser,
        test_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Visible>, sqlx::Error>> {
        Box::pin(Runs::find_visible(self, user, test_id))
    }
}

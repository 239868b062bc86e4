//! The nodes serving one database, so that a run is never left `running` by a node that died: every
//! node writes a heartbeat (`nodes.seen_at`) and tags the runs it executes (`runs.node`); a run
//! whose node has not been seen for longer than the lease is claimed by another node (or by the next
//! start of the same one) and marked `interrupted`. A node that drains marks its own runs and leaves.

use std::{sync::atomic::Ordering, time::Duration};

use sqlx::Row;

use super::{Result, Store};
use crate::{clock::now_ms, protocol::RunSnapshot};

impl Store {
    /// This process's node id.
    pub fn node_id(&self) -> &str {
        &self.node
    }

    /// Records that this node is alive (until it left).
    pub async fn heartbeat(&self) -> Result<()> {
        if self.has_left() {
            return Ok(());
        }
        let now = now_ms() as i64;
        sqlx::query(
            "INSERT INTO nodes (id, started_at, seen_at) VALUES ($1, $2, $2) \
             ON CONFLICT(id) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(&*self.node)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes this node from the list (at the end of a drain), and nodes not seen for a day.
    pub async fn leave(&self) -> Result<()> {
        self.left.store(true, Ordering::Relaxed);
        let day_ago = now_ms().saturating_sub(86_400_000) as i64;
        sqlx::query("DELETE FROM nodes WHERE id = $1 OR seen_at < $2")
            .bind(&*self.node)
            .bind(day_ago)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether this node left the list (its heartbeat task then ends).
    pub fn has_left(&self) -> bool {
        self.left.load(Ordering::Relaxed)
    }

    /// Marks `interrupted` the unfinished runs of nodes not seen within `lease` (or of no known
    /// node). Each run is first claimed with a compare-and-set on its node, so when several nodes
    /// sweep at once, one of them interrupts it, once. Returns the runs this node marked, as marked.
    pub async fn interrupt_orphaned_runs(&self, lease: Duration) -> Result<Vec<RunSnapshot>> {
        let cutoff = now_ms().saturating_sub(lease.as_millis() as u64) as i64;
        let rows = sqlx::query(
            "SELECT id, COALESCE(node, '') AS node FROM runs \
             WHERE status IN ('queued', 'running') AND COALESCE(node, '') <> $1 \
             AND COALESCE(node, '') NOT IN (SELECT id FROM nodes WHERE seen_at >= $2)",
        )
        .bind(&*self.node)
        .bind(cutoff)
        .fetch_all(&self.pool)
        .await?;
        let mut marked = Vec::new();
        for row in rows {
            let (id, node): (String, String) = (row.get("id"), row.get("node"));
            let claimed = sqlx::query(
                "UPDATE runs SET node = $1 WHERE id = $2 AND COALESCE(node, '') = $3 \
                 AND status IN ('queued', 'running')",
            )
            .bind(&*self.node)
            .bind(&id)
            .bind(&node)
            .execute(&self.pool)
            .await?;
            if claimed.rows_affected() == 1 {
                marked.extend(self.interrupt_run(&id).await?);
            }
        }
        Ok(marked)
    }

    /// Marks this node's own unfinished runs `interrupted` (a drain that ran out of time). Returns
    /// them as marked.
    pub async fn interrupt_own_runs(&self) -> Result<Vec<RunSnapshot>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM runs WHERE status IN ('queued', 'running') AND node = $1",
        )
        .bind(&*self.node)
        .fetch_all(&self.pool)
        .await?;
        let mut marked = Vec::new();
        for id in &ids {
            marked.extend(self.interrupt_run(id).await?);
        }
        Ok(marked)
    }
}

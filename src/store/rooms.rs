//! Rooms and their members. A room is a team space: its members see the runs started in it and may
//! run the suites shared into it; its admins (the creator first) manage members and those suites.

use sqlx::Row;

use super::{Result, Store};
use crate::{clock::now_ms, protocol::api::RoomMember};

/// A member's role in a room.
pub const ROOM_ADMIN: &str = "admin";
pub const ROOM_MEMBER: &str = "member";

impl Store {
    /// Creates a room with `user_id` as its first member. Returns false if the name is taken.
    pub async fn create_room(&self, name: &str, user_id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let created = sqlx::query(
            "INSERT INTO rooms (name, created_by, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT(name) DO NOTHING",
        )
        .bind(name)
        .bind(user_id)
        .bind(now_ms() as i64)
        .execute(&mut *tx)
        .await?;
        if created.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO room_members (room_id, user_id, role) SELECT id, $1, 'admin' FROM rooms WHERE name = $2",
        )
        .bind(user_id)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Adds a user to a room. Returns false if the room or the user does not exist.
    pub async fn add_member(&self, room: &str, username: &str) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO room_members (room_id, user_id) \
             SELECT r.id, u.id FROM rooms r, users u WHERE r.name = $1 AND lower(u.username) = lower($2) \
             ON CONFLICT DO NOTHING",
        )
        .bind(room)
        .bind(username)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        // Already a member counts as success; a missing room or user does not.
        self.is_member_by_name(room, username).await
    }

    /// The one visibility rule for runs: the owner, or a member of the run's room.
    pub async fn may_see_run(&self, user_id: i64, owner: i64, room: Option<&str>) -> Result<bool> {
        if owner == user_id {
            return Ok(true);
        }
        match room {
            Some(room) => self.is_member(room, user_id).await,
            None => Ok(false),
        }
    }

    pub async fn is_member(&self, room: &str, user_id: i64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM room_members m JOIN rooms r ON r.id = m.room_id \
             WHERE r.name = $1 AND m.user_id = $2",
        )
        .bind(room)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// The room's runs that have not finished, on whatever node they execute, oldest first.
    pub async fn unfinished_room_runs(&self, room: &str) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT id FROM runs WHERE room = $1 AND status IN ('queued', 'running') \
             ORDER BY created_at LIMIT 100",
        )
        .bind(room)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| r.try_get("id")).collect()
    }

    async fn is_member_by_name(&self, room: &str, username: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM room_members m JOIN rooms r ON r.id = m.room_id \
             JOIN users u ON u.id = m.user_id WHERE r.name = $1 AND lower(u.username) = lower($2)",
        )
        .bind(room)
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Names of the rooms the user is a member of.
    pub async fn rooms_of(&self, user_id: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT r.name FROM rooms r JOIN room_members m ON m.room_id = r.id \
             WHERE m.user_id = $1 ORDER BY r.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.get("name")).collect())
    }

    /// The user's role in the room (`admin` or `member`), if a member.
    pub async fn room_role(&self, room: &str, user_id: i64) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT m.role FROM room_members m JOIN rooms r ON r.id = m.room_id \
             WHERE r.name = $1 AND m.user_id = $2",
        )
        .bind(room)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.get("role")))
    }

    /// The room's members, admins first.
    pub async fn room_members(&self, room: &str) -> Result<Vec<RoomMember>> {
        let rows = sqlx::query(
            "SELECT u.username, m.role FROM room_members m JOIN rooms r ON r.id = m.room_id \
             JOIN users u ON u.id = m.user_id WHERE r.name = $1 ORDER BY m.role = 'admin' DESC, u.username",
        )
        .bind(room)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| RoomMember {
                username: r.get("username"),
                room_role: r.get("role"),
            })
            .collect())
    }

    /// Sets a member's role in the room; returns whether they are a member.
    pub async fn set_room_role(&self, room: &str, username: &str, role: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE room_members SET role = $1 WHERE room_id = (SELECT id FROM rooms WHERE name = $2) \
             AND user_id = (SELECT id FROM users WHERE lower(username) = lower($3))",
        )
        .bind(role)
        .bind(room)
        .bind(username)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes a member; returns whether they were one.
    pub async fn remove_member(&self, room: &str, username: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM room_members WHERE room_id = (SELECT id FROM rooms WHERE name = $1) \
             AND user_id = (SELECT id FROM users WHERE lower(username) = lower($2))",
        )
        .bind(room)
        .bind(username)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Admins of the room.
    pub async fn room_admins(&self, room: &str) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM room_members m JOIN rooms r ON r.id = m.room_id \
             WHERE r.name = $1 AND m.role = 'admin'",
        )
        .bind(room)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get("n"))
    }

    /// Every room, for site admins.
    pub async fn all_rooms(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT name FROM rooms ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| r.get("name")).collect())
    }
}

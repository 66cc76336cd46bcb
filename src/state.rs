//! What every handler shares.

use crate::http::page::CursorKey;
use crate::store::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub cursors: CursorKey,
}

impl AppState {
    /// Loads (or creates, on first start) the shared secrets from the database.
    pub async fn new(db: Db) -> sqlx::Result<Self> {
        let mut conn = db.acquire().await?;
        let secret = crate::store::secrets::get_or_create(conn.conn(), "cursor_mac_key").await?;
        drop(conn);
        Ok(Self { db, cursors: CursorKey::new(secret.as_bytes()) })
    }
}

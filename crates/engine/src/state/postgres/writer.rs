//! The PostgreSQL run writer: one journal row per batch, written by one
//! statement that is conditional on the serial, retried on a new connection
//! when the server restarts under it.

use super::{connection_lost, PostgresBackend, RECONNECT_FOR};
use crate::state::journal::Record;
use crate::state::{State, StateError, StateWriter};
use async_trait::async_trait;
use std::time::{Duration, Instant};
use tokio_postgres::Client;
use uuid::Uuid;

/// Appends each batch as one row in one statement, conditional on the serial.
pub(super) struct PgWriter {
    pub(super) backend: PostgresBackend,
    pub(super) client: Client,
    pub(super) append: Option<tokio_postgres::Statement>,
    pub(super) lineage: Uuid,
    pub(super) serial: u64,
}

impl PgWriter {
    pub(super) async fn prepare(&mut self) -> Result<(), StateError> {
        let stmt = self
            .client
            .prepare(
                "WITH s AS (
                     UPDATE strata_state SET serial = $3::bigint, updated_at = now()
                     WHERE workspace = $1::text AND lineage = $2::text AND serial = $3::bigint - 1
                     RETURNING workspace)
                 INSERT INTO strata_journal (workspace, serial, lineage, records)
                 SELECT workspace, $3::bigint, $2::text, $4::text FROM s",
            )
            .await
            .map_err(|e| self.backend.db_error(&e))?;
        self.append = Some(stmt);
        Ok(())
    }

    async fn try_append(&self, serial: u64, records: &str) -> Result<u64, StateError> {
        let stmt = self.append.as_ref().expect("prepared");
        self.client
            .execute(
                stmt,
                &[
                    &self.backend.workspace,
                    &self.lineage.to_string(),
                    &(serial as i64),
                    &records,
                ],
            )
            .await
            .map_err(|e| self.backend.db_error(&e))
    }

    /// After a lost connection: reconnect (for up to [`RECONNECT_FOR`]) and
    /// report whether batch `serial` is already stored with these records
    /// (the commit reached the server but its answer did not reach us).
    async fn reconnect(&mut self, serial: u64, records: &str) -> Result<bool, StateError> {
        let deadline = Instant::now() + RECONNECT_FOR;
        loop {
            match self.backend.connect_new().await {
                Ok(c) => {
                    self.client = c;
                    self.prepare().await?;
                    let row = self
                        .client
                        .query_opt(
                            "SELECT records FROM strata_journal WHERE workspace = $1 AND serial = $2 AND lineage = $3",
                            &[
                                &self.backend.workspace,
                                &(serial as i64),
                                &self.lineage.to_string(),
                            ],
                        )
                        .await
                        .map_err(|e| self.backend.db_error(&e))?;
                    return Ok(row.is_some_and(|r| r.get::<_, String>(0) == records));
                }
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }
}

#[async_trait]
impl StateWriter for PgWriter {
    async fn append(&mut self, records: Vec<Record>) -> Result<u64, StateError> {
        let serial = self.serial + 1;
        let body = serde_json::to_string(&records).expect("records serialize");
        let mut result = self.try_append(serial, &body).await;
        if let Err(e) = &result {
            if connection_lost(e) {
                result = match self.reconnect(serial, &body).await? {
                    true => Ok(1),
                    false => self.try_append(serial, &body).await,
                };
            }
        }
        if result? != 1 {
            let found = self.backend.stored_serial(&self.client).await?.map(|s| s.1);
            return Err(self.backend.conflict(Some(self.serial), found));
        }
        self.serial = serial;
        Ok(serial)
    }

    async fn finish(&mut self, state: &State) -> Result<(), StateError> {
        if state.serial != self.serial || state.lineage != self.lineage {
            return Err(self.backend.conflict(Some(self.serial), Some(state.serial)));
        }
        let result = self.backend.compact(&mut self.client, state).await;
        match result {
            Err(e) if connection_lost(&e) => {
                let deadline = Instant::now() + RECONNECT_FOR;
                loop {
                    match self.backend.connect_new().await {
                        Ok(c) => {
                            self.client = c;
                            return self.backend.compact(&mut self.client, state).await;
                        }
                        Err(e) if Instant::now() >= deadline => return Err(e),
                        Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
                    }
                }
            }
            other => other,
        }
    }
}

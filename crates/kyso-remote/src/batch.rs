//! Group commit for remote signing's writes.
//!
//! Every authorisation and every signature needs a durable write (the SAD and its log
//! entry; the SAD spent; the signature's log entry). One commit per write caps a single
//! database at its fsync rate — a few hundred round trips a second on SQLite. Concurrent
//! requests instead hand their writes to one task, which applies everything waiting in a
//! single transaction ([`kyso_store::credentials::CredentialStore::apply_remote_writes`])
//! and answers each request after the commit. Nothing is acknowledged before it is durable;
//! under load, one fsync carries dozens of requests.

use crate::RemoteError;
use kyso_store::Store;
use kyso_store::credentials::{RemoteWrite, RemoteWriteOutcome};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most writes in one transaction.
const MAX_GROUP: usize = 512;

type Reply = oneshot::Sender<Result<RemoteWriteOutcome, String>>;

/// Handle to the group-commit task.
#[derive(Debug, Clone)]
pub(crate) struct Batcher {
    tx: mpsc::UnboundedSender<(RemoteWrite, Reply)>,
}

impl Batcher {
    /// Starts the task (it ends when every handle is dropped).
    pub(crate) fn start(store: Arc<dyn Store>) -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel::<(RemoteWrite, Reply)>();
        tokio::spawn(async move {
            let mut ops = Vec::new();
            let mut replies = Vec::new();
            while let Some((op, reply)) = rx.recv().await {
                ops.push(op);
                replies.push(reply);
                while ops.len() < MAX_GROUP {
                    match rx.try_recv() {
                        Ok((op, reply)) => {
                            ops.push(op);
                            replies.push(reply);
                        }
                        Err(_) => break,
                    }
                }
                metrics::histogram!("kyso_remote_group_commit_size").record(ops.len() as f64);
                match store.apply_remote_writes(&ops).await {
                    Ok(outcomes) => {
                        for (reply, outcome) in replies.drain(..).zip(outcomes) {
                            let _ = reply.send(Ok(outcome));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, n = ops.len(), "group commit failed");
                        let why = e.to_string();
                        for reply in replies.drain(..) {
                            let _ = reply.send(Err(why.clone()));
                        }
                    }
                }
                ops.clear();
            }
        });
        Batcher { tx }
    }

    /// Applies `op` durably (in the next group) and returns what it did.
    pub(crate) async fn write(&self, op: RemoteWrite) -> Result<RemoteWriteOutcome, RemoteError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((op, reply))
            .map_err(|_| RemoteError::Storage("the write queue has stopped".into()))?;
        answer
            .await
            .map_err(|_| RemoteError::Storage("the write queue has stopped".into()))?
            .map_err(RemoteError::Storage)
    }
}

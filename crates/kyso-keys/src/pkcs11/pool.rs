//! A small pool of logged-in read/write sessions on one token.
//!
//! A cryptoki [`Session`] is `Send` but not `Sync`: PKCS#11 forbids two threads running
//! operations on one session at once (a session holds at most one active sign, wrap, find…
//! operation). Each call therefore borrows a whole session from the pool and gives it back
//! when done. Sessions are opened lazily up to the pool's capacity and kept open for the
//! store's lifetime, which also keeps the token logged in (login state lasts only while the
//! process has a session open on the token).

use super::module::{self, Module};
use crate::KeyError;
use cryptoki::error::{Error, RvError};
use cryptoki::session::Session;
use cryptoki::slot::Slot;
use std::cell::Cell;
use std::ops::Deref;
use std::sync::{Condvar, Mutex, MutexGuard};

pub(super) struct SessionPool {
    module: Module,
    slot: Slot,
    token_label: String,
    /// Kept to log in again if the token drops its login state (all sessions lost).
    pin: zeroize::Zeroizing<String>,
    capacity: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Session>,
    /// Sessions that exist: idle ones plus those lent out.
    open: usize,
}

impl std::fmt::Debug for SessionPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("SessionPool")
            .field("slot", &self.slot.id())
            .field("capacity", &self.capacity)
            .field("open", &s.open)
            .field("idle", &s.idle.len())
            .finish()
    }
}

impl SessionPool {
    pub(super) fn new(
        module: Module,
        slot: Slot,
        token_label: &str,
        pin: &str,
        capacity: usize,
    ) -> Self {
        SessionPool {
            module,
            slot,
            token_label: token_label.to_owned(),
            pin: zeroize::Zeroizing::new(pin.to_owned()),
            capacity: capacity.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::with_capacity(capacity),
                open: 0,
            }),
            returned: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // Pool state is consistent between statements; a panicking borrower cannot corrupt it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Borrows a session, opening one if the pool is not full, else waiting for one.
    pub(super) fn get(&self) -> Result<PooledSession<'_>, KeyError> {
        let mut state = self.lock();
        loop {
            if let Some(session) = state.idle.pop() {
                return Ok(PooledSession {
                    pool: self,
                    session: Some(session),
                    broken: Cell::new(false),
                });
            }
            if state.open < self.capacity {
                state.open += 1;
                drop(state);
                return match self.open_session() {
                    Ok(session) => Ok(PooledSession {
                        pool: self,
                        session: Some(session),
                        broken: Cell::new(false),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            state = self.returned.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn open_session(&self) -> Result<Session, KeyError> {
        let session = self.module.ctx.open_rw_session(self.slot).map_err(|e| {
            KeyError::Pkcs11(format!(
                "cannot open a session on token {:?}: {}",
                self.token_label,
                module::describe(&e)
            ))
        })?;
        // Usually answered by CKR_USER_ALREADY_LOGGED_IN (another session of the process is
        // logged in); a real login only for the first session or after the token lost state.
        module::login(
            &self.module,
            self.slot,
            &self.token_label,
            &session,
            &self.pin,
        )?;
        Ok(session)
    }

    /// Opens the first session now, so that a wrong PIN or missing token fails `open`.
    pub(super) fn warm_up(&self) -> Result<(), KeyError> {
        self.get().map(drop)
    }
}

/// A session borrowed from the pool; returned to it on drop.
pub(super) struct PooledSession<'a> {
    pool: &'a SessionPool,
    session: Option<Session>,
    /// A `Cell` so that errors can be noted while the session is borrowed by an operation.
    broken: Cell<bool>,
}

impl PooledSession<'_> {
    /// Marks the session as unusable if `e` says the session or token is gone, so that it is
    /// closed instead of returned and a fresh one (logged in again) replaces it.
    pub(super) fn check(&self, e: &Error) {
        if matches!(
            e,
            Error::Pkcs11(
                RvError::SessionHandleInvalid
                    | RvError::SessionClosed
                    | RvError::DeviceRemoved
                    | RvError::DeviceError
                    | RvError::TokenNotPresent
                    | RvError::UserNotLoggedIn,
                _
            )
        ) {
            self.broken.set(true);
        }
    }
}

impl Deref for PooledSession<'_> {
    type Target = Session;
    fn deref(&self) -> &Session {
        self.session.as_ref().expect("present until drop")
    }
}

impl Drop for PooledSession<'_> {
    fn drop(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        if self.broken.get() {
            // Close outside the pool lock; errors closing a dead session are irrelevant.
            drop(session);
            self.pool.lock().open -= 1;
        } else {
            self.pool.lock().idle.push(session);
        }
        self.pool.returned.notify_one();
    }
}

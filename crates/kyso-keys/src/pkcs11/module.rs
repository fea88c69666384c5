//! Process-wide PKCS#11 state: loaded modules and token logins.
//!
//! Two PKCS#11 rules make this state global rather than per keystore:
//! * `C_Initialize` may succeed only once per module per process; a second call returns
//!   `CKR_CRYPTOKI_ALREADY_INITIALIZED` until `C_Finalize`. So each module is loaded and
//!   initialised once and its context is shared by every [`Pkcs11KeyStore`] opened on it.
//!   It is never finalised: finalising would invalidate the sessions of every other store.
//! * Login is held per token per *process*: once one session logs in, every session of the
//!   process on that token is logged in, and a second `C_Login` returns
//!   `CKR_USER_ALREADY_LOGGED_IN` without looking at the PIN. To keep "a wrong PIN is
//!   refused" true for a second store on an already logged-in token, a keyed hash of the PIN
//!   that last logged in is remembered per token and compared.
//!
//! [`Pkcs11KeyStore`]: super::Pkcs11KeyStore

use crate::KeyError;
use aws_lc_rs::hmac;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// A loaded, initialised PKCS#11 module.
#[derive(Debug, Clone)]
pub(super) struct Module {
    /// The path it was loaded from (canonical when possible); the registry key.
    pub path: PathBuf,
    /// The shared context (cheap to clone: an `Arc` inside).
    pub ctx: Pkcs11,
}

struct Registry {
    /// Process-random key for remembering PINs as HMACs rather than in clear.
    pin_key: hmac::Key,
    modules: HashMap<PathBuf, Loaded>,
}

struct Loaded {
    ctx: Pkcs11,
    /// HMAC of the user PIN that logged in, by slot id.
    accepted_pins: HashMap<u64, Vec<u8>>,
}

fn registry() -> MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(|| {
            let mut k = zeroize::Zeroizing::new([0u8; 32]);
            aws_lc_rs::rand::fill(&mut *k).expect("system random generator failed");
            Mutex::new(Registry {
                pin_key: hmac::Key::new(hmac::HMAC_SHA256, &*k),
                modules: HashMap::new(),
            })
        })
        .lock()
        // The registry is consistent after every statement, so a panic elsewhere while
        // holding the lock leaves nothing half-done.
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Serialises find-or-create of per-token singletons (the wrapping key) within the process.
pub(super) fn creation_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Loads and initialises `path`, or returns the context already loaded from it.
pub(super) fn load(path: &Path) -> Result<Module, KeyError> {
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut reg = registry();
    if let Some(l) = reg.modules.get(&key) {
        return Ok(Module {
            path: key,
            ctx: l.ctx.clone(),
        });
    }
    let ctx = Pkcs11::new(&key).map_err(|e| {
        KeyError::Pkcs11(format!(
            "cannot load PKCS#11 module {}: {e}",
            path.display()
        ))
    })?;
    // OS_LOCKING_OK: the store calls the module from several threads at once.
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) => {}
        // Someone else in the process (another library, or a context created outside this
        // registry) initialised it already: the module state is process-wide, so just use it.
        Err(Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(KeyError::Pkcs11(format!(
                "cannot initialise PKCS#11 module {}: {}",
                path.display(),
                describe(&e)
            )));
        }
    }
    reg.modules.insert(
        key.clone(),
        Loaded {
            ctx: ctx.clone(),
            accepted_pins: HashMap::new(),
        },
    );
    Ok(Module { path: key, ctx })
}

/// Logs the process in as the user of `slot`'s token through `session`.
pub(super) fn login(
    module: &Module,
    slot: Slot,
    token_label: &str,
    session: &Session,
    pin: &str,
) -> Result<(), KeyError> {
    let refused = || KeyError::Pkcs11(format!("the user PIN was refused by token {token_label:?}"));
    // Held across C_Login so that two stores logging in at once agree on the outcome.
    let mut reg = registry();
    let Registry { pin_key, modules } = &mut *reg;
    let result = session.login(UserType::User, Some(&AuthPin::from(pin)));
    let pins = &mut modules
        .get_mut(&module.path)
        .expect("module is registered by load()")
        .accepted_pins;
    match result {
        Ok(()) => {
            pins.insert(
                slot.id(),
                hmac::sign(pin_key, pin.as_bytes()).as_ref().to_vec(),
            );
            Ok(())
        }
        Err(Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => match pins.get(&slot.id()) {
            // Logged in through this registry: the PIN must be the one that worked.
            Some(accepted) => {
                hmac::verify(pin_key, pin.as_bytes(), accepted).map_err(|_| refused())
            }
            // Logged in by another user of the module in this process whose PIN we never
            // saw; the token trusts the process, and so do we.
            None => Ok(()),
        },
        Err(Error::Pkcs11(
            RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange,
            _,
        )) => Err(refused()),
        Err(Error::Pkcs11(RvError::PinLocked, _)) => Err(KeyError::Pkcs11(format!(
            "the user PIN of token {token_label:?} is locked (too many wrong attempts)"
        ))),
        Err(Error::Pkcs11(RvError::UserPinNotInitialized, _)) => Err(KeyError::Pkcs11(format!(
            "token {token_label:?} has no user PIN set (initialise it with the SO PIN first)"
        ))),
        Err(e) => Err(KeyError::Pkcs11(format!(
            "login to token {token_label:?} failed: {}",
            describe(&e)
        ))),
    }
}

/// A short description of a cryptoki error: `C_Sign: CKR_KEY_HANDLE_INVALID`-like, without
/// the paragraph of specification text that cryptoki's `Display` appends.
pub(super) fn describe(e: &Error) -> String {
    match e {
        Error::Pkcs11(rv, function) => format!("C_{function:?} returned {rv:?}"),
        other => other.to_string(),
    }
}

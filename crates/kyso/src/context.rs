//! Opening what a command needs: the data directory, the store, the key custodian, the CA.

use crate::cli::{Cli, KeystoreKind, Pkcs11Args};
use anyhow::{Context as _, anyhow, bail};
use kyso_ca::{Ca, settings};
use kyso_core::SystemClock;
use kyso_keys::KeyStore;
use kyso_keys::kek::Kek;
use kyso_keys::pkcs11::Pkcs11KeyStore;
use kyso_keys::soft::SoftKeyStore;
use kyso_store::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Settings that let later commands reopen the keystore `ca init` used.
pub type KeystoreSettings = Vec<(&'static str, String)>;

/// Global options, resolved.
#[derive(Debug, Clone)]
pub struct Context {
    pub data_dir: PathBuf,
    pub database: Option<String>,
    pub kek_file: Option<PathBuf>,
}

impl Context {
    pub fn from_cli(cli: &Cli) -> Self {
        Context {
            data_dir: cli.data_dir.clone(),
            database: cli.database.clone(),
            kek_file: cli.kek_file.clone(),
        }
    }

    /// Creates the data directory (mode 0700) if needed.
    pub fn ensure_data_dir(&self) -> anyhow::Result<()> {
        if !self.data_dir.exists() {
            std::fs::create_dir_all(&self.data_dir)
                .with_context(|| format!("creating {}", self.data_dir.display()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&self.data_dir, std::fs::Permissions::from_mode(0o700))?;
            }
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.data_dir.join("kyso.db").display()))
    }

    pub async fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        self.ensure_data_dir()?;
        let url = self.database_url();
        kyso_store::open(&url)
            .await
            .with_context(|| format!("opening database {}", redact(&url)))
    }

    fn kek_path(&self) -> PathBuf {
        self.kek_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("kek"))
    }

    /// The keystore `ca init` will use, and the settings that let later commands reopen it.
    pub fn keystore_for_init(
        &self,
        kind: KeystoreKind,
        p: &Pkcs11Args,
    ) -> anyhow::Result<(Arc<dyn KeyStore>, KeystoreSettings)> {
        match kind {
            KeystoreKind::Soft => {
                self.ensure_data_dir()?;
                let kek = Kek::load_or_create(&self.kek_path())?;
                Ok((
                    Arc::new(SoftKeyStore::new(kek)),
                    vec![(settings::KEYSTORE_KIND, "soft".into())],
                ))
            }
            KeystoreKind::Pkcs11 => {
                let module = p
                    .pkcs11_module
                    .clone()
                    .ok_or_else(|| anyhow!("--keystore pkcs11 needs --pkcs11-module"))?;
                let token = p
                    .pkcs11_token
                    .clone()
                    .ok_or_else(|| anyhow!("--keystore pkcs11 needs --pkcs11-token"))?;
                let pin_file = p
                    .pkcs11_pin_file
                    .clone()
                    .ok_or_else(|| anyhow!("--keystore pkcs11 needs --pkcs11-pin-file"))?;
                let pin_file = std::path::absolute(&pin_file).unwrap_or(pin_file);
                let ks = open_pkcs11(&module, &token, &pin_file)?;
                Ok((
                    Arc::new(ks),
                    vec![
                        (settings::KEYSTORE_KIND, "pkcs11".into()),
                        (settings::PKCS11_MODULE, module.display().to_string()),
                        (settings::PKCS11_TOKEN, token),
                        (settings::PKCS11_PIN_FILE, pin_file.display().to_string()),
                    ],
                ))
            }
        }
    }

    /// The keystore recorded by `ca init` in the store's settings.
    pub async fn keystore(&self, store: &dyn Store) -> anyhow::Result<Arc<dyn KeyStore>> {
        match store.get_setting(settings::KEYSTORE_KIND).await?.as_deref() {
            None => bail!("the certificate authority is not initialised: run `kyso ca init` first"),
            Some("soft") => {
                let path = self.kek_path();
                if !path.exists() {
                    bail!(
                        "key-encryption key {} not found: the keys in this database were wrapped under it \
                         (give its location with --kek-file or KYSO_KEK_FILE)",
                        path.display()
                    );
                }
                Ok(Arc::new(SoftKeyStore::new(Kek::load(&path)?)))
            }
            Some("pkcs11") => {
                let get = |k| async move {
                    store
                        .get_setting(k)
                        .await?
                        .ok_or_else(|| anyhow!("setting {k} is missing: re-run `kyso ca init`"))
                };
                let module = get(settings::PKCS11_MODULE).await?;
                let token = get(settings::PKCS11_TOKEN).await?;
                let pin_file = get(settings::PKCS11_PIN_FILE).await?;
                Ok(Arc::new(open_pkcs11(
                    Path::new(&module),
                    &token,
                    Path::new(&pin_file),
                )?))
            }
            Some(other) => bail!("unknown keystore kind {other:?} in settings"),
        }
    }

    /// The key-encryption key the remote-signing secrets derive from (PIN pepper, token
    /// key, TOTP wrapping). With the software keystore it is the keystore's KEK; with
    /// PKCS#11 a KEK file of its own, created on first use.
    pub async fn signing_kek(&self, store: &dyn Store) -> anyhow::Result<Kek> {
        let path = self.kek_path();
        match store.get_setting(settings::KEYSTORE_KIND).await?.as_deref() {
            Some("pkcs11") => {
                self.ensure_data_dir()?;
                Ok(Kek::load_or_create(&path)?)
            }
            _ => Ok(Kek::load(&path)
                .with_context(|| format!("loading the key-encryption key {}", path.display()))?),
        }
    }

    /// The remote-signing service over `ca`.
    pub async fn remote(&self, ca: Arc<Ca>) -> anyhow::Result<kyso_remote::RemoteSigning> {
        self.remote_with(ca, Default::default()).await
    }

    /// The remote-signing service with explicit settings (`kyso serve` options).
    pub async fn remote_with(
        &self,
        ca: Arc<Ca>,
        config: kyso_remote::RemoteConfig,
    ) -> anyhow::Result<kyso_remote::RemoteSigning> {
        let kek = self.signing_kek(ca.store().as_ref()).await?;
        Ok(kyso_remote::RemoteSigning::new(
            ca,
            kyso_remote::Secrets::from_kek(kek),
            config,
        ))
    }

    pub async fn load_ca(&self) -> anyhow::Result<Ca> {
        let store = self.open_store().await?;
        let keystore = self.keystore(store.as_ref()).await?;
        Ok(Ca::load(store, keystore, Arc::new(SystemClock)).await?)
    }
}

fn open_pkcs11(module: &Path, token: &str, pin_file: &Path) -> anyhow::Result<Pkcs11KeyStore> {
    let pin = std::fs::read_to_string(pin_file)
        .with_context(|| format!("reading PIN file {}", pin_file.display()))?;
    Ok(Pkcs11KeyStore::open(module, token, pin.trim())?)
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

//! PKCS#11 keystore (work in progress).

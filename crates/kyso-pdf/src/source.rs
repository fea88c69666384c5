//! Where a PDF's bytes come from. Reading is positional, so a large file is never loaded
//! whole: the reader asks for the few kilobytes each object needs.

use std::io;

/// Random-access bytes.
pub trait Source: Send + Sync {
    /// Total length in bytes.
    fn len(&self) -> u64;
    /// Whether there are no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Reads up to `buf.len()` bytes at `offset`, returning how many were read (0 at the end).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// Reads exactly the bytes `offset .. offset + len` (fewer at the end of the source).
    fn read_range(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let available = self.len().saturating_sub(offset).min(len as u64) as usize;
        let mut buf = vec![0u8; available];
        let mut filled = 0;
        while filled < available {
            let n = self.read_at(offset + filled as u64, &mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        buf.truncate(filled);
        Ok(buf)
    }
}

impl Source for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let start = (offset as usize).min(self.as_slice().len());
        let n = buf.len().min(self.as_slice().len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

impl<T: AsRef<[u8]> + Send + Sync> Source for std::sync::Arc<T> {
    fn len(&self) -> u64 {
        self.as_ref().as_ref().len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let bytes = self.as_ref().as_ref();
        let start = (offset as usize).min(bytes.len());
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }
}

/// A file read with positional reads (`pread`), shareable between threads.
#[derive(Debug)]
pub struct FileSource {
    file: std::fs::File,
    len: u64,
}

impl FileSource {
    /// Opens `path`.
    pub fn open(path: &std::path::Path) -> io::Result<Self> {
        let file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        Ok(FileSource { file, len })
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt as _;
        if offset >= self.len {
            return Ok(0);
        }
        let n = buf.len().min((self.len - offset) as usize);
        self.file.read_at(&mut buf[..n], offset)
    }
}

/// The first `len` bytes of another source: a signed revision, as it was when signed.
#[derive(Debug)]
pub struct Prefix<'a, S: ?Sized> {
    inner: &'a S,
    len: u64,
}

impl<'a, S: Source + ?Sized> Prefix<'a, S> {
    /// The first `len` bytes of `inner`.
    pub fn new(inner: &'a S, len: u64) -> Self {
        Prefix {
            inner,
            len: len.min(inner.len()),
        }
    }
}

impl<S: Source + ?Sized> Source for Prefix<'_, S> {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len {
            return Ok(0);
        }
        let n = buf.len().min((self.len - offset) as usize);
        self.inner.read_at(offset, &mut buf[..n])
    }
}

//! CSV exports: RFC 4180 quoting, a UTF-8 byte-order mark so that spreadsheet programs
//! read the Vietnamese text correctly, and formula-looking cells neutralised (a cell that
//! starts with `=`, `+`, `-` or `@` is prefixed with `'`, OWASP's CSV-injection advice).

/// A CSV document being written.
#[derive(Debug, Default)]
pub struct Csv {
    out: String,
}

impl Csv {
    /// A document with this header row.
    pub fn new(header: &[&str]) -> Self {
        let mut c = Csv {
            out: String::from("\u{feff}"),
        };
        c.row(header.iter().copied());
        c
    }

    /// Appends a row.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        let mut first = true;
        for cell in cells {
            if !first {
                self.out.push(',');
            }
            first = false;
            let cell = if cell.starts_with(['=', '+', '-', '@']) {
                format!("'{cell}")
            } else {
                cell.to_owned()
            };
            if cell.contains([',', '"', '\n', '\r']) {
                self.out.push('"');
                self.out.push_str(&cell.replace('"', "\"\""));
                self.out.push('"');
            } else {
                self.out.push_str(&cell);
            }
        }
        self.out.push_str("\r\n");
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_neutralises() {
        let mut c = Csv::new(&["a", "b"]);
        c.row(["Xã A, B", "=SUM(A1)"]);
        c.row(["say \"hi\"", "-1"]);
        assert_eq!(
            c.finish(),
            "\u{feff}a,b\r\n\"Xã A, B\",'=SUM(A1)\r\n\"say \"\"hi\"\"\",'-1\r\n"
        );
    }
}

//! The QR image of a payload, drawn here rather than by an imaging library: an SVG is a
//! string of runs, a PNG one bit per pixel.

use crate::{Error, Payload};
use qrcode::{Color, EcLevel, QrCode};

/// The light margin around the symbol, in modules: the 4 that ISO/IEC 18004 requires for
/// scanners to find the code on any background.
pub const QUIET_ZONE: usize = 4;

/// A QR symbol with its quiet zone, module by module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrImage {
    /// Modules per side, quiet zone included.
    size: usize,
    /// Row by row, `true` for dark.
    dark: Vec<bool>,
}

impl QrImage {
    /// Encodes a payload at error-correction level M (15 % of the symbol recoverable),
    /// which NAPAS's examples use: enough for a creased printout or a glare on a screen,
    /// and a smaller symbol than Q or H for a phone camera at arm's length.
    pub fn new(payload: &Payload) -> Result<Self, Error> {
        let code = QrCode::with_error_correction_level(payload.as_str(), EcLevel::M)
            .map_err(|e| Error::Qr(e.to_string()))?;
        let inner = code.width();
        let size = inner + 2 * QUIET_ZONE;
        let mut dark = vec![false; size * size];
        for (i, color) in code.to_colors().into_iter().enumerate() {
            let (x, y) = (i % inner + QUIET_ZONE, i / inner + QUIET_ZONE);
            dark[y * size + x] = color == Color::Dark;
        }
        Ok(QrImage { size, dark })
    }

    /// Modules per side, quiet zone included.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether the module at column `x`, row `y` (quiet zone included) is dark; outside
    /// the image is light.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.size && y < self.size && self.dark[y * self.size + x]
    }

    /// A self-contained SVG: no external reference, one path of horizontal runs, one unit
    /// per module. It has a `viewBox` and no fixed size, so it scales to its container (a
    /// 360-px phone screen or a printed page); `shape-rendering="crispEdges"` keeps the
    /// modules from blurring into each other when scaled.
    pub fn to_svg(&self) -> String {
        let n = self.size;
        let mut d = String::new();
        for y in 0..n {
            let mut x = 0;
            while x < n {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < n && self.is_dark(x, y) {
                    x += 1;
                }
                let run = x - start;
                d.push_str(&format!("M{start} {y}h{run}v1h-{run}z"));
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {n} {n}\" \
             shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"VietQR\">\
             <rect width=\"{n}\" height=\"{n}\" fill=\"#fff\"/>\
             <path fill=\"#000\" d=\"{d}\"/></svg>\n"
        )
    }

    /// A PNG, 1-bit greyscale, `scale` pixels per module (1 to 64).
    pub fn to_png(&self, scale: u32) -> Result<Vec<u8>, Error> {
        if !(1..=64).contains(&scale) {
            return Err(Error::BadScale(scale));
        }
        let scale = scale as usize;
        let side = self.size * scale;
        let row_bytes = side.div_ceil(8);
        // 1-bit greyscale: a set bit is white. Start all white, clear the dark modules.
        let mut pixels = vec![0xFFu8; row_bytes * side];
        for py in 0..side {
            for px in 0..side {
                if self.is_dark(px / scale, py / scale) {
                    pixels[py * row_bytes + px / 8] &= !(0x80 >> (px % 8));
                }
            }
        }
        let png_err = |e: png::EncodingError| Error::Png(e.to_string());
        let side = u32::try_from(side).map_err(|_| Error::BadScale(scale as u32))?;
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let mut writer = encoder.write_header().map_err(png_err)?;
        writer.write_image_data(&pixels).map_err(png_err)?;
        writer.finish().map_err(png_err)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAPAS: &str = "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E";

    fn image() -> QrImage {
        QrImage::new(&Payload::parse(NAPAS).unwrap()).unwrap()
    }

    #[test]
    fn quiet_zone_and_finder_patterns() {
        let img = image();
        // 145 bytes at level M: version 6 (41 modules), as long digit runs go in numeric
        // mode; with 4 modules around.
        assert_eq!(img.size(), 41 + 2 * QUIET_ZONE);
        let n = img.size();
        for i in 0..n {
            for q in 0..QUIET_ZONE {
                assert!(!img.is_dark(i, q) && !img.is_dark(i, n - 1 - q));
                assert!(!img.is_dark(q, i) && !img.is_dark(n - 1 - q, i));
            }
        }
        // The top-left finder pattern's outer ring starts right after the quiet zone.
        let q = QUIET_ZONE;
        assert!((0..7).all(|i| img.is_dark(q + i, q) && img.is_dark(q, q + i)));
        assert!(!img.is_dark(q + 1, q + 1));
        assert!(img.is_dark(q + 3, q + 3));
    }

    #[test]
    fn svg_is_self_contained() {
        let svg = image().to_svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 49 49\""));
        assert!(!svg.contains("href"), "no external reference");
        assert!(svg.contains("M4 4h7v1h-7z"), "the finder's top row");
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn png_has_the_right_shape() {
        let img = image();
        let png = img.to_png(8).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (49 * 8, 49 * 8));
        assert_eq!(info.bit_depth, png::BitDepth::One);
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buf).unwrap();
        let row = frame.line_size;
        let pixel = |x: usize, y: usize| buf[y * row + x / 8] & (0x80 >> (x % 8)) != 0;
        // White in the quiet zone, black on the finder's corner module.
        assert!(pixel(0, 0) && pixel(31, 31));
        assert!(!pixel(32, 32) && !pixel(39, 39));
        assert_eq!(img.to_png(0), Err(Error::BadScale(0)));
        assert_eq!(img.to_png(65), Err(Error::BadScale(65)));
    }
}

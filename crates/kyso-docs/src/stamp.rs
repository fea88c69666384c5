//! Visible signature stamps: the appearance (a Form XObject) of a signature widget, with
//! Vietnamese text set in an embedded, subset Noto Sans.
//!
//! The text is drawn through a composite font (ISO 32000-1 §9.7) so that any character the
//! font covers can be shown, not just the 256 of a simple font:
//!
//! * a `Type0` font with the `Identity-H` encoding, so the content stream holds 2-byte codes
//!   that are CIDs, and a `/ToUnicode` CMap mapping each CID back to its character, which is
//!   what text extraction, search and copy-paste rely on;
//! * its descendant `CIDFontType2` font, whose CIDs are the glyph ids *of the subset font*
//!   (`/CIDToGIDMap /Identity`), with the advance widths of the glyphs used in `/W`;
//! * a font descriptor carrying the subset TrueType program (`/FontFile2`), named with a
//!   six-letter subset tag (`ABCDEF+NotoSans-Regular`, §9.6.4) derived from the glyphs kept.
//!
//! Vietnamese letters are drawn as the font's precomposed glyphs (`ễ`, U+1EC5, is one
//! designed glyph with both marks placed for it). Text in NFC maps to them directly; text
//! typed with combining marks (NFD, or input methods' "Unicode tổ hợp" mode: `e` + U+0302 +
//! U+0303) is first composed, for the Vietnamese letters, exactly as Unicode normalisation
//! would, so it draws and extracts the same. No shaping is done beyond that: other
//! combining marks are drawn as the font's zero-width mark glyphs at their default place.

use kyso_pdf::{Dict, ObjRef, Object, Stream, StreamData, Update};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

/// Noto Sans Regular (SIL Open Font License), the face every stamp is set in.
static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/NotoSans-Regular.ttf");
/// Noto Sans Bold (same licence), for headings of rendered documents.
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/NotoSans-Bold.ttf");

/// Where the objects of an embedded font go: an incremental update, or a new document.
pub(crate) trait ObjectSink {
    /// Adds an object and returns its reference.
    fn add_object(&mut self, object: Object) -> ObjRef;
}

impl ObjectSink for Update {
    fn add_object(&mut self, object: Object) -> ObjRef {
        self.add(object)
    }
}

/// Largest font size used, in points; text is set at this size when the widget is roomy.
pub const MAX_FONT_SIZE: f64 = 10.0;
/// Smallest font size used, in points: below it the text would be unreadable once printed,
/// so text that fits only smaller is an error rather than a smudge.
pub const MIN_FONT_SIZE: f64 = 5.0;
/// Blank space between the frame and the text, in points.
const PADDING: f64 = 3.0;
/// Width of the frame line, in points.
const FRAME_WIDTH: f64 = 0.5;
/// Resource name of the font inside the appearance.
const FONT_RESOURCE: &str = "F1";

/// The text of a stamp, one entry per line, drawn top-down, left-aligned.
///
/// For example `["Ký bởi: Nguyễn Thị Lan", "Thời gian: 30/11/2026 14:05 (GMT+7)",
/// "Lý do: Phê duyệt hợp đồng", "Nơi ký: Hà Nội"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StampText {
    /// The lines, without line breaks or other control characters. NFC is expected;
    /// Vietnamese letters written with combining marks are composed first.
    pub lines: Vec<String>,
}

impl StampText {
    /// A stamp text from its lines.
    pub fn new<I, S>(lines: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        StampText {
            lines: lines.into_iter().map(Into::into).collect(),
        }
    }
}

/// Why a stamp appearance could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StampError {
    /// The font has no glyph for a character (or it is a control character), which would
    /// otherwise be drawn as an empty box.
    #[error(
        "the stamp font has no glyph for {ch:?} (U+{code:04X}) in line {line}",
        code = u32::from(*ch)
    )]
    MissingGlyph {
        /// The character.
        ch: char,
        /// The line it is in, counted from 1.
        line: usize,
    },
    /// The widget size is not a positive, finite number of points, or leaves no room
    /// inside the padding.
    #[error("a stamp of {width} x {height} pt has no room for text")]
    InvalidSize {
        /// The width asked for.
        width: f64,
        /// The height asked for.
        height: f64,
    },
    /// The text fits the widget only below [`MIN_FONT_SIZE`].
    #[error(
        "the stamp text needs a font smaller than {MIN_FONT_SIZE} pt to fit \
         {width} x {height} pt; make the stamp larger or the text shorter"
    )]
    DoesNotFit {
        /// The width asked for.
        width: f64,
        /// The height asked for.
        height: f64,
    },
    /// The embedded font could not be read (a build defect, not an input problem).
    #[error("the stamp font cannot be read: {0}")]
    Font(String),
    /// Subsetting the font failed.
    #[error("subsetting the stamp font failed: {0}")]
    Subset(String),
}

/// Adds the appearance of a visible signature to `update`: the subset font, its
/// descriptors, and a Form XObject of `width` x `height` points (its `/BBox` is
/// `[0 0 width height]`) showing a thin frame and `text`. Returns the Form XObject, ready
/// to be a widget's `/AP << /N … >>` or to be painted with `Do`.
///
/// The font size is the largest, up to [`MAX_FONT_SIZE`], at which the longest line fits
/// the width and all lines fit the height; [`StampError::DoesNotFit`] if that is below
/// [`MIN_FONT_SIZE`]. Each call embeds its own subset (a few kilobytes). On error nothing
/// has been added to `update`.
pub fn add_appearance(
    update: &mut Update,
    text: &StampText,
    width: f64,
    height: f64,
) -> Result<ObjRef, StampError> {
    let font = Font::regular()?;
    let shaped = font.shape(text)?;
    let layout = Layout::fit(&font, &shaped, width, height)?;
    let subset = font.subset(&shaped)?;

    let font_ref = subset.add_objects(update, &font);
    let content = layout.content(&shaped, &subset);
    let resources = Dict::new().with(
        "Font",
        Object::Dict(Dict::new().with(FONT_RESOURCE, Object::Ref(font_ref))),
    );
    let dict = Dict::new()
        .with("Type", Object::name("XObject"))
        .with("Subtype", Object::name("Form"))
        .with(
            "BBox",
            Object::Array(vec![
                Object::Int(0),
                Object::Int(0),
                Object::Real(width),
                Object::Real(height),
            ]),
        )
        .with("Resources", Object::Dict(resources));
    Ok(update.add(deflated(dict, &content)))
}

/// The stamp face, and the metrics layout and the font descriptor need from it.
pub(crate) struct Font<'a> {
    data: &'a [u8],
    face: ttf_parser::Face<'a>,
    units_per_em: f64,
    postscript_name: String,
}

/// The text as the font's (original) glyph ids, line by line, each with its character.
pub(crate) struct Shaped {
    pub(crate) lines: Vec<Vec<(char, u16)>>,
}

impl<'a> Font<'a> {
    pub(crate) fn regular() -> Result<Font<'static>, StampError> {
        Font::parse(REGULAR)
    }

    pub(crate) fn bold() -> Result<Font<'static>, StampError> {
        Font::parse(BOLD)
    }

    fn parse(data: &'a [u8]) -> Result<Self, StampError> {
        let face = ttf_parser::Face::parse(data, 0).map_err(|e| StampError::Font(e.to_string()))?;
        let units_per_em = f64::from(face.units_per_em());
        if units_per_em <= 0.0 {
            return Err(StampError::Font("units per em is zero".into()));
        }
        let postscript_name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .map(|n| {
                // A PostScript name is printable ASCII without delimiters; keep it so.
                n.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect::<String>()
            })
            .filter(|n| !n.is_empty())
            .ok_or_else(|| StampError::Font("the font has no PostScript name".into()))?;
        Ok(Font {
            data,
            face,
            units_per_em,
            postscript_name,
        })
    }

    /// Maps each character to its glyph through the font's cmap, after composing
    /// Vietnamese letters.
    fn shape(&self, text: &StampText) -> Result<Shaped, StampError> {
        let lines = text
            .lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                self.shape_line(line)
                    .map_err(|ch| StampError::MissingGlyph { ch, line: i + 1 })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Shaped { lines })
    }

    /// One line as (character, glyph) pairs, after composing Vietnamese letters; the
    /// first character without a glyph (control characters have none) is the error.
    pub(crate) fn shape_line(&self, line: &str) -> Result<Vec<(char, u16)>, char> {
        compose_vietnamese(line)
            .into_iter()
            .map(|ch| {
                (!ch.is_control())
                    .then(|| self.face.glyph_index(ch))
                    .flatten()
                    .filter(|g| g.0 != 0)
                    .map(|g| (ch, g.0))
                    .ok_or(ch)
            })
            .collect()
    }

    /// A glyph's advance width in thousandths of the em, the unit of PDF glyph space.
    pub(crate) fn advance(&self, glyph: u16) -> f64 {
        let units = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(glyph))
            .unwrap_or(0);
        self.to_thousandths(f64::from(units))
    }

    fn to_thousandths(&self, units: f64) -> f64 {
        units * 1000.0 / self.units_per_em
    }

    /// A line's width in thousandths of the em.
    fn line_width(&self, line: &[(char, u16)]) -> f64 {
        line.iter().map(|&(_, g)| self.advance(g)).sum()
    }

    /// Height above the baseline, in thousandths of the em (the horizontal header's
    /// ascender, which clears Vietnamese capitals with stacked marks).
    pub(crate) fn ascent(&self) -> f64 {
        self.to_thousandths(f64::from(self.face.ascender()))
    }

    /// Depth below the baseline, negative, in thousandths of the em.
    pub(crate) fn descent(&self) -> f64 {
        self.to_thousandths(f64::from(self.face.descender()))
    }

    /// Keeps the glyphs used (and the components they are built from), renumbered.
    pub(crate) fn subset(&self, shaped: &Shaped) -> Result<Subset, StampError> {
        let mut remapper = subsetter::GlyphRemapper::new();
        // New glyph id (= CID) -> the character it was first used for and its old id.
        let mut glyphs: BTreeMap<u16, (char, u16)> = BTreeMap::new();
        let mut cids = BTreeMap::new();
        for &(ch, old) in shaped.lines.iter().flatten() {
            let new = remapper.remap(old);
            // Should two characters share a glyph (a space and a no-break space), the
            // first one is what extraction gives back for both.
            glyphs.entry(new).or_insert((ch, old));
            cids.insert(old, new);
        }
        // The subsetter adds the components of composite glyphs to its own copy of the
        // remapper, after the glyphs asked for, so the ids above stay what it assigns.
        let program = subsetter::subset(self.data, 0, &remapper)
            .map_err(|e| StampError::Subset(e.to_string()))?;
        Ok(Subset {
            tag: subset_tag(&glyphs),
            program,
            glyphs,
            cids,
        })
    }
}

/// A subset font program and how the text's glyphs are numbered in it.
pub(crate) struct Subset {
    tag: String,
    program: Vec<u8>,
    /// CID (the new glyph id) -> (character, original glyph id), for the glyphs drawn.
    glyphs: BTreeMap<u16, (char, u16)>,
    /// Original glyph id -> CID.
    pub(crate) cids: BTreeMap<u16, u16>,
}

impl Subset {
    /// Adds the Type0 font and everything it refers to; returns the Type0 font.
    pub(crate) fn add_objects(&self, update: &mut impl ObjectSink, font: &Font<'_>) -> ObjRef {
        let base_font = format!("{}+{}", self.tag, font.postscript_name);

        let program_dict = Dict::new().with("Length1", Object::Int(self.program.len() as i64));
        let program_ref = update.add_object(deflated(program_dict, &self.program));

        let bbox = font.face.global_bounding_box();
        let number = |units: i16| Object::Real(round2(font.to_thousandths(f64::from(units))));
        let cap_height = font.face.capital_height().unwrap_or(font.face.ascender());
        let weight = f64::from(font.face.weight().to_number());
        let descriptor = Dict::new()
            .with("Type", Object::name("FontDescriptor"))
            .with("FontName", Object::name(&base_font))
            // Symbolic: the glyphs go beyond the standard Latin character set.
            .with("Flags", Object::Int(4))
            .with(
                "FontBBox",
                Object::Array(vec![
                    number(bbox.x_min),
                    number(bbox.y_min),
                    number(bbox.x_max),
                    number(bbox.y_max),
                ]),
            )
            .with(
                "ItalicAngle",
                Object::Real(round2(f64::from(font.face.italic_angle()))),
            )
            .with("Ascent", number(font.face.ascender()))
            .with("Descent", number(font.face.descender()))
            .with("CapHeight", number(cap_height))
            // The font does not record its stem width; viewers use it only when they
            // substitute a font, so an estimate from the weight class does (80 for regular).
            .with("StemV", Object::Int((weight / 5.0).round() as i64))
            .with("FontFile2", Object::Ref(program_ref));
        let descriptor_ref = update.add_object(Object::Dict(descriptor));

        let cid_font = Dict::new()
            .with("Type", Object::name("Font"))
            .with("Subtype", Object::name("CIDFontType2"))
            .with("BaseFont", Object::name(&base_font))
            .with(
                "CIDSystemInfo",
                Object::Dict(
                    Dict::new()
                        .with("Registry", Object::String(b"Adobe".to_vec()))
                        .with("Ordering", Object::String(b"Identity".to_vec()))
                        .with("Supplement", Object::Int(0)),
                ),
            )
            .with("FontDescriptor", Object::Ref(descriptor_ref))
            .with("W", self.widths(font))
            .with("CIDToGIDMap", Object::name("Identity"));
        let cid_font_ref = update.add_object(Object::Dict(cid_font));

        let to_unicode_ref = update.add_object(deflated(Dict::new(), self.to_unicode().as_bytes()));

        update.add_object(Object::Dict(
            Dict::new()
                .with("Type", Object::name("Font"))
                .with("Subtype", Object::name("Type0"))
                .with("BaseFont", Object::name(&base_font))
                .with("Encoding", Object::name("Identity-H"))
                .with(
                    "DescendantFonts",
                    Object::Array(vec![Object::Ref(cid_font_ref)]),
                )
                .with("ToUnicode", Object::Ref(to_unicode_ref)),
        ))
    }

    /// `/W`: `first [w1 w2 …]` for each run of consecutive CIDs drawn.
    fn widths(&self, font: &Font<'_>) -> Object {
        let mut out = Vec::new();
        let mut run: Option<(u16, Vec<Object>)> = None;
        for (&cid, &(_, old)) in &self.glyphs {
            let width = Object::Real(round2(font.advance(old)));
            match &mut run {
                Some((first, ws)) if usize::from(*first) + ws.len() == usize::from(cid) => {
                    ws.push(width);
                }
                _ => {
                    if let Some((first, ws)) = run.take() {
                        out.push(Object::Int(i64::from(first)));
                        out.push(Object::Array(ws));
                    }
                    run = Some((cid, vec![width]));
                }
            }
        }
        if let Some((first, ws)) = run {
            out.push(Object::Int(i64::from(first)));
            out.push(Object::Array(ws));
        }
        Object::Array(out)
    }

    /// The `/ToUnicode` CMap (§9.10.3): each CID to its character in UTF-16BE.
    fn to_unicode(&self) -> String {
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin\n\
             12 dict begin\n\
             begincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n\
             /CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let entries: Vec<_> = self.glyphs.iter().collect();
        // A bfchar section holds at most 100 entries.
        for chunk in entries.chunks(100) {
            let _ = writeln!(cmap, "{} beginbfchar", chunk.len());
            for (cid, (ch, _)) in chunk {
                let mut units = [0u16; 2];
                let utf16: String = ch
                    .encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("{u:04X}"))
                    .collect();
                let _ = writeln!(cmap, "<{cid:04X}> <{utf16}>");
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str(
            "endcmap\n\
             CMapName currentdict /CMap defineresource pop\n\
             end\n\
             end\n",
        );
        cmap
    }
}

/// The combining marks of Vietnamese: the five tones (grave, acute, hook above, tilde, dot
/// below), then breve, circumflex and horn.
const MARKS: [char; 8] = [
    '\u{300}', '\u{301}', '\u{309}', '\u{303}', '\u{323}', '\u{306}', '\u{302}', '\u{31B}',
];

/// The canonical composition pairs of the Vietnamese letters, from their Unicode
/// decomposition mappings: each base, then the letter it makes with each of [`MARKS`]
/// (`-` for none). Note `ặ ậ ệ ộ` are the dotted letter plus breve or circumflex, while
/// `ợ ự` are the horned letter plus dot — Unicode's choice, which composition must follow.
const PAIRS: [(char, &str); 30] = [
    ('a', "àáảãạăâ-"),
    ('ă', "ằắẳẵ----"),
    ('â', "ầấẩẫ----"),
    ('ạ', "-----ặậ-"),
    ('e', "èéẻẽẹ-ê-"),
    ('ê', "ềếểễ----"),
    ('ẹ', "------ệ-"),
    ('i', "ìíỉĩị---"),
    ('o', "òóỏõọ-ôơ"),
    ('ô', "ồốổỗ----"),
    ('ọ', "------ộ-"),
    ('ơ', "ờớởỡợ---"),
    ('u', "ùúủũụ--ư"),
    ('ư', "ừứửữự---"),
    ('y', "ỳýỷỹỵ---"),
    ('A', "ÀÁẢÃẠĂÂ-"),
    ('Ă', "ẰẮẲẴ----"),
    ('Â', "ẦẤẨẪ----"),
    ('Ạ', "-----ẶẬ-"),
    ('E', "ÈÉẺẼẸ-Ê-"),
    ('Ê', "ỀẾỂỄ----"),
    ('Ẹ', "------Ệ-"),
    ('I', "ÌÍỈĨỊ---"),
    ('O', "ÒÓỎÕỌ-ÔƠ"),
    ('Ô', "ỒỐỔỖ----"),
    ('Ọ', "------Ộ-"),
    ('Ơ', "ỜỚỞỠỢ---"),
    ('U', "ÙÚỦŨỤ--Ư"),
    ('Ư', "ỪỨỬỮỰ---"),
    ('Y', "ỲÝỶỸỴ---"),
];

/// The canonical combining class of a Vietnamese mark (`None` for anything else).
fn combining_class(c: char) -> Option<u8> {
    match c {
        '\u{31B}' => Some(216),
        '\u{323}' => Some(220),
        c if MARKS.contains(&c) => Some(230),
        _ => None,
    }
}

fn compose_pair(base: char, mark: char) -> Option<char> {
    let at = MARKS.iter().position(|&m| m == mark)?;
    let (_, row) = PAIRS.iter().find(|(b, _)| *b == base)?;
    row.chars().nth(at).filter(|&c| c != '-')
}

fn decompose_pair(letter: char) -> Option<(char, char)> {
    PAIRS.iter().find_map(|&(base, row)| {
        row.chars()
            .zip(MARKS)
            // `-` marks "no letter" in the table; a real hyphen is not a letter.
            .find(|&(c, _)| c == letter && c != '-')
            .map(|(_, mark)| (base, mark))
    })
}

/// Unicode normalisation to NFC (UAX #15) restricted to the Vietnamese letters: decompose,
/// order each run of marks by combining class, recompose what is not blocked. Any other
/// character is treated as a starter and left alone, so the result is always canonically
/// equivalent to the input, and it is the NFC form whenever only Vietnamese marks occur.
fn compose_vietnamese(line: &str) -> Vec<char> {
    let mut chars = Vec::with_capacity(line.len());
    for c in line.chars() {
        let mut base = c;
        let mut marks = Vec::new();
        while let Some((b, mark)) = decompose_pair(base) {
            marks.push(mark);
            base = b;
        }
        chars.push(base);
        chars.extend(marks.into_iter().rev());
    }
    // Canonical ordering: a stable sort of each run of marks by combining class.
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && combining_class(chars[i]).is_some() {
            i += 1;
        }
        chars[start..i].sort_by_key(|&c| combining_class(c));
        i = i.max(start + 1);
    }
    // Canonical composition: a mark joins the last starter unless a mark left between
    // them has the same or a higher class.
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut starter = None;
    let mut last_class = 0;
    for c in chars {
        let Some(class) = combining_class(c) else {
            starter = Some(out.len());
            last_class = 0;
            out.push(c);
            continue;
        };
        if let Some(s) = starter
            && last_class < class
            && let Some(composed) = compose_pair(out[s], c)
        {
            out[s] = composed;
            continue;
        }
        last_class = class;
        out.push(c);
    }
    out
}

/// Six uppercase letters that name this subset (§9.6.4), a function of the glyphs kept, so
/// that different subsets of the same font in one document get different names.
fn subset_tag(glyphs: &BTreeMap<u16, (char, u16)>) -> String {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for (cid, (_, old)) in glyphs {
        ctx.update(&cid.to_be_bytes());
        ctx.update(&old.to_be_bytes());
    }
    let digest = ctx.finish();
    digest.as_ref()[..6]
        .iter()
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

/// Where the text goes in the appearance.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Layout {
    width: f64,
    height: f64,
    font_size: f64,
    /// Distance between baselines, in points.
    leading: f64,
    /// Baseline of the first line, from the bottom.
    first_baseline: f64,
}

impl Layout {
    /// The largest font size at which the text fits `width` x `height` inside the padding.
    fn fit(
        font: &Font<'_>,
        shaped: &Shaped,
        width: f64,
        height: f64,
    ) -> Result<Layout, StampError> {
        let invalid = StampError::InvalidSize { width, height };
        if !(width.is_finite() && height.is_finite()) {
            return Err(invalid);
        }
        let (room_w, room_h) = (width - 2.0 * PADDING, height - 2.0 * PADDING);
        if room_w <= 0.0 || room_h <= 0.0 {
            return Err(invalid);
        }
        // Per point of font size: the widest line, and the height of the lines stacked.
        let widest = shaped
            .lines
            .iter()
            .map(|l| font.line_width(l))
            .fold(0.0, f64::max)
            / 1000.0;
        let line_height = (font.ascent() - font.descent()) / 1000.0;
        let stacked = line_height * shaped.lines.len() as f64;
        let mut size = MAX_FONT_SIZE;
        if widest > 0.0 {
            size = size.min(room_w / widest);
        }
        if stacked > 0.0 {
            size = size.min(room_h / stacked);
        }
        // Two decimals are what the content stream carries; round down so it still fits.
        let size = (size * 100.0).floor() / 100.0;
        if size < MIN_FONT_SIZE {
            return Err(StampError::DoesNotFit { width, height });
        }
        Ok(Layout {
            width,
            height,
            font_size: size,
            leading: line_height * size,
            first_baseline: height - PADDING - font.ascent() / 1000.0 * size,
        })
    }

    /// The appearance's content stream: the frame, then the lines as 2-byte CIDs.
    fn content(&self, shaped: &Shaped, subset: &Subset) -> Vec<u8> {
        let mut out = String::new();
        let half = FRAME_WIDTH / 2.0;
        let _ = writeln!(
            out,
            "q {} w 0.55 0.6 0.7 RG {} {} {} {} re S Q",
            num(FRAME_WIDTH),
            num(half),
            num(half),
            num(self.width - FRAME_WIDTH),
            num(self.height - FRAME_WIDTH),
        );
        let _ = writeln!(
            out,
            "BT 0.1 0.15 0.35 rg /{FONT_RESOURCE} {} Tf {} {} Td",
            num(self.font_size),
            num(PADDING),
            num(self.first_baseline),
        );
        for (i, line) in shaped.lines.iter().enumerate() {
            if i > 0 {
                let _ = writeln!(out, "0 {} Td", num(-self.leading));
            }
            if line.is_empty() {
                continue;
            }
            out.push('<');
            for (_, old) in line {
                let _ = write!(out, "{:04X}", subset.cids[old]);
            }
            out.push_str("> Tj\n");
        }
        out.push_str("ET\n");
        out.into_bytes()
    }
}

/// A number for a content stream: at most three decimals, no exponent.
pub(crate) fn num(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A stream holding `data` compressed with `/FlateDecode`.
pub(crate) fn deflated(dict: Dict, data: &[u8]) -> Object {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = encoder
        .write_all(data)
        .and_then(|()| encoder.finish())
        .expect("deflating into a vector cannot fail");
    Object::Stream(Stream {
        dict: dict.with("Filter", Object::name("FlateDecode")),
        data: StreamData::Bytes(compressed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> StampText {
        StampText::new([
            "Ký bởi: Nguyễn Thị Lan",
            "Thời gian: 30/11/2026 14:05 (GMT+7)",
            "Lý do: Phê duyệt hợp đồng",
            "Nơi ký: Hà Nội",
        ])
    }

    #[test]
    fn precomposed_vietnamese_has_glyphs() {
        let font = Font::regular().unwrap();
        assert_eq!(font.postscript_name, "NotoSans-Regular");
        let shaped = font.shape(&lines()).unwrap();
        assert_eq!(
            shaped.lines[0].len(),
            "Ký bởi: Nguyễn Thị Lan".chars().count()
        );
        // "ễ" is one precomposed glyph, not "e" with marks.
        let e = font.face.glyph_index('ễ').unwrap().0;
        assert!(shaped.lines[0].iter().any(|&(c, g)| c == 'ễ' && g == e));
        assert_ne!(e, font.face.glyph_index('e').unwrap().0);
    }

    fn composed(s: &str) -> String {
        compose_vietnamese(s).into_iter().collect()
    }

    #[test]
    fn vietnamese_letters_compose_as_nfc_does() {
        // Expected values from Python's unicodedata.normalize("NFC", …).
        for (input, nfc) in [
            ("Nguye\u{302}\u{303}n Thi\u{323} Lan", "Nguyễn Thị Lan"),
            // Dot below sorts before the circumflex; ậ is ạ + circumflex.
            ("a\u{302}\u{323}", "ậ"),
            ("â\u{323}", "ậ"),
            ("E\u{323}\u{302}", "Ệ"),
            // Horn sorts before dot below; ợ is ơ + dot below.
            ("o\u{323}\u{31B}", "ợ"),
            ("u\u{301}\u{31B}", "ứ"),
            ("Ư\u{300}", "Ừ"),
            // Two marks of class 230: the later is blocked by the earlier.
            ("a\u{301}\u{302}", "á\u{302}"),
            ("a\u{323}\u{301}", "ạ\u{301}"),
            ("e\u{301}\u{301}", "é\u{301}"),
            // Marks with nothing to attach to, and letters outside Vietnamese, stay.
            ("\u{301}a", "\u{301}a"),
            ("x\u{301} đ Đ", "x\u{301} đ Đ"),
            // The table's "no letter" placeholder is not a letter: hyphens stay hyphens.
            ("Độc lập - Tự do - Hạnh phúc", "Độc lập - Tự do - Hạnh phúc"),
            ("-\u{31B}", "-\u{31B}"),
        ] {
            assert_eq!(composed(input), nfc, "{input:?}");
        }
        // Every Vietnamese letter survives decomposition and recomposition, and NFC text is
        // left as it is.
        for (base, row) in PAIRS {
            for letter in std::iter::once(base).chain(row.chars().filter(|&c| c != '-')) {
                let mut nfd = vec![letter];
                while let Some((b, m)) = decompose_pair(nfd[0]) {
                    nfd[0] = b;
                    nfd.insert(1, m);
                }
                nfd[1..].sort_by_key(|&c| combining_class(c));
                let nfd: String = nfd.into_iter().collect();
                assert_eq!(composed(&nfd), letter.to_string(), "{nfd:?}");
                assert_eq!(composed(&letter.to_string()), letter.to_string());
            }
        }
        for line in lines().lines {
            assert_eq!(composed(&line), line);
        }
    }

    #[test]
    fn decomposed_text_draws_precomposed_glyphs() {
        let font = Font::regular().unwrap();
        let nfc = font.shape(&StampText::new(["Nguyễn Thị Lan"])).unwrap();
        let nfd = font
            .shape(&StampText::new(["Nguye\u{302}\u{303}n Thi\u{323} Lan"]))
            .unwrap();
        assert_eq!(nfc.lines, nfd.lines);
        // Other marks are drawn as the font's zero-width mark glyphs.
        let other = font.shape(&StampText::new(["x\u{301}"])).unwrap();
        assert_eq!(other.lines[0].len(), 2);
        assert_eq!(font.advance(other.lines[0][1].1), 0.0);
    }

    #[test]
    fn missing_glyphs_are_errors() {
        let font = Font::regular().unwrap();
        let err = font
            .shape(&StampText::new(["Ký bởi", "漢字"]))
            .err()
            .unwrap();
        assert!(
            matches!(err, StampError::MissingGlyph { ch: '漢', line: 2 }),
            "{err}"
        );
        assert!(err.to_string().contains("U+6F22"), "{err}");
        let err = font.shape(&StampText::new(["a\tb"])).err().unwrap();
        assert!(matches!(
            err,
            StampError::MissingGlyph { ch: '\t', line: 1 }
        ));
    }

    #[test]
    fn layout_shrinks_to_fit_and_refuses_below_the_minimum() {
        let font = Font::regular().unwrap();
        let shaped = font.shape(&lines()).unwrap();
        let roomy = Layout::fit(&font, &shaped, 400.0, 120.0).unwrap();
        assert_eq!(roomy.font_size, MAX_FONT_SIZE);
        let narrow = Layout::fit(&font, &shaped, 150.0, 120.0).unwrap();
        assert!(narrow.font_size < MAX_FONT_SIZE && narrow.font_size >= MIN_FONT_SIZE);
        let widest = shaped
            .lines
            .iter()
            .map(|l| font.line_width(l))
            .fold(0.0, f64::max);
        assert!(widest / 1000.0 * narrow.font_size <= 150.0 - 2.0 * PADDING);
        let low = Layout::fit(&font, &shaped, 400.0, 40.0).unwrap();
        let bottom =
            low.first_baseline - 3.0 * low.leading + font.descent() / 1000.0 * low.font_size;
        assert!(bottom >= PADDING - 1e-9, "{low:?}");
        assert!(matches!(
            Layout::fit(&font, &shaped, 60.0, 120.0),
            Err(StampError::DoesNotFit { .. })
        ));
        for (w, h) in [(0.0, 50.0), (f64::NAN, 50.0), (100.0, 5.0), (-1.0, -1.0)] {
            assert!(matches!(
                Layout::fit(&font, &shaped, w, h),
                Err(StampError::InvalidSize { .. })
            ));
        }
    }

    #[test]
    fn subset_keeps_cids_and_maps_them_back_to_text() {
        let font = Font::regular().unwrap();
        let shaped = font.shape(&lines()).unwrap();
        let subset = font.subset(&shaped).unwrap();
        assert!(
            subset.program.len() < REGULAR.len() / 10,
            "{}",
            subset.program.len()
        );
        assert_eq!(subset.tag.len(), 6);
        assert!(subset.tag.bytes().all(|b| b.is_ascii_uppercase()));

        // The subset font draws, under each CID, the glyph the text asked for.
        let sub = ttf_parser::Face::parse(&subset.program, 0).unwrap();
        for (&cid, &(_, old)) in &subset.glyphs {
            assert_eq!(
                sub.glyph_hor_advance(ttf_parser::GlyphId(cid)),
                font.face.glyph_hor_advance(ttf_parser::GlyphId(old)),
            );
            assert_eq!(
                sub.glyph_bounding_box(ttf_parser::GlyphId(cid)),
                font.face.glyph_bounding_box(ttf_parser::GlyphId(old)),
            );
        }

        let cmap = subset.to_unicode();
        let e = subset.cids[&font.face.glyph_index('ễ').unwrap().0];
        assert!(cmap.contains(&format!("<{e:04X}> <1EC5>")), "{cmap}");
        let distinct: std::collections::BTreeSet<char> =
            lines().lines.iter().flat_map(|l| l.chars()).collect();
        assert_eq!(subset.glyphs.len(), distinct.len());
    }

    #[test]
    fn numbers_are_plain() {
        assert_eq!(num(10.0), "10");
        assert_eq!(num(0.25), "0.25");
        assert_eq!(num(-13.6249), "-13.625");
        assert_eq!(num(-0.0001), "0");
    }
}

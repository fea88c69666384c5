//! Applications (the citizen's filled-in form of an administrative procedure) rendered as
//! an A4 PDF with correct Vietnamese text, ready to be signed with [`crate::pades`].
//!
//! The text is set in the same embedded, subset Noto Sans as the visible stamps
//! ([`crate::stamp`]): `Type0` / `Identity-H` fonts with a `/ToUnicode` CMap, so the text
//! extracts exactly. Long values are wrapped at spaces by measuring the glyph advances,
//! and by character when a word is wider than the line; a new page starts when one is
//! full, and every page carries "Trang i/n". The layout follows the usual Vietnamese
//! form: the national motto centred, the title, the addressee, sections of "label: value"
//! rows, the declaration, and a signature area whose rectangle is returned so that the
//! citizen's visible PAdES stamp can be put there.
//!
//! Text the font cannot show (or a control character other than a line break or a tab) is
//! a [`DocError::Render`] naming the field, never silently dropped.

use crate::DocError;
use crate::pades::Placement;
use crate::stamp::{Font, ObjectSink, Shaped, deflated, num};
use kyso_pdf::{Dict, ObjRef, Object};
use std::fmt::Write as _;

/// A4 width, in points.
pub const PAGE_WIDTH: f64 = 595.28;
/// A4 height, in points.
pub const PAGE_HEIGHT: f64 = 841.89;
/// Margins, in points: 20 mm left, 15 mm right, 20 mm top and bottom.
const LEFT: f64 = 56.69;
const RIGHT: f64 = 42.52;
const TOP: f64 = 56.69;
const BOTTOM: f64 = 56.69;
/// Baseline of the page number.
const FOOTER_BASELINE: f64 = 28.0;
const TEXT_WIDTH: f64 = PAGE_WIDTH - LEFT - RIGHT;
/// Indent of the rows under a section heading.
const ROW_INDENT: f64 = 10.0;

const MOTTO_SIZE: f64 = 12.0;
const TITLE_SIZE: f64 = 14.0;
const BODY_SIZE: f64 = 11.0;
const FOOTER_SIZE: f64 = 9.0;
/// Distance between baselines, as a multiple of the font size.
const LEADING: f64 = 1.4;

/// The signature area left blank for the visible stamp, in points.
pub const SIGNATURE_WIDTH: f64 = 200.0;
/// Height of the signature area, in points.
pub const SIGNATURE_HEIGHT: f64 = 70.0;

/// National motto, the first two lines of every application.
pub const MOTTO: [&str; 2] = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
];

/// An application to render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Application {
    /// Title, e.g. "TỜ KHAI ĐĂNG KÝ KHAI SINH".
    pub title: String,
    /// The procedure's code in the national catalogue, e.g. "1.001193".
    pub procedure_code: String,
    /// The agency the application is addressed to ("Kính gửi").
    pub agency: String,
    /// The receipt number, once the dossier has one.
    pub receipt: Option<String>,
    /// Sections: a heading and its (label, value) rows.
    pub sections: Vec<(String, Vec<(String, String)>)>,
    /// The applicant's declaration ("Tôi cam đoan …").
    pub declaration: String,
    /// Place and date line, e.g. "Huế, ngày 30 tháng 11 năm 2026".
    pub place_date: String,
    /// The applicant's full name, printed under the signature area.
    pub applicant: String,
}

/// A rendered application.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// Number of pages.
    pub pages: usize,
    /// The blank signature area (page from 1, rectangle in points), ready to be the
    /// `visible` placement of a [`crate::pades::SignatureRequest`].
    pub signature_box: Placement,
}

/// Renders `app` as an A4 PDF of one or more pages.
pub fn render_application(app: &Application) -> Result<Rendered, DocError> {
    let fonts = Fonts::load()?;
    let mut l = Layout::new(&fonts);

    for (i, line) in MOTTO.iter().enumerate() {
        let glyphs = fonts.run(Face::Bold, line, "motto")?;
        l.centred(glyphs, MOTTO_SIZE, LEFT, TEXT_WIDTH);
        if i == 1 {
            // The short rule under "Độc lập - Tự do - Hạnh phúc".
            let w = fonts.width(&fonts.run(Face::Bold, line, "motto")?) * MOTTO_SIZE / 1000.0;
            let y = l.y + MOTTO_SIZE * 0.25;
            let x = LEFT + (TEXT_WIDTH - w) / 2.0;
            l.rule(x, x + w, y);
        }
    }
    l.space(BODY_SIZE * 1.5);

    let title = fonts.run(Face::Bold, &app.title, "title")?;
    for line in fonts.wrap(&title, TITLE_SIZE, TEXT_WIDTH) {
        l.centred(line, TITLE_SIZE, LEFT, TEXT_WIDTH);
    }
    l.space(BODY_SIZE * 0.5);

    let mut header = vec![
        ("Kính gửi", app.agency.as_str()),
        ("Mã thủ tục", app.procedure_code.as_str()),
    ];
    if let Some(receipt) = &app.receipt {
        header.push(("Số biên nhận", receipt.as_str()));
    }
    for (label, value) in header {
        let glyphs = fonts.labelled(label, value, label)?;
        l.paragraph(&glyphs, BODY_SIZE, LEFT, TEXT_WIDTH);
    }

    for (heading, rows) in &app.sections {
        l.space(BODY_SIZE * 0.6);
        let glyphs = fonts.run(Face::Bold, heading, heading)?;
        // Keep a heading with its first row.
        l.ensure(BODY_SIZE * LEADING * 2.0);
        l.paragraph(&glyphs, BODY_SIZE, LEFT, TEXT_WIDTH);
        for (label, value) in rows {
            let glyphs = fonts.labelled(label, value, label)?;
            l.paragraph(
                &glyphs,
                BODY_SIZE,
                LEFT + ROW_INDENT,
                TEXT_WIDTH - ROW_INDENT,
            );
        }
    }

    if !app.declaration.is_empty() {
        l.space(BODY_SIZE * 0.6);
        let glyphs = fonts.run(Face::Regular, &app.declaration, "declaration")?;
        l.paragraph(&glyphs, BODY_SIZE, LEFT, TEXT_WIDTH);
    }

    // The signature block, in the right half.
    l.space(BODY_SIZE);
    let col_x = LEFT + TEXT_WIDTH / 2.0;
    let col_w = TEXT_WIDTH / 2.0;
    let place = fonts.wrap(
        &fonts.run(Face::Regular, &app.place_date, "place and date")?,
        BODY_SIZE,
        col_w,
    );
    let who = fonts.run(Face::Bold, "NGƯỜI LÀM ĐƠN", "signature")?;
    let hint = fonts.run(Face::Regular, "(Ký, ghi rõ họ tên)", "signature")?;
    let name = fonts.wrap(
        &fonts.run(Face::Bold, &app.applicant, "applicant")?,
        BODY_SIZE,
        col_w,
    );
    let line_h = BODY_SIZE * LEADING;
    let block = line_h * (place.len() + 2 + name.len()) as f64 + SIGNATURE_HEIGHT + 8.0;
    l.ensure(block.min(PAGE_HEIGHT - TOP - BOTTOM));
    for line in place {
        l.centred(line, BODY_SIZE, col_x, col_w);
    }
    l.centred(who, BODY_SIZE, col_x, col_w);
    l.centred(hint, BODY_SIZE, col_x, col_w);
    l.ensure(SIGNATURE_HEIGHT + 8.0);
    let x1 = col_x + (col_w - SIGNATURE_WIDTH) / 2.0;
    let y2 = l.y - 4.0;
    let signature_box = Placement {
        page: l.pages.len(),
        rect: [
            round2(x1),
            round2(y2 - SIGNATURE_HEIGHT),
            round2(x1 + SIGNATURE_WIDTH),
            round2(y2),
        ],
    };
    l.space(SIGNATURE_HEIGHT + 8.0);
    for line in name {
        l.centred(line, BODY_SIZE, col_x, col_w);
    }

    let pdf = write_pdf(&fonts, l.pages, &app.title)?;
    Ok(Rendered {
        pages: pdf.1,
        pdf: pdf.0,
        signature_box,
    })
}

/// The two faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    fn index(self) -> usize {
        match self {
            Face::Regular => 0,
            Face::Bold => 1,
        }
    }

    fn resource(self) -> &'static str {
        match self {
            Face::Regular => "F1",
            Face::Bold => "F2",
        }
    }
}

/// One glyph of a face, with its character and advance (thousandths of the em).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Glyph {
    face: Face,
    ch: char,
    gid: u16,
    advance: f64,
}

/// Marks a hard line break inside a run of glyphs.
const BREAK: char = '\n';

struct Fonts {
    faces: [Font<'static>; 2],
}

impl Fonts {
    fn load() -> Result<Self, DocError> {
        let err = |e: crate::stamp::StampError| DocError::Render(e.to_string());
        Ok(Fonts {
            faces: [Font::regular().map_err(err)?, Font::bold().map_err(err)?],
        })
    }

    /// `text` as glyphs of `face`: line breaks (LF, CR LF, CR) kept as [`BREAK`], tabs as
    /// spaces; anything else the font cannot show is an error naming `field`.
    fn run(&self, face: Face, text: &str, field: &str) -> Result<Vec<Glyph>, DocError> {
        let font = &self.faces[face.index()];
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut out = Vec::new();
        for (i, segment) in text.split('\n').enumerate() {
            if i > 0 {
                out.push(Glyph {
                    face,
                    ch: BREAK,
                    gid: 0,
                    advance: 0.0,
                });
            }
            let segment = segment.replace('\t', " ");
            let shaped = font.shape_line(&segment).map_err(|ch| {
                DocError::Render(format!(
                    "{field:?}: the font has no glyph for {ch:?} (U+{:04X})",
                    u32::from(ch)
                ))
            })?;
            out.extend(shaped.into_iter().map(|(ch, gid)| Glyph {
                face,
                ch,
                gid,
                advance: font.advance(gid),
            }));
        }
        Ok(out)
    }

    /// "label: value", the label regular and the value bold.
    fn labelled(&self, label: &str, value: &str, field: &str) -> Result<Vec<Glyph>, DocError> {
        let mut glyphs = self.run(Face::Regular, &format!("{label}: "), field)?;
        glyphs.extend(self.run(Face::Bold, value, field)?);
        Ok(glyphs)
    }

    /// Width in thousandths of the em.
    fn width(&self, glyphs: &[Glyph]) -> f64 {
        glyphs.iter().map(|g| g.advance).sum()
    }

    /// Greedy line breaking at spaces, by character for words wider than the line, and at
    /// hard breaks. Spaces at a break are dropped. Always at least one line.
    fn wrap(&self, glyphs: &[Glyph], size: f64, width: f64) -> Vec<Vec<Glyph>> {
        let room = width * 1000.0 / size;
        let mut lines = Vec::new();
        for hard in glyphs.split(|g| g.ch == BREAK) {
            let mut line: Vec<Glyph> = Vec::new();
            let mut line_w = 0.0;
            let mut spaces: Vec<Glyph> = Vec::new();
            let mut i = 0;
            while i < hard.len() {
                let is_space = hard[i].ch == ' ';
                let start = i;
                while i < hard.len() && (hard[i].ch == ' ') == is_space {
                    i += 1;
                }
                let token = &hard[start..i];
                if is_space {
                    if !line.is_empty() {
                        spaces.extend_from_slice(token);
                    }
                    continue;
                }
                let word_w = self.width(token);
                let spaces_w = self.width(&spaces);
                if line_w + spaces_w + word_w <= room {
                    line.append(&mut spaces);
                    line.extend_from_slice(token);
                    line_w += spaces_w + word_w;
                    continue;
                }
                spaces.clear();
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                if word_w <= room {
                    line.extend_from_slice(token);
                    line_w = word_w;
                    continue;
                }
                for &g in token {
                    if line_w + g.advance > room && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        line_w = 0.0;
                    }
                    line.push(g);
                    line_w += g.advance;
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// A line of glyphs at a position.
struct Placed {
    x: f64,
    baseline: f64,
    size: f64,
    glyphs: Vec<Glyph>,
}

#[derive(Default)]
struct Page {
    text: Vec<Placed>,
    graphics: String,
}

/// Pages being filled top-down.
struct Layout<'f> {
    fonts: &'f Fonts,
    pages: Vec<Page>,
    /// Top of the space left on the current page.
    y: f64,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Layout {
            fonts,
            pages: vec![Page::default()],
            y: PAGE_HEIGHT - TOP,
        }
    }

    /// Starts a new page unless `height` points are left on this one.
    fn ensure(&mut self, height: f64) {
        if self.y - height < BOTTOM {
            self.pages.push(Page::default());
            self.y = PAGE_HEIGHT - TOP;
        }
    }

    fn space(&mut self, height: f64) {
        self.y -= height;
        if self.y < BOTTOM {
            self.ensure(f64::INFINITY);
        }
    }

    fn line(&mut self, glyphs: Vec<Glyph>, size: f64, x: f64) {
        let leading = size * LEADING;
        self.ensure(leading);
        let ascent = self.fonts.faces[0].ascent() / 1000.0 * size;
        let baseline = self.y - ascent.min(leading);
        self.y -= leading;
        if let Some(page) = self.pages.last_mut() {
            page.text.push(Placed {
                x,
                baseline,
                size,
                glyphs,
            });
        }
    }

    fn centred(&mut self, glyphs: Vec<Glyph>, size: f64, x: f64, width: f64) {
        let w = self.fonts.width(&glyphs) * size / 1000.0;
        self.line(glyphs, size, x + ((width - w) / 2.0).max(0.0));
    }

    /// A wrapped paragraph, kept on one page unless it is longer than a page.
    fn paragraph(&mut self, glyphs: &[Glyph], size: f64, x: f64, width: f64) {
        let lines = self.fonts.wrap(glyphs, size, width);
        let height = lines.len() as f64 * size * LEADING;
        if height <= PAGE_HEIGHT - TOP - BOTTOM {
            self.ensure(height);
        }
        for line in lines {
            self.line(line, size, x);
        }
    }

    fn rule(&mut self, x1: f64, x2: f64, y: f64) {
        if let Some(page) = self.pages.last_mut() {
            let _ = writeln!(
                page.graphics,
                "0.6 w {} {} m {} {} l S",
                num(x1),
                num(y),
                num(x2),
                num(y)
            );
        }
    }
}

/// A new document's objects, numbered from 1.
#[derive(Default)]
struct Objects {
    objects: Vec<Object>,
}

impl ObjectSink for Objects {
    fn add_object(&mut self, object: Object) -> ObjRef {
        self.objects.push(object);
        ObjRef::new(self.objects.len() as u32)
    }
}

impl Objects {
    fn reserve(&mut self) -> ObjRef {
        self.add_object(Object::Null)
    }

    fn set(&mut self, r: ObjRef, object: Object) {
        self.objects[r.num as usize - 1] = object;
    }

    /// The file: header, objects, cross-reference table, trailer.
    fn serialise(&self, root: ObjRef, info: ObjRef) -> Vec<u8> {
        let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets = Vec::with_capacity(self.objects.len());
        for (i, object) in self.objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            object.write_to(&mut out);
            out.extend_from_slice(b"\nendobj\n");
        }
        let id = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &out);
        let id = Object::String(id.as_ref()[..16].to_vec());
        let xref = out.len();
        let size = self.objects.len() + 1;
        let mut table = format!("xref\n0 {size}\n0000000000 65535 f \n");
        for offset in offsets {
            let _ = writeln!(table, "{offset:010} 00000 n ");
        }
        out.extend_from_slice(table.as_bytes());
        out.extend_from_slice(b"trailer\n");
        Object::Dict(
            Dict::new()
                .with("Size", Object::Int(size as i64))
                .with("Root", Object::Ref(root))
                .with("Info", Object::Ref(info))
                .with("ID", Object::Array(vec![id.clone(), id])),
        )
        .write_to(&mut out);
        out.extend_from_slice(format!("\nstartxref\n{xref}\n%%EOF\n").as_bytes());
        out
    }
}

/// Adds the page numbers, subsets the fonts, and writes the document. Returns the bytes
/// and the page count.
fn write_pdf(
    fonts: &Fonts,
    mut pages: Vec<Page>,
    title: &str,
) -> Result<(Vec<u8>, usize), DocError> {
    let count = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        let glyphs = fonts.run(Face::Regular, &format!("Trang {}/{count}", i + 1), "page")?;
        let w = fonts.width(&glyphs) * FOOTER_SIZE / 1000.0;
        page.text.push(Placed {
            x: LEFT + (TEXT_WIDTH - w) / 2.0,
            baseline: FOOTER_BASELINE,
            size: FOOTER_SIZE,
            glyphs,
        });
    }

    let mut objects = Objects::default();
    let mut font_refs = Vec::new();
    let mut subsets = Vec::new();
    for face in [Face::Regular, Face::Bold] {
        let used: Vec<(char, u16)> = pages
            .iter()
            .flat_map(|p| p.text.iter().flat_map(|t| t.glyphs.iter()))
            .filter(|g| g.face == face)
            .map(|g| (g.ch, g.gid))
            .collect();
        if used.is_empty() {
            subsets.push(None);
            continue;
        }
        let font = &fonts.faces[face.index()];
        let subset = font
            .subset(&Shaped { lines: vec![used] })
            .map_err(|e| DocError::Render(e.to_string()))?;
        font_refs.push((face, subset.add_objects(&mut objects, font)));
        subsets.push(Some(subset));
    }
    let mut font_dict = Dict::new();
    for (face, r) in &font_refs {
        font_dict.set(face.resource(), Object::Ref(*r));
    }
    let resources = Object::Dict(Dict::new().with("Font", Object::Dict(font_dict)));

    let pages_ref = objects.reserve();
    let mut kids = Vec::new();
    for page in &pages {
        let mut content = page.graphics.clone();
        for placed in &page.text {
            let _ = write!(content, "BT {} {} Td", num(placed.x), num(placed.baseline));
            let mut current = None;
            for g in &placed.glyphs {
                if current != Some(g.face) {
                    if current.is_some() {
                        content.push_str("> Tj");
                    }
                    let _ = write!(content, " /{} {} Tf <", g.face.resource(), num(placed.size));
                    current = Some(g.face);
                }
                let cid = subsets[g.face.index()]
                    .as_ref()
                    .and_then(|s| s.cids.get(&g.gid))
                    .copied()
                    .unwrap_or(0);
                let _ = write!(content, "{cid:04X}");
            }
            if current.is_some() {
                content.push_str("> Tj");
            }
            content.push_str(" ET\n");
        }
        let content_ref = objects.add_object(deflated(Dict::new(), content.as_bytes()));
        kids.push(Object::Ref(
            objects.add_object(Object::Dict(
                Dict::new()
                    .with("Type", Object::name("Page"))
                    .with("Parent", Object::Ref(pages_ref))
                    .with(
                        "MediaBox",
                        Object::Array(vec![
                            Object::Int(0),
                            Object::Int(0),
                            Object::Real(PAGE_WIDTH),
                            Object::Real(PAGE_HEIGHT),
                        ]),
                    )
                    .with("Resources", resources.clone())
                    .with("Contents", Object::Ref(content_ref)),
            )),
        ));
    }
    objects.set(
        pages_ref,
        Object::Dict(
            Dict::new()
                .with("Type", Object::name("Pages"))
                .with("Count", Object::Int(count as i64))
                .with("Kids", Object::Array(kids)),
        ),
    );
    let root = objects.add_object(Object::Dict(
        Dict::new()
            .with("Type", Object::name("Catalog"))
            .with("Pages", Object::Ref(pages_ref))
            .with("Lang", Object::text("vi-VN")),
    ));
    let info = objects.add_object(Object::Dict(
        Dict::new()
            .with("Title", Object::text(title))
            .with("Producer", Object::text("kyso")),
    ));
    Ok((objects.serialise(root, info), count))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

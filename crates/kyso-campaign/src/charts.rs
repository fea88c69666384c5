//! Server-rendered inline SVG charts for the campaign dashboard.
//!
//! Every builder is a pure function returning a complete, well-formed
//! `<svg xmlns="http://www.w3.org/2000/svg" …>` element meant to be inlined
//! in HTML (no JavaScript, no external resources, no CSS that could leak
//! into the page):
//!
//! - the root carries a `viewBox` plus `width="100%"` and
//!   `style="max-width:…px;height:auto"`, so a chart shrinks to a 360 px phone
//!   and does not blow up on a desktop; view boxes are kept narrow (≈ 400
//!   units) so that 11-unit text stays ≈ 10 px on a phone;
//! - `role="img"`, a `<title>` and a `<desc>` (first children) describe the
//!   chart to screen readers; individual marks carry `<title>` tooltips;
//! - all text is XML-escaped with [`escape`], all numbers are printed with
//!   [`crate::format`] (Vietnamese grouping and decimal comma), numeric
//!   attributes have at most one decimal.
//!
//! Coverage colours come from [`coverage_colour`], whose scale is exposed as
//! the `COLOUR_*` constants and [`coverage_legend`].

use std::fmt::Write as _;

use crate::format;

/// Font stack set on every chart's root element.
pub const FONT_FAMILY: &str = "Noto Sans, system-ui, sans-serif";

/// Share below 50 % of the target.
pub const COLOUR_FAR_BELOW: &str = "#c62828";
/// Share from 50 % to below 80 % of the target.
pub const COLOUR_BELOW: &str = "#ef6c00";
/// Share from 80 % to below 100 % of the target.
pub const COLOUR_NEAR: &str = "#9e9d24";
/// Target reached.
pub const COLOUR_REACHED: &str = "#2e7d32";
/// No adults known (share undefined).
pub const COLOUR_NO_DATA: &str = "#9e9e9e";

/// Colour-blind-safe categorical palette (Okabe–Ito) used by
/// [`stacked_bar`]; parts beyond its length reuse it cyclically.
pub const PALETTE: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
];

/// Message drawn instead of a chart when there is nothing to show.
pub const NO_DATA_MESSAGE: &str = "Chưa có số liệu";

const TEXT: &str = "#212121";
const MUTED: &str = "#616161";
const GRID: &str = "#e0e0e0";
const TRACK: &str = "#f2f2f2";
const LINE: &str = "#1565c0";
const FONT_SIZE: f64 = 11.0;

// ---------------------------------------------------------------------------
// Public data types
// ---------------------------------------------------------------------------

/// One commune's bar.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommuneBar {
    /// Commune code; appended to `link_prefix` for the row link.
    pub code: String,
    /// Display name, e.g. "Phường Thuận Hóa".
    pub name: String,
    /// Adults holding a valid certificate.
    pub covered: u64,
    /// Adults living in the commune.
    pub adults: u64,
}

/// One daily point of the province's covered count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TrendPoint {
    /// Days since 1970-01-01 (Vietnamese calendar day).
    pub day: i64,
    /// Covered adults on that day.
    pub covered: u64,
}

/// One commune placed on the map.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MapPoint {
    /// Commune code; appended to `link_prefix` for the circle link.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Latitude in degrees (north positive).
    pub lat: f64,
    /// Longitude in degrees (east positive).
    pub lon: f64,
    /// Adults holding a valid certificate.
    pub covered: u64,
    /// Adults living in the commune.
    pub adults: u64,
}

// ---------------------------------------------------------------------------
// Colour scale
// ---------------------------------------------------------------------------

/// Colour for a share relative to target: returns a CSS hex colour.
///
/// `ratio = (covered / adults) / (target_permille / 1000)`:
/// `< 0.5` → [`COLOUR_FAR_BELOW`] (#c62828), `0.5–0.8` → [`COLOUR_BELOW`]
/// (#ef6c00), `0.8–1.0` → [`COLOUR_NEAR`] (#9e9d24), `≥ 1` →
/// [`COLOUR_REACHED`] (#2e7d32); lower bounds are inclusive. `adults == 0` →
/// [`COLOUR_NO_DATA`] (#9e9e9e). A target of 0 is always reached. The
/// comparison is exact (integer arithmetic), so a share exactly at a
/// threshold falls in the upper band.
pub fn coverage_colour(covered: u64, adults: u64, target_permille: u32) -> &'static str {
    if adults == 0 {
        return COLOUR_NO_DATA;
    }
    // ratio >= k/10  ⇔  covered * 1000 * 10 >= adults * target * k
    let lhs = u128::from(covered) * 10_000;
    let rhs = u128::from(adults) * u128::from(target_permille);
    if lhs < rhs * 5 {
        COLOUR_FAR_BELOW
    } else if lhs < rhs * 8 {
        COLOUR_BELOW
    } else if lhs < rhs * 10 {
        COLOUR_NEAR
    } else {
        COLOUR_REACHED
    }
}

/// The coverage scale as `(colour, Vietnamese label)` pairs, from worst to
/// best, then "no data"; labels mention the absolute target, e.g.
/// "Đạt mục tiêu (≥ 50 %)".
pub fn coverage_legend(target_permille: u32) -> [(&'static str, String); 5] {
    [
        (COLOUR_FAR_BELOW, "Dưới 50\u{a0}% mục tiêu".to_string()),
        (COLOUR_BELOW, "50–80\u{a0}% mục tiêu".to_string()),
        (COLOUR_NEAR, "80–100\u{a0}% mục tiêu".to_string()),
        (
            COLOUR_REACHED,
            format!(
                "Đạt mục tiêu (≥\u{a0}{})",
                format::permille_percent(target_permille)
            ),
        ),
        (COLOUR_NO_DATA, "Chưa có số dân".to_string()),
    ]
}

// ---------------------------------------------------------------------------
// Low-level helpers
// ---------------------------------------------------------------------------

/// Escapes text for XML content and attribute values: `& < > " '`.
/// Characters that XML 1.0 forbids (C0 controls other than tab, LF, CR, and
/// U+FFFE/U+FFFF) are dropped so the output always stays well-formed.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A number for an attribute: at most one decimal, no trailing `.0`, no
/// `-0`, non-finite values as `0`.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let tenths = (v * 10.0).round();
    if tenths == 0.0 {
        return "0".to_string();
    }
    if tenths % 10.0 == 0.0 {
        format!("{}", tenths / 10.0)
    } else {
        format!("{:.1}", tenths / 10.0)
    }
}

/// Percent-encodes a path segment (keeps RFC 3986 unreserved characters).
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// `href` value (already escaped) for a row link.
fn link_href(prefix: &str, code: &str) -> String {
    escape(&format!("{prefix}{}", encode_segment(code)))
}

/// Shortens `s` to at most `max_chars` characters, ending with `…`, without
/// separating a base letter from following combining marks.
fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars || max_chars == 0 {
        return s.to_string();
    }
    let mut out = String::new();
    let mut count = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        count += 1;
        while let Some(&m) = chars.peek() {
            if is_combining(m) {
                out.push(m);
                chars.next();
            } else {
                break;
            }
        }
        if count + 1 >= max_chars {
            break;
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('…');
    out
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036f | 0x1ab0..=0x1aff | 0x1dc0..=0x1dff | 0x20d0..=0x20ff)
}

/// Rough width of a text in view-box units (average glyph ≈ 0.56 em).
fn text_width(s: &str, font_size: f64) -> f64 {
    let chars = s.chars().filter(|c| !is_combining(*c)).count();
    chars as f64 * font_size * 0.56
}

/// Opens the root element with title and description.
fn open_svg(out: &mut String, width: f64, height: f64, title: &str, desc: &str) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" \
         style=\"max-width:{mw}px;height:auto\" role=\"img\" font-family=\"{FONT_FAMILY}\" \
         font-size=\"{fs}\" fill=\"{TEXT}\"><title>{t}</title><desc>{d}</desc>",
        w = num(width),
        h = num(height),
        mw = num(width * 1.75),
        fs = num(FONT_SIZE),
        t = escape(title),
        d = escape(desc),
    );
}

/// A complete chart containing only a centred message.
fn message_svg(width: f64, height: f64, title: &str, message: &str) -> String {
    let mut out = String::new();
    open_svg(&mut out, width, height, title, message);
    let _ = write!(
        out,
        "<rect x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{GRID}\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{MUTED}\" font-size=\"13\">{}</text></svg>",
        num(width - 1.0),
        num(height - 1.0),
        num(width / 2.0),
        num(height / 2.0 + 4.0),
        escape(message),
    );
    out
}

/// Wraps `inner` in `<a href>` when a link prefix is given.
fn push_linked(out: &mut String, link_prefix: Option<&str>, code: &str, inner: &str) {
    match link_prefix {
        Some(p) => {
            let _ = write!(out, "<a href=\"{}\">{inner}</a>", link_href(p, code));
        }
        None => out.push_str(inner),
    }
}

/// Share as a fraction (may exceed 1); `None` when `adults == 0`.
fn share(covered: u64, adults: u64) -> Option<f64> {
    (adults > 0).then(|| covered as f64 / adults as f64)
}

// ---------------------------------------------------------------------------
// Coverage bars
// ---------------------------------------------------------------------------

const BARS_W: f64 = 420.0;
const BARS_LABEL_RIGHT: f64 = 146.0;
const BARS_X0: f64 = 150.0;
const BARS_LEN: f64 = 210.0;
const BARS_TOP: f64 = 24.0;
const BARS_ROW: f64 = 18.0;
const BARS_BAR_H: f64 = 12.0;
const BARS_BOTTOM: f64 = 22.0;

/// Bars per commune sorted as given, with a vertical dashed target line at
/// `target_permille` (e.g. 500 = 50 %) labelled "Mục tiêu 50 %".
///
/// One row per commune (18 units high, so the chart grows with the number of
/// communes and stays legible for 100+ of them): the name on the left
/// (right-aligned, shortened with "…" when too long — the full name is in the
/// tooltip), a bar whose length is proportional to the share, coloured by
/// [`coverage_colour`], and the value label ("45,3 %") at the bar end.
/// The bar axis runs from 0 to 100 %, extended to the next 10 % when a
/// share or the target exceeds 100 %. Each row has a `<title>` tooltip
/// "Phường Thuận Hóa: 12.345 / 30.000 người (41,2 %)". Bars carry
/// `class="bar"` and the target line `class="target"`. If `link_prefix` is
/// `Some(p)`, each row (name, track and bar) is wrapped in
/// `<a href="{p}{code}">` (the code is percent-encoded); value labels are
/// drawn last, with a white halo, so the target line never hides them. No communes → a chart with the message
/// "Chưa có số liệu".
pub fn coverage_bars(
    bars: &[CommuneBar],
    target_permille: u32,
    link_prefix: Option<&str>,
) -> String {
    let title = "Độ phủ chữ ký số theo xã, phường";
    if bars.is_empty() {
        return message_svg(BARS_W, 80.0, title, NO_DATA_MESSAGE);
    }
    let target = f64::from(target_permille) / 1000.0;
    let max_share = bars
        .iter()
        .filter_map(|b| share(b.covered, b.adults))
        .fold(target, f64::max);
    // Domain in tenths: at least 100 %, rounded up to a multiple of 10 %.
    let domain = if max_share > 1.0 {
        (max_share * 10.0).ceil() / 10.0
    } else {
        1.0
    };
    let x_of = |s: f64| BARS_X0 + s.clamp(0.0, domain) / domain * BARS_LEN;

    let n = bars.len();
    let rows_h = n as f64 * BARS_ROW;
    let height = BARS_TOP + rows_h + BARS_BOTTOM;
    let reached = bars
        .iter()
        .filter(|b| coverage_colour(b.covered, b.adults, target_permille) == COLOUR_REACHED)
        .count();
    let desc = format!(
        "Biểu đồ thanh ngang: tỷ lệ người trưởng thành có chứng thư số hợp lệ ở {} xã, phường; \
         mục tiêu {}; {} xã, phường đã đạt mục tiêu.",
        format::int(n as u64),
        format::permille_percent(target_permille),
        format::int(reached as u64),
    );

    let mut out = String::with_capacity(400 + n * 420);
    open_svg(&mut out, BARS_W, height, title, &desc);

    // Grid and axis labels every 25 % (of 100 %), or every 50 % if extended.
    let step = if domain > 1.5 { 0.5 } else { 0.25 };
    let axis_y = BARS_TOP + rows_h;
    out.push_str("<g class=\"grid\">");
    let mut tick = 0.0;
    while tick <= domain + 1e-9 {
        let x = x_of(tick);
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"{GRID}\"/>\
             <text x=\"{x}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"10\" fill=\"{MUTED}\">{l}</text>",
            x = num(x),
            y1 = num(BARS_TOP - 2.0),
            y2 = num(axis_y),
            ty = num(axis_y + 14.0),
            l = escape(&format::permille_percent((tick * 1000.0).round() as u32)),
        );
        tick += step;
    }
    out.push_str("</g>");

    let max_label_chars = ((BARS_LABEL_RIGHT - 4.0) / (FONT_SIZE * 0.56)) as usize;
    // Value labels are drawn after the target line, with a white halo, so
    // that the line never hides them.
    let mut values = String::with_capacity(n * 60);
    for (i, b) in bars.iter().enumerate() {
        let y = BARS_TOP + i as f64 * BARS_ROW;
        let bar_y = y + (BARS_ROW - BARS_BAR_H) / 2.0;
        let text_y = y + BARS_ROW / 2.0 + FONT_SIZE * 0.35;
        let s = share(b.covered, b.adults);
        let width = s.map_or(0.0, |s| x_of(s) - BARS_X0);
        let pct = format::percent(b.covered, b.adults);
        let mut row = String::with_capacity(400);
        let _ = write!(
            row,
            "<g class=\"row\"><title>{tip}</title>\
             <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{name}</text>\
             <rect x=\"{x0}\" y=\"{by}\" width=\"{len}\" height=\"{bh}\" fill=\"{TRACK}\"/>\
             <rect class=\"bar\" x=\"{x0}\" y=\"{by}\" width=\"{w}\" height=\"{bh}\" fill=\"{c}\"/></g>",
            tip = escape(&format!(
                "{}: {} / {} người ({})",
                b.name,
                format::int(b.covered),
                format::int(b.adults),
                pct
            )),
            lx = num(BARS_LABEL_RIGHT),
            ty = num(text_y),
            name = escape(&truncate(&b.name, max_label_chars)),
            x0 = num(BARS_X0),
            by = num(bar_y),
            len = num(BARS_LEN),
            bh = num(BARS_BAR_H),
            w = num(width),
            c = coverage_colour(b.covered, b.adults, target_permille),
        );
        push_linked(&mut out, link_prefix, &b.code, &row);
        let _ = write!(
            values,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            num(BARS_X0 + width + 4.0),
            num(text_y),
            escape(&pct),
        );
    }

    // Target line on top of the bars, below the value labels.
    let tx = x_of(target);
    let label = format!("Mục tiêu {}", format::permille_percent(target_permille));
    let half = text_width(&label, 10.0) / 2.0;
    let anchor = if tx + half > BARS_W - 2.0 {
        "end"
    } else {
        "middle"
    };
    let _ = write!(
        out,
        "<line class=\"target\" x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"{TEXT}\" \
         stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{x}\" y=\"{ly}\" text-anchor=\"{anchor}\" font-size=\"10\" font-weight=\"bold\">{l}</text>\
         <g class=\"values\" font-size=\"10\" fill=\"{MUTED}\" stroke=\"#ffffff\" stroke-width=\"3\" \
         stroke-linejoin=\"round\" paint-order=\"stroke\">{values}</g></svg>",
        x = num(tx),
        y1 = num(BARS_TOP - 6.0),
        y2 = num(axis_y),
        ly = num(BARS_TOP - 9.0),
        l = escape(&label),
    );
    out
}

// ---------------------------------------------------------------------------
// Trend line
// ---------------------------------------------------------------------------

const TREND_W: f64 = 440.0;
const TREND_H: f64 = 250.0;
const TREND_ML: f64 = 56.0;
const TREND_MR: f64 = 20.0;
const TREND_MT: f64 = 18.0;
const TREND_MB: f64 = 30.0;

/// A "nice" integer step (1, 2, 2,5 or 5 × 10^k, at least 1) giving at most
/// 5 intervals up to `max`.
fn nice_step(max: u64) -> u64 {
    let max = u128::from(max.max(1));
    let mut mag: u128 = 1;
    loop {
        for m in [10u128, 20, 25, 50] {
            let tenfold = m * mag;
            if !tenfold.is_multiple_of(10) {
                continue;
            }
            let step = tenfold / 10;
            if max.div_ceil(step) <= 5 {
                return u64::try_from(step).unwrap_or(u64::MAX);
            }
        }
        mag *= 10;
    }
}

/// A day step giving at most 6 ticks over `span` days.
fn day_step(span: i64) -> i64 {
    let mut step = 1;
    for s in [1, 2, 3, 7, 14, 28, 56, 91, 182, 364] {
        step = s;
        if span / s <= 5 {
            return s;
        }
    }
    while span / step > 5 {
        step *= 2;
    }
    step
}

/// Daily points of the covered count: `(day, covered)` with `day` as days
/// since epoch, drawn as a line (points are sorted by day first).
///
/// `projection`: optional dashed straight line from the last point to
/// `(end_day, projected_covered)`; `target`: optional horizontal dashed line
/// (count) labelled "Mục tiêu 120.000" at its left end. The X axis has a handful of dd/mm
/// ticks (at most 6, at 1/2/3/7/14/28/…-day steps from the first day), the
/// Y axis "nice" Vietnamese-grouped counts ("120.000") from 0. Each point
/// has a `<title>` "dd/mm/yyyy: 12.345 người" (a visible dot for up to 45
/// points, an invisible hover target beyond). With 0 or 1 points the chart
/// only shows "Chưa có số liệu" (the single value, if any, is in `<desc>`).
/// The data line carries `class="trend"`, the projection `class="projection"`
/// and the target line `class="target"`.
pub fn trend_line(
    points: &[TrendPoint],
    projection: Option<(i64, u64)>,
    target: Option<u64>,
) -> String {
    let title = "Số người có chứng thư số theo ngày";
    if points.len() < 2 {
        let desc = match points.first() {
            Some(p) => format!(
                "{NO_DATA_MESSAGE} để vẽ xu hướng; ngày {}: {} người.",
                format::date_vi(p.day),
                format::int(p.covered)
            ),
            None => NO_DATA_MESSAGE.to_string(),
        };
        let mut out = message_svg(TREND_W, TREND_H, title, NO_DATA_MESSAGE);
        // Replace the message-only description with the richer one.
        out = out.replacen(
            &format!("<desc>{}</desc>", escape(NO_DATA_MESSAGE)),
            &format!("<desc>{}</desc>", escape(&desc)),
            1,
        );
        return out;
    }
    let mut pts = points.to_vec();
    pts.sort_by_key(|p| p.day);
    let first = pts[0];
    let last = pts[pts.len() - 1];

    let mut x_min = first.day;
    let mut x_max = last.day;
    let mut y_max = pts.iter().map(|p| p.covered).max().unwrap_or(0);
    if let Some((d, v)) = projection {
        x_min = x_min.min(d);
        x_max = x_max.max(d);
        y_max = y_max.max(v);
    }
    if let Some(t) = target {
        y_max = y_max.max(t);
    }
    let span = (x_max - x_min).max(1);
    let y_step = nice_step(y_max);
    let y_top = y_max.max(1).div_ceil(y_step).saturating_mul(y_step);

    let pw = TREND_W - TREND_ML - TREND_MR;
    let ph = TREND_H - TREND_MT - TREND_MB;
    let x_of = |d: i64| TREND_ML + (d - x_min) as f64 / span as f64 * pw;
    let y_of = |v: u64| TREND_MT + ph - v as f64 / y_top as f64 * ph;

    let mut desc = format!(
        "Biểu đồ đường: số người có chứng thư số từ {} ({} người) đến {} ({} người)",
        format::date_vi(first.day),
        format::int(first.covered),
        format::date_vi(last.day),
        format::int(last.covered),
    );
    if let Some((d, v)) = projection {
        let _ = write!(
            desc,
            "; dự báo {} người vào {}",
            format::int(v),
            format::date_vi(d)
        );
    }
    if let Some(t) = target {
        let _ = write!(desc, "; mục tiêu {} người", format::int(t));
    }
    desc.push('.');

    let mut out = String::with_capacity(2_000 + pts.len() * 120);
    open_svg(&mut out, TREND_W, TREND_H, title, &desc);

    // Y grid with labels.
    out.push_str("<g class=\"y-axis\">");
    let mut v: u64 = 0;
    loop {
        let y = num(y_of(v));
        let _ = write!(
            out,
            "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"{GRID}\"/>\
             <text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"10\" fill=\"{MUTED}\">{l}</text>",
            x1 = num(TREND_ML),
            x2 = num(TREND_W - TREND_MR),
            tx = num(TREND_ML - 5.0),
            ty = num(y_of(v) + 3.5),
            l = escape(&format::int(v)),
        );
        match v.checked_add(y_step) {
            Some(next) if next <= y_top => v = next,
            _ => break,
        }
    }
    out.push_str("</g>");

    // X ticks.
    let axis_y = TREND_MT + ph;
    let _ = write!(
        out,
        "<g class=\"x-axis\"><line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{MUTED}\"/>",
        num(TREND_ML),
        num(TREND_W - TREND_MR),
        y = num(axis_y),
    );
    let step = day_step(span);
    let mut d = x_min;
    while d <= x_max {
        let x = num(x_of(d));
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"{MUTED}\"/>\
             <text x=\"{x}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"10\" fill=\"{MUTED}\">{l}</text>",
            y1 = num(axis_y),
            y2 = num(axis_y + 4.0),
            ty = num(axis_y + 16.0),
            l = escape(&format::day_month(d)),
        );
        match d.checked_add(step) {
            Some(next) => d = next,
            None => break,
        }
    }
    out.push_str("</g>");

    // Target line.
    if let Some(t) = target {
        let y = y_of(t);
        let _ = write!(
            out,
            "<line class=\"target\" x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"{COLOUR_REACHED}\" \
             stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\
             <text x=\"{lx}\" y=\"{ly}\" font-size=\"10\" fill=\"{COLOUR_REACHED}\">{l}</text>",
            x1 = num(TREND_ML),
            lx = num(TREND_ML + 4.0),
            x2 = num(TREND_W - TREND_MR),
            y = num(y),
            ly = num(y - 4.0),
            l = escape(&format!("Mục tiêu {}", format::int(t))),
        );
    }

    // Projection.
    if let Some((d, v)) = projection {
        let _ = write!(
            out,
            "<line class=\"projection\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{LINE}\" \
             stroke-width=\"2\" stroke-dasharray=\"5 4\" opacity=\"0.7\"><title>{}</title></line>",
            num(x_of(last.day)),
            num(y_of(last.covered)),
            num(x_of(d)),
            num(y_of(v)),
            escape(&format!(
                "Dự báo: {} người vào {}",
                format::int(v),
                format::date_vi(d)
            )),
        );
    }

    // Data line and point markers.
    out.push_str("<polyline class=\"trend\" fill=\"none\" stroke=\"");
    out.push_str(LINE);
    out.push_str("\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"");
    for (i, p) in pts.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{},{}", num(x_of(p.day)), num(y_of(p.covered)));
    }
    // Visible markers for short series; for long ones invisible hover
    // targets only (the tooltips stay available).
    let marker = if pts.len() <= 45 {
        "r=\"2\""
    } else {
        "r=\"3\" fill-opacity=\"0\""
    };
    out.push_str("\"/><g class=\"points\">");
    for p in &pts {
        let _ = write!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" {marker} fill=\"{LINE}\"><title>{}</title></circle>",
            num(x_of(p.day)),
            num(y_of(p.covered)),
            escape(&format!(
                "{}: {} người",
                format::date_vi(p.day),
                format::int(p.covered)
            )),
        );
    }
    out.push_str("</g></svg>");
    out
}

// ---------------------------------------------------------------------------
// Commune map
// ---------------------------------------------------------------------------

const MAP_W: f64 = 400.0;
const MAP_PAD: f64 = 18.0;
const MAP_R_MIN: f64 = 3.0;
const MAP_R_MAX: f64 = 14.0;
const MAP_MIN_H: f64 = 160.0;
const MAP_MAX_H: f64 = 480.0;
const LEGEND_ROW: f64 = 16.0;

/// Communes placed by their coordinates (lat, lon in degrees), each as a
/// circle coloured by [`coverage_colour`] (radius ∝ √adults, the largest
/// commune 14 units, clamped to 3–14), with a `<title>` "name: 41,2 %", and
/// a colour legend ([`coverage_legend`]) below the map.
///
/// Projection: equirectangular with a cos(mean latitude) correction of the
/// longitudes, fitted (aspect preserved, centred) into a 400-unit-wide area
/// with 18 units of padding; the map height follows the bounding box's
/// aspect, clamped to 160–480 units. North is up (smaller y), east is right.
/// Larger circles are drawn first so that small communes stay visible.
/// Points with non-finite or out-of-range coordinates are left out (their
/// number is stated in `<desc>`). Circles carry `class="commune"` and
/// `data-code`; with `link_prefix` each is wrapped in `<a href="{p}{code}">`.
/// No placeable point → the message "Chưa có số liệu".
pub fn commune_map(points: &[MapPoint], target_permille: u32, link_prefix: Option<&str>) -> String {
    let title = "Bản đồ độ phủ chữ ký số theo xã, phường";
    let valid: Vec<&MapPoint> = points
        .iter()
        .filter(|p| {
            p.lat.is_finite()
                && p.lon.is_finite()
                && (-90.0..=90.0).contains(&p.lat)
                && (-180.0..=180.0).contains(&p.lon)
        })
        .collect();
    if valid.is_empty() {
        return message_svg(MAP_W, 200.0, title, NO_DATA_MESSAGE);
    }
    let mean_lat = valid.iter().map(|p| p.lat).sum::<f64>() / valid.len() as f64;
    let k = mean_lat.to_radians().cos().max(0.01);
    let proj = |p: &MapPoint| (p.lon * k, p.lat);
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in &valid {
        let (x, y) = proj(p);
        min_x = min_x.min(x);
        max_x = max_x.max(x);
        min_y = min_y.min(y);
        max_y = max_y.max(y);
    }
    let dx = max_x - min_x;
    let dy = max_y - min_y;
    let inner_w = MAP_W - 2.0 * MAP_PAD;
    let eps = 1e-12;
    let inner_h = if dx > eps && dy > eps {
        (inner_w * dy / dx).clamp(MAP_MIN_H, MAP_MAX_H)
    } else if dy > eps {
        MAP_MAX_H
    } else {
        MAP_MIN_H
    };
    let scale = match (dx > eps, dy > eps) {
        (true, true) => (inner_w / dx).min(inner_h / dy),
        (true, false) => inner_w / dx,
        (false, true) => inner_h / dy,
        (false, false) => 0.0,
    };
    let off_x = MAP_PAD + (inner_w - dx * scale) / 2.0;
    let off_y = MAP_PAD + (inner_h - dy * scale) / 2.0;
    let map_h = inner_h + 2.0 * MAP_PAD;

    let legend = coverage_legend(target_permille);
    let legend_rows = legend.len().div_ceil(2);
    let height = map_h + legend_rows as f64 * LEGEND_ROW + 10.0;

    let max_adults = valid.iter().map(|p| p.adults).max().unwrap_or(0);
    let radius = |adults: u64| {
        if max_adults == 0 {
            MAP_R_MIN
        } else {
            (MAP_R_MAX * (adults as f64 / max_adults as f64).sqrt()).clamp(MAP_R_MIN, MAP_R_MAX)
        }
    };

    let reached = valid
        .iter()
        .filter(|p| coverage_colour(p.covered, p.adults, target_permille) == COLOUR_REACHED)
        .count();
    let mut desc = format!(
        "Bản đồ {} xã, phường; mỗi vòng tròn là một xã, phường, kích thước theo số người trưởng thành, \
         màu theo tỷ lệ so với mục tiêu {}; {} xã, phường đã đạt mục tiêu.",
        format::int(valid.len() as u64),
        format::permille_percent(target_permille),
        format::int(reached as u64),
    );
    let skipped = points.len() - valid.len();
    if skipped > 0 {
        let _ = write!(
            desc,
            " {} xã, phường không có toạ độ hợp lệ.",
            format::int(skipped as u64)
        );
    }

    let mut out = String::with_capacity(1_500 + valid.len() * 300);
    open_svg(&mut out, MAP_W, height, title, &desc);
    let _ = write!(
        out,
        "<rect x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"{GRID}\"/>",
        num(MAP_W - 1.0),
        num(map_h - 1.0)
    );

    let mut order: Vec<&MapPoint> = valid.clone();
    order.sort_by_key(|p| std::cmp::Reverse(p.adults));
    out.push_str("<g class=\"communes\" stroke=\"#ffffff\" stroke-width=\"1\">");
    for p in order {
        let (x, y) = proj(p);
        let cx = off_x + (x - min_x) * scale;
        let cy = off_y + (max_y - y) * scale;
        let mut c = String::with_capacity(256);
        let _ = write!(
            c,
            "<circle class=\"commune\" data-code=\"{code}\" cx=\"{cx}\" cy=\"{cy}\" r=\"{r}\" fill=\"{f}\" \
             fill-opacity=\"0.9\"><title>{t}</title></circle>",
            code = escape(&p.code),
            cx = num(cx),
            cy = num(cy),
            r = num(radius(p.adults)),
            f = coverage_colour(p.covered, p.adults, target_permille),
            t = escape(&format!(
                "{}: {}",
                p.name,
                format::percent(p.covered, p.adults)
            )),
        );
        push_linked(&mut out, link_prefix, &p.code, &c);
    }
    out.push_str("</g><g class=\"legend\" font-size=\"10\">");
    for (i, (colour, label)) in legend.iter().enumerate() {
        let col = (i % 2) as f64;
        let row = (i / 2) as f64;
        let x = 10.0 + col * (MAP_W / 2.0);
        let y = map_h + 6.0 + row * LEGEND_ROW;
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"{y}\" width=\"10\" height=\"10\" rx=\"5\" fill=\"{colour}\"/>\
             <text x=\"{tx}\" y=\"{ty}\">{l}</text>",
            x = num(x),
            y = num(y),
            tx = num(x + 15.0),
            ty = num(y + 9.0),
            l = escape(label),
        );
    }
    out.push_str("</g></svg>");
    out
}

// ---------------------------------------------------------------------------
// Stacked bar
// ---------------------------------------------------------------------------

const STACK_W: f64 = 400.0;
const STACK_X0: f64 = 8.0;
const STACK_LEN: f64 = 384.0;
const STACK_Y: f64 = 26.0;
const STACK_H: f64 = 22.0;
const STACK_LEGEND_Y: f64 = 60.0;
const STACK_ROW: f64 = 18.0;

/// Small stacked horizontal bar of parts (e.g. coverage by channel or by
/// provider): `title` above the bar (also the SVG `<title>`), one segment
/// per part in [`PALETTE`] order with a `<title>` tooltip
/// "label: 1.234 (33,3 %)", and a legend with one row per part (label,
/// count, share of the total). Segment edges are computed from cumulative
/// sums so they add up exactly to the bar length. Segments carry
/// `class="part"`. No parts or a zero total → "Chưa có số liệu" under the
/// title.
pub fn stacked_bar(parts: &[(String, u64)], title: &str) -> String {
    let total: u128 = parts.iter().map(|(_, v)| u128::from(*v)).sum();
    let total_u64 = u64::try_from(total).unwrap_or(u64::MAX);
    let title_text = format!(
        "<text x=\"{}\" y=\"16\" font-size=\"12\" font-weight=\"bold\">{}</text>",
        num(STACK_X0),
        escape(&truncate(title, 60))
    );
    if total == 0 {
        let mut out = String::new();
        open_svg(&mut out, STACK_W, 70.0, title, NO_DATA_MESSAGE);
        out.push_str(&title_text);
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"48\" text-anchor=\"middle\" fill=\"{MUTED}\" font-size=\"13\">{}</text></svg>",
            num(STACK_W / 2.0),
            escape(NO_DATA_MESSAGE)
        );
        return out;
    }
    let height = STACK_LEGEND_Y + parts.len() as f64 * STACK_ROW + 4.0;
    let mut desc = format!("Biểu đồ thanh chồng, tổng {}: ", format::int(total_u64));
    for (i, (label, v)) in parts.iter().enumerate() {
        if i > 0 {
            desc.push_str("; ");
        }
        let _ = write!(
            desc,
            "{label} {} ({})",
            format::int(*v),
            format::percent(*v, total_u64)
        );
    }
    desc.push('.');

    let mut out = String::with_capacity(800 + parts.len() * 400);
    open_svg(&mut out, STACK_W, height, title, &desc);
    out.push_str(&title_text);
    let _ = write!(
        out,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{TRACK}\"/>",
        num(STACK_X0),
        num(STACK_Y),
        num(STACK_LEN),
        num(STACK_H)
    );
    let x_of = |cum: u128| STACK_X0 + (cum as f64 / total as f64) * STACK_LEN;
    let mut cum: u128 = 0;
    for (i, (label, v)) in parts.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let x1 = x_of(cum);
        cum += u128::from(*v);
        let x2 = x_of(cum);
        let tip = format!(
            "{label}: {} ({})",
            format::int(*v),
            format::percent(*v, total_u64)
        );
        if *v > 0 {
            let _ = write!(
                out,
                "<rect class=\"part\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{colour}\" \
                 stroke=\"#ffffff\" stroke-width=\"0.5\"><title>{}</title></rect>",
                num(x1),
                num(STACK_Y),
                num(x2 - x1),
                num(STACK_H),
                escape(&tip),
            );
        }
        let ly = STACK_LEGEND_Y + i as f64 * STACK_ROW;
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            num(STACK_X0),
            num(ly),
            num(STACK_X0 + 15.0),
            num(ly + 9.0),
            escape(&truncate(&tip, 64)),
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // -- tiny XML well-formedness checker ----------------------------------

    /// Checks balanced tags, a single `<svg>` root with the SVG namespace,
    /// quoted attributes without duplicates or raw `<`/`&`, and that every
    /// `&` starts a known entity. Returns the first problem found.
    fn check_xml(s: &str) -> Result<(), String> {
        fn check_amp(text: &str, at: usize) -> Result<(), String> {
            let mut rest = text;
            while let Some(i) = rest.find('&') {
                let tail = &rest[i + 1..];
                let end = tail.find(';').ok_or(format!("raw & near byte {at}"))?;
                let ent = &tail[..end];
                let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos")
                    || (ent.starts_with("#x")
                        && ent.len() > 2
                        && ent[2..].chars().all(|c| c.is_ascii_hexdigit()))
                    || (ent.starts_with('#')
                        && ent.len() > 1
                        && ent[1..].chars().all(|c| c.is_ascii_digit()));
                if !ok {
                    return Err(format!("bad entity &{ent}; near byte {at}"));
                }
                rest = &tail[end + 1..];
            }
            Ok(())
        }

        let mut stack: Vec<String> = Vec::new();
        let mut roots = 0;
        let mut i = 0;
        let b = s.as_bytes();
        while i < s.len() {
            if b[i] != b'<' {
                let next = s[i..].find('<').map_or(s.len(), |j| i + j);
                let text = &s[i..next];
                if stack.is_empty() && !text.trim().is_empty() {
                    return Err(format!("text outside root at {i}"));
                }
                if text.contains('>') {
                    return Err(format!("raw > in text at {i}"));
                }
                check_amp(text, i)?;
                i = next;
                continue;
            }
            let end = s[i..].find('>').ok_or("unterminated tag")? + i;
            let tag = &s[i + 1..end];
            if tag.contains('<') {
                return Err(format!("< inside tag at {i}"));
            }
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().ok_or(format!("unexpected </{name}>"))?;
                if open != name.trim() {
                    return Err(format!("</{name}> closes <{open}>"));
                }
            } else {
                let self_closing = tag.ends_with('/');
                let body = tag.trim_end_matches('/');
                let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
                let name = &body[..name_end];
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(format!("bad tag name {name:?}"));
                }
                // attributes: name="value" pairs
                let mut rest = body[name_end..].trim_start();
                let mut seen = Vec::new();
                while !rest.is_empty() {
                    let eq = rest
                        .find('=')
                        .ok_or(format!("attribute without value in <{name}>"))?;
                    let an = &rest[..eq];
                    if an.is_empty()
                        || !an
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
                    {
                        return Err(format!("bad attribute name {an:?} in <{name}>"));
                    }
                    if seen.contains(&an) {
                        return Err(format!("duplicate attribute {an} in <{name}>"));
                    }
                    seen.push(an);
                    let after = &rest[eq + 1..];
                    if !after.starts_with('"') {
                        return Err(format!("unquoted attribute {an} in <{name}>"));
                    }
                    let close = after[1..].find('"').ok_or("unterminated attribute")? + 1;
                    check_amp(&after[1..close], i)?;
                    rest = after[close + 1..].trim_start();
                }
                if stack.is_empty() {
                    roots += 1;
                    if name != "svg" || !seen.contains(&"xmlns") {
                        return Err("root must be <svg xmlns=…>".to_string());
                    }
                    if !body.contains("xmlns=\"http://www.w3.org/2000/svg\"") {
                        return Err("wrong svg namespace".to_string());
                    }
                }
                if !self_closing {
                    stack.push(name.to_string());
                }
            }
            i = end + 1;
        }
        if !stack.is_empty() {
            return Err(format!("unclosed {stack:?}"));
        }
        if roots != 1 {
            return Err(format!("{roots} root elements"));
        }
        Ok(())
    }

    /// All start tags `<name …>` of an element name.
    fn tags<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
        let open = format!("<{name} ");
        let mut out = Vec::new();
        let mut rest = svg;
        while let Some(i) = rest.find(&open) {
            let end = rest[i..].find('>').unwrap() + i;
            out.push(&rest[i..=end]);
            rest = &rest[end..];
        }
        out
    }

    fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
        let key = format!(" {name}=\"");
        let i = tag.find(&key)? + key.len();
        let end = tag[i..].find('"')? + i;
        Some(&tag[i..end])
    }

    fn fattr(tag: &str, name: &str) -> f64 {
        attr(tag, name)
            .unwrap_or_else(|| panic!("no {name} in {tag}"))
            .parse()
            .unwrap()
    }

    fn with_class<'a>(svg: &'a str, name: &str, class: &str) -> Vec<&'a str> {
        tags(svg, name)
            .into_iter()
            .filter(|t| attr(t, "class") == Some(class))
            .collect()
    }

    /// Well-formed, accessible, scalable, and numbers with ≤ 1 decimal.
    fn check_chart(svg: &str) {
        if let Err(e) = check_xml(svg) {
            panic!("not well-formed: {e}\n{svg}");
        }
        let root = tags(svg, "svg")[0];
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" "));
        assert_eq!(attr(root, "role"), Some("img"));
        assert_eq!(attr(root, "width"), Some("100%"));
        assert_eq!(attr(root, "font-family"), Some(FONT_FAMILY));
        let vb: Vec<f64> = attr(root, "viewBox")
            .unwrap()
            .split(' ')
            .map(|v| v.parse().unwrap())
            .collect();
        assert_eq!(vb.len(), 4);
        assert!(vb[2] > 0.0 && vb[3] > 0.0);
        assert!(svg[root.len()..].starts_with("<title>"), "title first");
        assert!(svg.contains("</title><desc>"));
        // numeric attribute values: at most one decimal
        for tag in svg.split('<').skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            for (k, chunk) in tag.split('"').enumerate() {
                if k % 2 == 1 {
                    let digits: Vec<char> = chunk.chars().collect();
                    for w in digits.windows(4) {
                        assert!(
                            !(w[0].is_ascii_digit()
                                && w[1] == '.'
                                && w[2].is_ascii_digit()
                                && w[3].is_ascii_digit()),
                            "more than one decimal in {chunk:?}"
                        );
                    }
                }
            }
        }
    }

    fn bar(code: &str, name: &str, covered: u64, adults: u64) -> CommuneBar {
        CommuneBar {
            code: code.into(),
            name: name.into(),
            covered,
            adults,
        }
    }

    fn mp(code: &str, name: &str, lat: f64, lon: f64, covered: u64, adults: u64) -> MapPoint {
        MapPoint {
            code: code.into(),
            name: name.into(),
            lat,
            lon,
            covered,
            adults,
        }
    }

    // -- helpers -------------------------------------------------------------

    #[test]
    fn escape_handles_all_specials() {
        assert_eq!(
            escape("Xã A & B <thử> \"x\" 'y'"),
            "Xã A &amp; B &lt;thử&gt; &quot;x&quot; &#39;y&#39;"
        );
        assert_eq!(escape("Phường Thuận Hóa"), "Phường Thuận Hóa");
        assert_eq!(escape("a\u{0}b\u{1b}c\td\u{ffff}"), "abc\td");
        assert!(
            check_xml(&format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\"><text a=\"{0}\">{0}</text></svg>",
                escape("A & B <thử> \" ' &amp;")
            ))
            .is_ok()
        );
    }

    #[test]
    fn checker_rejects_broken_xml() {
        let ns = "<svg xmlns=\"http://www.w3.org/2000/svg\">";
        assert!(check_xml(&format!("{ns}</svg>")).is_ok());
        assert!(check_xml(&format!("{ns}<g></svg>")).is_err());
        assert!(check_xml(&format!("{ns}<g></text></svg>")).is_err());
        assert!(check_xml(&format!("{ns}A & B</svg>")).is_err());
        assert!(check_xml(&format!("{ns}A &foo; B</svg>")).is_err());
        assert!(check_xml(&format!("{ns}<g a=\"1\" a=\"2\"/></svg>")).is_err());
        assert!(check_xml(&format!("{ns}<g a=\"x & y\"/></svg>")).is_err());
        assert!(check_xml("<svg></svg>").is_err());
        assert!(check_xml(&format!("{ns}</svg><svg></svg>")).is_err());
    }

    #[test]
    fn num_prints_at_most_one_decimal() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(12.96), "13");
        assert_eq!(num(-3.25), "-3.3");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(f64::INFINITY), "0");
    }

    #[test]
    fn truncate_keeps_short_and_shortens_long() {
        assert_eq!(truncate("Xã Hương Trà", 20), "Xã Hương Trà");
        let t = truncate("Phường Thuận Hóa Rất Dài Tên", 10);
        assert_eq!(t.chars().count(), 10);
        assert!(t.ends_with('…'));
        // decomposed "ờ" (o + horn + grave) is not split
        let decomposed = "Phuo\u{31b}\u{300}ng";
        let t = truncate(decomposed, 5);
        assert_eq!(t, "Phuo\u{31b}\u{300}…");
    }

    #[test]
    fn encode_segment_escapes_reserved() {
        assert_eq!(encode_segment("19765"), "19765");
        assert_eq!(encode_segment("a b/&?"), "a%20b%2F%26%3F");
        assert_eq!(encode_segment("Hóa"), "H%C3%B3a");
    }

    // -- colours -------------------------------------------------------------

    #[test]
    fn colour_thresholds() {
        // target 50 %: thresholds at 25 %, 40 %, 50 % of adults
        assert_eq!(coverage_colour(0, 1000, 500), COLOUR_FAR_BELOW);
        assert_eq!(coverage_colour(249, 1000, 500), COLOUR_FAR_BELOW);
        assert_eq!(coverage_colour(250, 1000, 500), COLOUR_BELOW);
        assert_eq!(coverage_colour(399, 1000, 500), COLOUR_BELOW);
        assert_eq!(coverage_colour(400, 1000, 500), COLOUR_NEAR);
        assert_eq!(coverage_colour(499, 1000, 500), COLOUR_NEAR);
        assert_eq!(coverage_colour(500, 1000, 500), COLOUR_REACHED);
        assert_eq!(coverage_colour(1000, 1000, 500), COLOUR_REACHED);
        assert_eq!(coverage_colour(2000, 1000, 500), COLOUR_REACHED);
        assert_eq!(coverage_colour(0, 0, 500), COLOUR_NO_DATA);
        assert_eq!(coverage_colour(5, 0, 500), COLOUR_NO_DATA);
        assert_eq!(coverage_colour(0, 10, 0), COLOUR_REACHED);
        assert_eq!(
            coverage_colour(u64::MAX, u64::MAX, u32::MAX),
            COLOUR_FAR_BELOW
        );
        assert_eq!(COLOUR_FAR_BELOW, "#c62828");
        assert_eq!(COLOUR_BELOW, "#ef6c00");
        assert_eq!(COLOUR_NEAR, "#9e9d24");
        assert_eq!(COLOUR_REACHED, "#2e7d32");
        assert_eq!(COLOUR_NO_DATA, "#9e9e9e");
        let legend = coverage_legend(500);
        assert_eq!(legend[3].1, "Đạt mục tiêu (≥\u{a0}50\u{a0}%)");
    }

    // -- coverage bars -------------------------------------------------------

    #[test]
    fn bars_widths_are_proportional_and_target_is_placed() {
        let bars = vec![
            bar("1", "Phường Thuận Hóa", 12_345, 30_000),
            bar("2", "Xã A & B <thử>", 600, 1_000),
            bar("3", "Xã Không Dân", 0, 0),
            bar("4", "Xã Đủ", 1_000, 1_000),
        ];
        let svg = coverage_bars(&bars, 500, None);
        check_chart(&svg);
        let rects = with_class(&svg, "rect", "bar");
        assert_eq!(rects.len(), 4);
        let widths: Vec<f64> = rects.iter().map(|r| fattr(r, "width")).collect();
        let full = widths[3];
        assert!((full - BARS_LEN).abs() < 0.05);
        assert!(
            (widths[0] / full - 12_345.0 / 30_000.0).abs() < 0.002,
            "{widths:?}"
        );
        assert!((widths[1] / full - 0.6).abs() < 0.002);
        assert_eq!(widths[2], 0.0);
        // all bars start at the same x
        let x0 = fattr(rects[0], "x");
        assert!(rects.iter().all(|r| fattr(r, "x") == x0));
        // target line at 50 % of the axis
        let line = with_class(&svg, "line", "target")[0];
        let tx = fattr(line, "x1");
        assert!((tx - (x0 + 0.5 * full)).abs() < 0.1, "{tx}");
        assert_eq!(fattr(line, "x1"), fattr(line, "x2"));
        assert!(attr(line, "stroke-dasharray").is_some());
        assert!(svg.contains("Mục tiêu 50\u{a0}%"));
        // value labels, tooltips, colours, escaping
        assert!(svg.contains(">41,2\u{a0}%</text>"));
        assert!(
            svg.contains("<title>Phường Thuận Hóa: 12.345 / 30.000 người (41,2\u{a0}%)</title>")
        );
        assert!(svg.contains("Xã A &amp; B &lt;thử&gt;"));
        assert!(!svg.contains("<thử>"));
        assert_eq!(attr(rects[0], "fill"), Some(COLOUR_NEAR)); // 41,2 % of 50 %
        assert_eq!(attr(rects[1], "fill"), Some(COLOUR_REACHED));
        assert_eq!(attr(rects[2], "fill"), Some(COLOUR_NO_DATA));
        assert!(svg.contains("Xã Không Dân: 0 / 0 người (—)"));
        assert!(!svg.contains("<a "));
    }

    #[test]
    fn bars_rows_are_in_given_order_and_linked() {
        let bars = vec![bar("b", "Bê", 1, 10), bar("a&1", "A", 2, 10)];
        let svg = coverage_bars(&bars, 500, Some("/tinh/xa/"));
        check_chart(&svg);
        let links = tags(&svg, "a");
        assert_eq!(links.len(), 2);
        assert_eq!(attr(links[0], "href"), Some("/tinh/xa/b"));
        assert_eq!(attr(links[1], "href"), Some("/tinh/xa/a%261"));
        assert!(svg.find(">Bê</text>").unwrap() < svg.find(">A</text>").unwrap());
        let rects = with_class(&svg, "rect", "bar");
        assert!(fattr(rects[0], "y") < fattr(rects[1], "y"));
    }

    #[test]
    fn bars_scale_to_many_communes() {
        let bars: Vec<CommuneBar> = (0..150)
            .map(|i| {
                bar(
                    &i.to_string(),
                    &format!("Xã số {i} có tên khá dài để thử cắt ngắn"),
                    i * 7,
                    1_000,
                )
            })
            .collect();
        let svg = coverage_bars(&bars, 500, Some("/x/"));
        check_chart(&svg);
        let vb = attr(tags(&svg, "svg")[0], "viewBox").unwrap();
        let h: f64 = vb.split(' ').nth(3).unwrap().parse().unwrap();
        assert!(h >= 150.0 * 18.0, "{h}");
        let rects = with_class(&svg, "rect", "bar");
        assert_eq!(rects.len(), 150);
        // rows do not overlap: consecutive bars are ≥ 18 units apart
        for w in rects.windows(2) {
            assert!(fattr(w[1], "y") - fattr(w[0], "y") >= 17.9);
        }
        assert!(svg.contains('…'));
    }

    #[test]
    fn bars_extend_axis_above_100_percent() {
        let bars = vec![bar("1", "Lạ", 150, 100), bar("2", "Thường", 50, 100)];
        let svg = coverage_bars(&bars, 500, None);
        check_chart(&svg);
        let rects = with_class(&svg, "rect", "bar");
        let (w0, w1) = (fattr(rects[0], "width"), fattr(rects[1], "width"));
        assert!(w0 <= BARS_LEN + 0.05);
        assert!((w0 / w1 - 3.0).abs() < 0.01);
        let x0 = fattr(rects[0], "x");
        let tx = fattr(with_class(&svg, "line", "target")[0], "x1");
        assert!((tx - (x0 + w1)).abs() < 0.1); // 50 % is where the 50 % bar ends
    }

    #[test]
    fn bars_empty_renders_message() {
        let svg = coverage_bars(&[], 500, None);
        check_chart(&svg);
        assert!(svg.contains(NO_DATA_MESSAGE));
    }

    // -- trend line ----------------------------------------------------------

    fn polyline_points(svg: &str) -> Vec<(f64, f64)> {
        let pl = with_class(svg, "polyline", "trend")[0];
        attr(pl, "points")
            .unwrap()
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn trend_line_axes_and_geometry() {
        let start = format::days_from_civil(2026, 3, 1);
        let points: Vec<TrendPoint> = (0..30)
            .rev() // given out of order; must be sorted
            .map(|i| TrendPoint {
                day: start + i,
                covered: 1_000 * i as u64,
            })
            .collect();
        let end = start + 59;
        let svg = trend_line(&points, Some((end, 120_000)), Some(100_000));
        check_chart(&svg);
        let pts = polyline_points(&svg);
        assert_eq!(pts.len(), 30);
        // increasing days → increasing x; increasing counts → decreasing y
        for w in pts.windows(2) {
            assert!(w[1].0 > w[0].0);
            assert!(w[1].1 < w[0].1);
        }
        // Y labels with Vietnamese thousands, X labels dd/mm
        assert!(svg.contains(">125.000</text>"));
        assert!(svg.contains(">100.000</text>"));
        assert!(svg.contains(">0</text>"));
        assert!(svg.contains(">01/03</text>"));
        assert!(svg.contains(">15/03</text>")); // 14-day ticks over 59 days
        let x_ticks = tags(&svg, "text")
            .iter()
            .filter(|t| attr(t, "y") == Some("236"))
            .count();
        assert!((3..=6).contains(&x_ticks), "{x_ticks}");
        // target line is horizontal
        let target = with_class(&svg, "line", "target")[0];
        assert_eq!(attr(target, "y1"), attr(target, "y2"));
        assert!(svg.contains("Mục tiêu 100.000"));
        // projection starts at the last point and ends at the right edge
        let proj = with_class(&svg, "line", "projection")[0];
        let last = pts[pts.len() - 1];
        assert_eq!((fattr(proj, "x1"), fattr(proj, "y1")), last);
        assert!((fattr(proj, "x2") - (TREND_W - TREND_MR)).abs() < 0.05);
        // y positions are linear in the count on a 0–125.000 axis
        let ph = TREND_H - TREND_MT - TREND_MB;
        let y_at = |v: f64| TREND_MT + ph * (1.0 - v / 125_000.0);
        assert!((fattr(proj, "y2") - y_at(120_000.0)).abs() < 0.06);
        assert!((fattr(target, "y1") - y_at(100_000.0)).abs() < 0.06);
        assert!((pts[0].1 - y_at(0.0)).abs() < 0.06);
        assert!(svg.contains("<title>29/03/2026: 28.000 người</title>"));
    }

    #[test]
    fn trend_line_handles_few_points() {
        let svg = trend_line(&[], None, None);
        check_chart(&svg);
        assert!(svg.contains(">Chưa có số liệu</text>"));
        let one = [TrendPoint {
            day: 0,
            covered: 1_234,
        }];
        let svg = trend_line(&one, Some((10, 5)), Some(9));
        check_chart(&svg);
        assert!(svg.contains(">Chưa có số liệu</text>"));
        assert!(svg.contains("01/01/1970: 1.234 người"));
        assert!(!svg.contains("<polyline"));
        // two points on the same day and all zeros: no division by zero
        let two = [
            TrendPoint { day: 5, covered: 0 },
            TrendPoint { day: 5, covered: 0 },
        ];
        let svg = trend_line(&two, None, None);
        check_chart(&svg);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(0), 1);
        assert_eq!(nice_step(3), 1);
        assert_eq!(nice_step(7), 2);
        assert_eq!(nice_step(10), 2);
        assert_eq!(nice_step(120), 25);
        assert_eq!(nice_step(120_000), 25_000);
        assert_eq!(nice_step(100_000), 20_000);
        assert_eq!(nice_step(u64::MAX), 5_000_000_000_000_000_000);
        assert_eq!(day_step(0), 1);
        assert_eq!(day_step(29), 7);
        assert_eq!(day_step(59), 14);
        assert!(day_step(100_000) * 6 > 100_000);
    }

    // -- map -----------------------------------------------------------------

    #[test]
    fn map_orientation_size_and_legend() {
        let points = vec![
            mp("n", "Bắc", 16.6, 107.5, 100, 1_000),
            mp("s", "Nam", 16.2, 107.5, 600, 1_000),
            mp("e", "Đông", 16.4, 107.9, 0, 4_000),
            mp("w", "Tây & <Núi>", 16.4, 107.1, 450, 1_000),
            mp("z", "Không dân", 16.4, 107.5, 0, 0),
        ];
        let svg = commune_map(&points, 500, Some("/xa/"));
        check_chart(&svg);
        let circles = with_class(&svg, "circle", "commune");
        assert_eq!(circles.len(), 5);
        let by = |code: &str| {
            *circles
                .iter()
                .find(|c| attr(c, "data-code") == Some(code))
                .unwrap()
        };
        let (n, s, e, w) = (by("n"), by("s"), by("e"), by("w"));
        assert!(fattr(n, "cy") < fattr(s, "cy"), "north is up");
        assert!(fattr(e, "cx") > fattr(w, "cx"), "east is right");
        // cos(lat) correction: 0,8° of longitude is narrower than 0,4° of
        // latitude × 2 would be without it
        let width = fattr(e, "cx") - fattr(w, "cx");
        let height = fattr(s, "cy") - fattr(n, "cy");
        let ratio = width / height;
        let expected = 2.0 * 16.4_f64.to_radians().cos();
        assert!((ratio - expected).abs() < 0.02, "{ratio} vs {expected}");
        // everything inside the view box
        let vb = attr(tags(&svg, "svg")[0], "viewBox").unwrap();
        let h: f64 = vb.split(' ').nth(3).unwrap().parse().unwrap();
        for c in &circles {
            let (x, y, r) = (fattr(c, "cx"), fattr(c, "cy"), fattr(c, "r"));
            assert!(x - r >= 0.0 && x + r <= MAP_W && y - r >= 0.0 && y + r <= h);
        }
        // radius ∝ sqrt(adults), clamped
        assert_eq!(fattr(e, "r"), MAP_R_MAX);
        assert!((fattr(n, "r") - MAP_R_MAX / 2.0).abs() < 0.05);
        assert_eq!(fattr(by("z"), "r"), MAP_R_MIN);
        // colours and tooltips
        assert_eq!(attr(n, "fill"), Some(COLOUR_FAR_BELOW));
        assert_eq!(attr(s, "fill"), Some(COLOUR_REACHED));
        assert_eq!(attr(w, "fill"), Some(COLOUR_NEAR));
        assert!(svg.contains("<title>Tây &amp; &lt;Núi&gt;: 45,0\u{a0}%</title>"));
        assert!(svg.contains("<title>Không dân: —</title>"));
        // legend lists every colour
        for (colour, label) in coverage_legend(500) {
            assert!(svg.contains(&format!("fill=\"{colour}\"/>")));
            assert!(svg.contains(&escape(&label)));
        }
        assert_eq!(tags(&svg, "a").len(), 5);
        assert!(svg.contains("href=\"/xa/n\""));
        // the largest commune is drawn first (underneath)
        assert!(svg.find("data-code=\"e\"").unwrap() < svg.find("data-code=\"n\"").unwrap());
    }

    #[test]
    fn map_degenerate_inputs() {
        let svg = commune_map(&[], 500, None);
        check_chart(&svg);
        assert!(svg.contains(NO_DATA_MESSAGE));
        let bad = [
            mp("x", "X", f64::NAN, 107.0, 1, 2),
            mp("y", "Y", 95.0, 107.0, 1, 2),
        ];
        let svg = commune_map(&bad, 500, None);
        check_chart(&svg);
        assert!(svg.contains(NO_DATA_MESSAGE));
        // a single point and collinear points are centred, no NaN
        let one = [mp("a", "A", 16.4, 107.5, 1, 2)];
        let svg = commune_map(&one, 500, None);
        check_chart(&svg);
        let c = with_class(&svg, "circle", "commune")[0];
        assert_eq!(fattr(c, "cx"), MAP_W / 2.0);
        let line = [
            mp("a", "A", 16.4, 107.1, 1, 2),
            mp("b", "B", 16.4, 107.9, 1, 2),
            mp("c", "C", f64::INFINITY, 107.9, 1, 2),
        ];
        let svg = commune_map(&line, 500, None);
        check_chart(&svg);
        assert!(!svg.contains("NaN"));
        assert_eq!(with_class(&svg, "circle", "commune").len(), 2);
        assert!(svg.contains("1 xã, phường không có toạ độ hợp lệ"));
    }

    // -- stacked bar ---------------------------------------------------------

    #[test]
    fn stacked_bar_segments_add_up() {
        let parts = vec![
            ("Tại nhà & tổ dân phố".to_string(), 1_000),
            ("Bưu điện".to_string(), 2_000),
            ("Trống".to_string(), 0),
            ("Ứng dụng <VNeID>".to_string(), 1_000),
        ];
        let svg = stacked_bar(&parts, "Theo kênh \"đăng ký\"");
        check_chart(&svg);
        let segs = with_class(&svg, "rect", "part");
        assert_eq!(segs.len(), 3); // zero part has no segment
        let widths: Vec<f64> = segs.iter().map(|r| fattr(r, "width")).collect();
        assert!((widths.iter().sum::<f64>() - STACK_LEN).abs() < 0.2);
        assert!((widths[1] / widths[0] - 2.0).abs() < 0.01);
        // contiguous
        for w in segs.windows(2) {
            let end = fattr(w[0], "x") + fattr(w[0], "width");
            assert!((fattr(w[1], "x") - end).abs() < 0.11);
        }
        assert_eq!(attr(segs[0], "fill"), Some(PALETTE[0]));
        assert_eq!(attr(segs[2], "fill"), Some(PALETTE[3]));
        assert!(svg.contains("Bưu điện: 2.000 (50,0\u{a0}%)"));
        assert!(svg.contains("Trống: 0 (0,0\u{a0}%)"));
        assert!(svg.contains("Tại nhà &amp; tổ dân phố"));
        assert!(svg.contains("&lt;VNeID&gt;"));
        assert!(svg.contains("<title>Theo kênh &quot;đăng ký&quot;</title>"));
    }

    #[test]
    fn stacked_bar_empty_and_many_parts() {
        let svg = stacked_bar(&[], "Theo nhà cung cấp");
        check_chart(&svg);
        assert!(svg.contains(NO_DATA_MESSAGE));
        let zeros = vec![("A".to_string(), 0)];
        let svg = stacked_bar(&zeros, "Z");
        check_chart(&svg);
        assert!(svg.contains(NO_DATA_MESSAGE));
        let many: Vec<(String, u64)> = (0..12).map(|i| (format!("NCC {i}"), i + 1)).collect();
        let svg = stacked_bar(&many, "Nhiều");
        check_chart(&svg);
        assert_eq!(with_class(&svg, "rect", "part").len(), 12);
        let big = vec![("A".to_string(), u64::MAX), ("B".to_string(), u64::MAX)];
        let svg = stacked_bar(&big, "Lớn");
        check_chart(&svg);
    }

    #[test]
    fn every_chart_is_well_formed_with_hostile_names() {
        let name = "Xã A & B <thử> \"q\" 'a' &amp; \u{1}";
        let svgs = [
            coverage_bars(&[bar("<c&>", name, 3, 10)], 455, Some("/p?x=1&y=")),
            commune_map(
                &[mp("<c&>", name, 16.0, 107.0, 3, 10)],
                455,
                Some("/p?x=1&y="),
            ),
            stacked_bar(&[(name.to_string(), 3)], name),
            trend_line(
                &[
                    TrendPoint { day: 1, covered: 2 },
                    TrendPoint { day: 3, covered: 5 },
                ],
                Some((9, 9)),
                Some(7),
            ),
        ];
        for svg in &svgs {
            check_chart(svg);
            assert!(!svg.contains("<thử>"));
        }
        assert!(svgs[0].contains("href=\"/p?x=1&amp;y=%3Cc%26%3E\""));
    }
}

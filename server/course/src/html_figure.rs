//! Raw HTML in lessons: only a `<figure>` holding an inline SVG drawing is kept.
//!
//! Everything else a lesson writes as HTML is shown as text. A figure is parsed as XML and every
//! element and attribute is checked against an allow-list; the figure is then written back from
//! the parsed events, so what reaches the page is exactly what was checked (no scripts, no event
//! handlers, no links).

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, Writer};

const ELEMENTS: &[&str] = &[
    "figure",
    "figcaption",
    "svg",
    "g",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "path",
    "text",
    "tspan",
    "title",
    "desc",
    "defs",
    "marker",
];

const ATTRIBUTES: &[&str] = &[
    "class",
    "id",
    "role",
    "aria-label",
    "aria-hidden",
    "viewBox",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "d",
    "points",
    "fill",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-linecap",
    "stroke-linejoin",
    "font-size",
    "font-family",
    "font-weight",
    "text-anchor",
    "dominant-baseline",
    "transform",
    "opacity",
    "marker-end",
    "marker-start",
    "markerWidth",
    "markerHeight",
    "refX",
    "refY",
    "orient",
    "xmlns",
    "preserveAspectRatio",
];

/// Returns the figure, re-serialised from its checked parts, or why it is not allowed.
pub(crate) fn sanitize_figure(html: &str) -> Result<String, String> {
    let trimmed = html.trim();
    if !trimmed.starts_with("<figure") {
        return Err("raw HTML is only allowed as a <figure> holding an inline <svg>".into());
    }
    let mut reader = Reader::from_str(trimmed);
    reader.config_mut().trim_text(false);
    let mut writer = Writer::new(Vec::new());
    let mut depth = 0usize;
    let mut closed = false;
    let mut saw_svg = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("the figure is not well-formed: {e}"))?;
        if closed && !matches!(&event, Event::Eof) {
            // Anything after the closing </figure> would sit outside the checked element.
            if matches!(&event, Event::Text(t) if t.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            return Err("only one <figure> element is allowed per HTML block".into());
        }
        match &event {
            Event::Start(start) => {
                check_element(start)?;
                saw_svg |= start.local_name().as_ref() == b"svg";
                depth += 1;
            }
            Event::Empty(start) => check_element(start)?,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                closed = depth == 0;
            }
            Event::Text(_) | Event::GeneralRef(_) => {}
            Event::Eof if depth == 0 => break,
            Event::Eof => return Err("the figure is not closed".into()),
            Event::Comment(_) => continue,
            _ => return Err("the figure may hold only elements and text".into()),
        }
        writer
            .write_event(event)
            .map_err(|e| format!("cannot write the figure: {e}"))?;
    }
    if !saw_svg {
        return Err("a raw <figure> must contain an inline <svg>".into());
    }
    String::from_utf8(writer.into_inner()).map_err(|e| e.to_string())
}

fn check_element(start: &BytesStart<'_>) -> Result<(), String> {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    if !ELEMENTS.contains(&name.as_str()) {
        return Err(format!("<{name}> is not allowed in a figure"));
    }
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| format!("bad attribute in <{name}>: {e}"))?;
        let key = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
        if !ATTRIBUTES.contains(&key.as_str()) {
            return Err(format!("attribute `{key}` is not allowed on <{name}>"));
        }
        let value = String::from_utf8_lossy(&attribute.value).to_ascii_lowercase();
        if value.contains("javascript:") || value.contains("url(") {
            return Err(format!(
                "attribute `{key}` on <{name}> has a disallowed value"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_figure_with_svg() {
        let html = r#"<figure class="diagram"><svg viewBox="0 0 10 10"><rect x="1" y="1" width="5" height="5"/><text x="2" y="8">PV</text></svg><figcaption>A PV</figcaption></figure>"#;
        let out = sanitize_figure(html).expect("allowed");
        assert!(out.contains("<rect x=\"1\""));
        assert!(out.contains("<figcaption>A PV</figcaption>"));
    }

    #[test]
    fn rejects_scripts_handlers_and_other_html() {
        assert!(sanitize_figure("<div>hi</div>").is_err());
        assert!(sanitize_figure("<figure><svg><script>alert(1)</script></svg></figure>").is_err());
        assert!(sanitize_figure(r#"<figure><svg onload="x()"></svg></figure>"#).is_err());
        assert!(sanitize_figure("<figure><figcaption>no svg</figcaption></figure>").is_err());
        assert!(sanitize_figure("<figure><svg></svg></figure><script>x</script>").is_err());
        assert!(sanitize_figure("<figure><svg>").is_err());
    }
}

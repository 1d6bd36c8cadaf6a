//! The join URL as a QR code, drawn as SVG on the server (no script, no image service).

use qrcode::QrCode;
use qrcode::render::svg;

/// An SVG document showing `url` as a QR code, or `None` if it is too long to encode.
pub fn svg(url: &str) -> Option<String> {
    let code = QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .dark_color(svg::Color("#111111"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_join_url_becomes_an_svg_document() {
        let svg = super::svg("http://10.0.0.5:3000/join/ABCDEFGH").expect("encodes");
        assert!(svg.contains("<svg"), "{svg}");
        assert!(!svg.contains("<script"), "{svg}");
        assert!(super::svg(&"x".repeat(10_000)).is_none());
    }
}

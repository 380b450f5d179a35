//! The app's icon, embedded in the binary (drawn in `assets/icon/inkeep-explorer.svg`, rendered
//! to PNGs there by `packaging/render-icons.sh`): the window's icon at runtime and the picture
//! in the About dialog. Installed desktops take the same PNGs from the hicolor theme instead
//! (`scripts/package.sh`), matched to the window through [`crate::build_info::APP_ID`].

/// The 256 px icon: what the window hands the window manager (it scales down from there).
pub const ICON_256_PNG: &[u8] = include_bytes!("../../assets/icon/inkeep-explorer-256.png");

/// The 64 px icon, for the About dialog.
pub const ICON_64_PNG: &[u8] = include_bytes!("../../assets/icon/inkeep-explorer-64.png");

/// The icon in the form a window takes; `None` (logged) if the PNG does not decode, so a
/// broken asset costs the icon, never the window.
pub fn window_icon() -> Option<egui::IconData> {
    decode(ICON_256_PNG)
}

/// Decodes one of the embedded PNGs.
pub fn decode(png: &[u8]) -> Option<egui::IconData> {
    match eframe::icon_data::from_png_bytes(png) {
        Ok(icon) => Some(icon),
        Err(err) => {
            tracing::warn!(%err, "the embedded icon does not decode");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_icons_decode_at_their_sizes() {
        let big = window_icon().unwrap();
        assert_eq!((big.width, big.height), (256, 256));
        assert_eq!(big.rgba.len(), 256 * 256 * 4);
        // Not a blank square: the drawing is there (a transparent corner, an opaque middle).
        assert_eq!(big.rgba[3], 0, "the corner is transparent");
        let middle = (128 * 256 + 128) * 4;
        assert_eq!(big.rgba[middle + 3], 255, "the middle is drawn");
        let small = decode(ICON_64_PNG).unwrap();
        assert_eq!((small.width, small.height), (64, 64));
    }
}

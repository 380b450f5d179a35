//! The chart's "Save as" dialog's model: what is to be saved, the dialog's draft, and
//! the helpers that name and crop it. No egui widgets: `save_dialog.rs` draws it.

use std::path::{Path, PathBuf};

use crate::api::client::format_bytes;
use crate::app::path_input::resolve_typed_path;

/// What is to be saved.
pub enum SaveContent {
    /// A PNG, encoded on the worker.
    Png {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// `width * height * 4` bytes of unpremultiplied RGBA, row by row.
        rgba: Vec<u8>,
    },
    /// Text written as it is (UTF-8).
    Text(String),
}

impl std::fmt::Debug for SaveContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the pixels or the whole text: they can be megabytes.
        match self {
            SaveContent::Png { width, height, .. } => write!(f, "Png({width}×{height})"),
            SaveContent::Text(text) => write!(f, "Text({} bytes)", text.len()),
        }
    }
}

impl SaveContent {
    /// What it is, in words: `PNG image, 800 × 400 pixels`.
    pub fn describe(&self) -> String {
        match self {
            SaveContent::Png { width, height, .. } => format!("PNG image, {width} × {height} pixels"),
            SaveContent::Text(text) => format!("CSV text, {}", format_bytes(text.len() as u64)),
        }
    }
}

/// The dialog's state: what to save and the path being typed.
#[derive(Debug)]
pub struct SaveDialog {
    /// The window title ("Save the chart as PNG").
    pub title: String,
    /// The path typed (or chosen with Browse…).
    pub path_text: String,
    /// Where a relative path is resolved, and where Browse… opens.
    pub directory: Option<PathBuf>,
    /// What is saved.
    pub content: SaveContent,
    /// The system file dialog is open (on the worker).
    pub browsing: bool,
}

impl SaveDialog {
    /// A dialog prefilled with `file_name` in `directory`.
    pub fn new(
        title: impl Into<String>,
        directory: Option<PathBuf>,
        file_name: &str,
        content: SaveContent,
    ) -> Self {
        let path_text = match &directory {
            Some(dir) => dir.join(file_name).display().to_string(),
            None => file_name.to_string(),
        };
        SaveDialog { title: title.into(), path_text, directory, content, browsing: false }
    }

    /// The file name part of the typed path, for Browse….
    pub fn file_name(&self) -> String {
        Path::new(self.path_text.trim())
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The path to write: the typed one, relative paths inside [`SaveDialog::directory`];
    /// `None` when nothing is typed.
    pub fn target_path(&self) -> Option<PathBuf> {
        resolve_typed_path(&self.path_text, self.directory.as_deref())
    }
}

/// A file name with the local date and time, so exports do not overwrite each other:
/// `chart-2025-11-25-2210.png`.
pub fn timestamped_file_name(stem: &str, extension: &str) -> String {
    format!("{stem}-{}.{extension}", jiff::Zoned::now().strftime("%Y-%m-%d-%H%M%S"))
}

/// Cuts `rect` (in points) out of a screenshot, as unpremultiplied RGBA; `None` when the
/// rectangle lies outside the image or is empty.
pub fn crop_rgba(
    image: &egui::ColorImage,
    rect: egui::Rect,
    pixels_per_point: f32,
) -> Option<(u32, u32, Vec<u8>)> {
    let [image_width, image_height] = image.size;
    let to_px = |value: f32, limit: usize| ((value * pixels_per_point).round().max(0.0) as usize).min(limit);
    let (left, right) = (to_px(rect.min.x, image_width), to_px(rect.max.x, image_width));
    let (top, bottom) = (to_px(rect.min.y, image_height), to_px(rect.max.y, image_height));
    if right <= left || bottom <= top {
        return None;
    }
    let (width, height) = (right - left, bottom - top);
    let mut rgba = Vec::with_capacity(width * height * 4);
    for y in top..bottom {
        let row = image.pixels.get(y * image_width + left..y * image_width + right)?;
        rgba.extend(row.iter().flat_map(|pixel| pixel.to_srgba_unmultiplied()));
    }
    Some((u32::try_from(width).ok()?, u32::try_from(height).ok()?, rgba))
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::{Color32, ColorImage, Rect, pos2};

    #[test]
    fn crop_takes_the_rect_in_points_and_clamps_to_the_image() {
        // 4×3 pixels, each a distinct red value.
        let pixels: Vec<Color32> = (0..12).map(|i| Color32::from_rgb(i as u8 * 10, 0, 0)).collect();
        let image = ColorImage::new([4, 3], pixels);
        // At 2 pixels per point, points (0.5, 0.5)–(1.5, 1.5) are pixels (1, 1)–(3, 3).
        let (width, height, rgba) =
            crop_rgba(&image, Rect::from_min_max(pos2(0.5, 0.5), pos2(1.5, 1.5)), 2.0).unwrap();
        assert_eq!((width, height), (2, 2));
        let reds: Vec<u8> = rgba.chunks(4).map(|px| px[0]).collect();
        assert_eq!(reds, [50, 60, 90, 100]);
        // Beyond the image: clamped.
        let (width, height, _) =
            crop_rgba(&image, Rect::from_min_max(pos2(2.0, 0.0), pos2(99.0, 99.0)), 1.0).unwrap();
        assert_eq!((width, height), (2, 3));
        assert!(crop_rgba(&image, Rect::from_min_max(pos2(10.0, 10.0), pos2(20.0, 20.0)), 1.0).is_none());
    }

    #[test]
    fn relative_paths_land_in_the_directory() {
        let dir = PathBuf::from("/tmp/exports");
        let mut dialog = SaveDialog::new("t", Some(dir.clone()), "a.csv", SaveContent::Text(String::new()));
        assert_eq!(dialog.target_path(), Some(dir.join("a.csv")));
        assert_eq!(dialog.file_name(), "a.csv");
        dialog.path_text = "sub/b.csv".into();
        assert_eq!(dialog.target_path(), Some(dir.join("sub/b.csv")));
        dialog.path_text = "/abs/c.csv".into();
        assert_eq!(dialog.target_path(), Some(PathBuf::from("/abs/c.csv")));
        dialog.path_text = "  ".into();
        assert_eq!(dialog.target_path(), None);
    }
}

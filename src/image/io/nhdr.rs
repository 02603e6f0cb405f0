//! Detached NRRD (`.nhdr`): a NRRD header whose `data file` field names the file holding the voxels,
//! relative to the header's folder. The header's fields mean what they mean in an attached `.nrrd`
//! (see [`super::nrrd`]); `line skip` and `byte skip` (raw encoding) skip a preamble of the data file.
//!
//! The data file must lie in the header's folder or below it: a name that climbs out (`..`), an absolute
//! path or a link leading elsewhere is refused, so that a header cannot make the reader open an arbitrary
//! file. Data split over several files (`data file: LIST`, or a name pattern) is not supported.

use std::path::{Component, Path, PathBuf};

use super::ReadOptions;
use crate::error::{Error, Result};
use crate::image::Image;

/// Reads a 3D scalar image from a detached NRRD header and its data file.
pub fn read_nhdr(path: impl AsRef<Path>) -> Result<Image> {
    read_nhdr_with(path, &ReadOptions::default())
}

/// As [`read_nhdr`], with the limits of `options`.
pub fn read_nhdr_with(path: impl AsRef<Path>, options: &ReadOptions) -> Result<Image> {
    let path = path.as_ref();
    read(path, options).map_err(|e| e.context(format!("'{}'", path.display())))
}

fn read(path: &Path, options: &ReadOptions) -> Result<Image> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read", &e))?;
    if !bytes.starts_with(b"NRRD000") {
        return Err(Error::format("not a NRRD header (no NRRD000x magic)"));
    }
    // The header without its data-file fields, which are resolved here.
    let mut header = Vec::new();
    let (mut data_file, mut line_skip, mut byte_skip) = (None, 0usize, 0i64);
    let mut encoding = "raw".to_string();
    for (i, raw_line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = String::from_utf8_lossy(raw_line);
        let line = line.trim_end_matches('\r');
        if i > 0 && line.is_empty() {
            break;
        }
        let key_value = line
            .split_once(": ")
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim()));
        match key_value {
            Some((k, v)) if k == "data file" || k == "datafile" => {
                data_file = Some(v.to_string());
                continue;
            }
            Some((k, v)) if k == "line skip" || k == "lineskip" => {
                line_skip = v
                    .parse()
                    .map_err(|_| Error::format(format!("bad NRRD line skip '{v}'")))?;
                continue;
            }
            Some((k, v)) if k == "byte skip" || k == "byteskip" => {
                byte_skip = v
                    .parse()
                    .ok()
                    .filter(|&b: &i64| b >= -1)
                    .ok_or_else(|| Error::format(format!("bad NRRD byte skip '{v}'")))?;
                continue;
            }
            Some((k, v)) if k == "encoding" => encoding = v.to_string(),
            _ => {}
        }
        header.extend_from_slice(line.as_bytes());
        header.push(b'\n');
    }
    let data_file = data_file.ok_or_else(|| {
        Error::format("NRRD header has no 'data file' field (an attached NRRD is a .nrrd file)")
    })?;
    if data_file.contains(char::is_whitespace) || data_file == "LIST" {
        return Err(Error::format(format!(
            "NRRD data file '{data_file}': data split over several files is not supported"
        )));
    }
    let data_path = data_file_beside(path, &data_file, "NRRD data file")?;
    let data = std::fs::read(&data_path).map_err(|e| Error::io(&data_path, "read", &e))?;
    let mut start = 0;
    if line_skip > 0 || byte_skip != 0 {
        if encoding != "raw" {
            return Err(Error::format(format!(
                "NRRD line skip / byte skip with encoding '{encoding}' is not supported"
            )));
        }
        for _ in 0..line_skip {
            start += data[start..]
                .iter()
                .position(|&b| b == b'\n')
                .ok_or_else(|| {
                    Error::format(format!(
                        "NRRD line skip {line_skip} is beyond the data file"
                    ))
                })?
                + 1;
        }
        if byte_skip == -1 {
            // The data are the file's last bytes, and the attached reader takes what it needs from the
            // front: a first read says how many bytes the header's sizes and type call for.
            let mut probe = header.clone();
            probe.push(b'\n');
            probe.extend_from_slice(&data[start..]);
            let first = super::nrrd::parse(&probe, options)?;
            let [x, y, z] = first.size();
            let width = first.pixel_type().map_or(8, |t| t.size());
            start = data.len() - x * y * z * width;
        } else {
            start = start
                .checked_add(byte_skip as usize)
                .filter(|&s| s <= data.len())
                .ok_or_else(|| {
                    Error::format(format!(
                        "NRRD byte skip {byte_skip} is beyond the data file"
                    ))
                })?;
        }
    }
    header.push(b'\n');
    header.extend_from_slice(&data[start..]);
    super::nrrd::parse(&header, options)
}

/// The path of a data file named `name` by the header at `header`: `name` is relative to the header's
/// folder and must stay inside it (no `..`, no absolute path, no link out of the folder). `what` names
/// the field in errors.
pub(crate) fn data_file_beside(header: &Path, name: &str, what: &str) -> Result<PathBuf> {
    let rel = Path::new(name);
    if name.is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(Error::format(format!(
            "{what} '{name}' is not a plain relative path inside the header's folder"
        )));
    }
    let folder = header.parent().unwrap_or(Path::new("."));
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let joined = folder.join(rel);
    let canonical = joined
        .canonicalize()
        .map_err(|e| Error::io(&joined, "open", &e))?;
    let root = folder
        .canonicalize()
        .map_err(|e| Error::io(folder, "open", &e))?;
    if !canonical.starts_with(&root) {
        return Err(Error::format(format!(
            "{what} '{name}' leads out of the header's folder"
        )));
    }
    Ok(canonical)
}

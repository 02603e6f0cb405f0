//! Reading a NIfTI-1 file no further than its header says it reaches.
//!
//! A `.nii.gz` whose header declares 2×2×2 voxels but whose gzip stream inflates to gigabytes (a "gzip
//! bomb"), or a device such as `/dev/zero` named `x.nii`, must not be read to its end: the header, at the
//! start, says how many bytes the file needs (`vox_offset` + voxels × bytes per voxel). The stream is read
//! up to that many bytes; a compressed stream that goes on past them (beyond a little slack for padding)
//! is refused, so that its checksum is still verified for ordinary files.

use std::io::Read;

use crate::error::{Error, ErrorKind, Result};

/// Bytes a compressed stream may hold past what its header declares (padding some writers add).
const SLACK: usize = 1 << 20;

/// The bytes a NIfTI-1 file needs according to its first 348 bytes: `vox_offset` plus the voxel data of
/// `dim[1..=7]` at `bitpix` bits; `None` when the header is not one (then only the header is read, and
/// the parser says what is wrong).
pub(crate) fn nifti_declared_len(h: &[u8]) -> Option<usize> {
    if h.len() < 348 {
        return None;
    }
    let i32_at = |o: usize, le: bool| {
        let b = [h[o], h[o + 1], h[o + 2], h[o + 3]];
        if le {
            i32::from_le_bytes(b)
        } else {
            i32::from_be_bytes(b)
        }
    };
    let le = match (i32_at(0, true), i32_at(0, false)) {
        (348, _) => true,
        (_, 348) => false,
        _ => return None,
    };
    let i16_at = |o: usize| {
        let b = [h[o], h[o + 1]];
        if le {
            i16::from_le_bytes(b)
        } else {
            i16::from_be_bytes(b)
        }
    };
    let f32_at = |o: usize| f32::from_bits(i32_at(o, le) as u32);
    let ndim = i16_at(40);
    if !(1..=7).contains(&ndim) {
        return None;
    }
    let mut voxels: usize = 1;
    for i in 1..=ndim as usize {
        let d = i16_at(40 + 2 * i);
        if d < 1 {
            return None;
        }
        voxels = voxels.checked_mul(d as usize)?;
    }
    let bitpix = i16_at(72);
    if bitpix < 1 || bitpix % 8 != 0 {
        return None;
    }
    let offset = f32_at(108);
    if !(offset.is_finite() && (348.0..=1.0e9).contains(&offset)) {
        return None;
    }
    voxels
        .checked_mul(bitpix as usize / 8)?
        .checked_add(offset as usize)
}

/// Reads at most `n` bytes of `r` into `out`.
fn read_up_to(r: &mut impl Read, n: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
    r.take(n as u64).read_to_end(out).map(|_| ())
}

/// Reads a NIfTI-1 stream, plain or gzip (detected by its magic bytes), up to what its header declares
/// and never more than `limit` bytes. Errors: a compressed stream that is corrupt or truncated (Format),
/// or that goes on past the declared length or the limit (LimitExceeded).
pub(crate) fn read_nifti_stream(mut r: impl Read, limit: usize) -> Result<Vec<u8>> {
    let mut magic = Vec::with_capacity(2);
    read_up_to(&mut r, 2, &mut magic).map_err(|e| Error::format(format!("cannot read: {e}")))?;
    let mut chained = std::io::Cursor::new(magic.clone()).chain(r);
    if magic == [0x1f, 0x8b] {
        let mut gz = flate2::read::MultiGzDecoder::new(chained);
        let corrupt =
            |e: std::io::Error| Error::format(format!("gzip stream is corrupt or truncated ({e})"));
        let mut out = Vec::new();
        read_up_to(&mut gz, 348, &mut out).map_err(corrupt)?;
        let want = nifti_declared_len(&out).unwrap_or(out.len()).min(limit);
        read_up_to(&mut gz, want.saturating_sub(out.len()), &mut out).map_err(corrupt)?;
        // Past the declared data, the stream must end soon (its CRC is checked at the end).
        let mut rest = Vec::new();
        read_up_to(&mut gz, SLACK + 1, &mut rest).map_err(corrupt)?;
        if rest.len() > SLACK {
            // Past the limit: a limit; past what the header declares: a file at odds with itself.
            let kind = if want == limit {
                ErrorKind::LimitExceeded
            } else {
                ErrorKind::Format
            };
            return Err(Error::new(
                kind,
                format!(
                    "gzip data inflates to more than {} bytes, the {} its header declares{}",
                    want + SLACK,
                    want,
                    if want == limit {
                        " (or the limit for this file)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        out.extend_from_slice(&rest);
        Ok(out)
    } else {
        let mut out = Vec::new();
        let io = |e: std::io::Error| Error::format(format!("cannot read: {e}"));
        read_up_to(&mut chained, 348, &mut out).map_err(io)?;
        let want = nifti_declared_len(&out).map_or(352, |n| n.min(limit));
        read_up_to(&mut chained, want.saturating_sub(out.len()), &mut out).map_err(io)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn header(dims: [i16; 3]) -> Vec<u8> {
        let mut h = vec![0u8; 352];
        h[0..4].copy_from_slice(&348i32.to_le_bytes());
        h[40..42].copy_from_slice(&3i16.to_le_bytes());
        for (i, d) in dims.iter().enumerate() {
            h[42 + 2 * i..44 + 2 * i].copy_from_slice(&d.to_le_bytes());
        }
        h[72..74].copy_from_slice(&16i16.to_le_bytes());
        h[108..112].copy_from_slice(&352f32.to_le_bytes());
        h
    }

    #[test]
    fn declared_length_is_offset_plus_voxel_bytes() {
        assert_eq!(nifti_declared_len(&header([2, 3, 4])), Some(352 + 2 * 24));
        assert_eq!(nifti_declared_len(&[0u8; 348]), None);
    }

    #[test]
    fn a_plain_stream_is_read_no_further_than_declared() {
        // An endless stream after a 2x2x2 header: only the declared bytes are read.
        let endless = std::io::Cursor::new(header([2, 2, 2])).chain(std::io::repeat(7));
        let out = read_nifti_stream(endless, usize::MAX).unwrap();
        assert_eq!(out.len(), 352 + 16);
        // Zeros (no header): only a header's worth.
        assert_eq!(
            read_nifti_stream(std::io::repeat(0), usize::MAX)
                .unwrap()
                .len(),
            352
        );
    }

    #[test]
    fn a_gzip_stream_inflating_past_its_header_is_refused() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&header([2, 2, 2])).unwrap();
        enc.write_all(&vec![0u8; 3 << 20]).unwrap();
        let gz = enc.finish().unwrap();
        let e = read_nifti_stream(&gz[..], usize::MAX).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Format, "{e}");
        assert!(e.message().contains("368 its header declares"), "{e}");
    }
}

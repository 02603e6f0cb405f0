//! A minimal reader of numpy `.npy` files: little-endian float64, C order (what the reference matrices use).

use std::path::Path;

/// A float64 array from a `.npy` file: shape and values in C order.
pub struct Npy {
    /// The array's shape.
    pub shape: Vec<usize>,
    /// The values, C order.
    pub data: Vec<f64>,
}

/// Reads a `<f8`, C-order `.npy` file; panics (a test failure) on anything else.
pub fn read_npy(path: &Path) -> Npy {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        &bytes[..6],
        b"\x93NUMPY",
        "{}: not a .npy file",
        path.display()
    );
    let major = bytes[6];
    let (hlen, start) = if major == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else {
        (
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize,
            12,
        )
    };
    let header = std::str::from_utf8(&bytes[start..start + hlen]).unwrap();
    assert!(header.contains("'descr': '<f8'"), "{header}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    let shape_txt = header
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let shape: Vec<usize> = shape_txt
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let n: usize = shape.iter().product();
    let body = &bytes[start + hlen..];
    assert!(body.len() >= 8 * n, "{}: truncated", path.display());
    let data = body[..8 * n]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    Npy { shape, data }
}

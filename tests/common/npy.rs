//! A minimal reader of numpy `.npy` files: little-endian float64, C or Fortran order (the reference matrices
//! use both); values are returned in C order.

use std::path::Path;

/// A float64 array from a `.npy` file: shape and values in C order.
pub struct Npy {
    /// The array's shape.
    pub shape: Vec<usize>,
    /// The values, C order.
    pub data: Vec<f64>,
}

/// Reads a `<f8` `.npy` file (C or Fortran order) into C order; panics (a test failure) on anything else.
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
    let fortran = header.contains("'fortran_order': True");
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
    let raw: Vec<f64> = body[..8 * n]
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let data = if fortran {
        fortran_to_c(&raw, &shape)
    } else {
        raw
    };
    Npy { shape, data }
}

/// Reorders column-major values of `shape` into row-major order.
fn fortran_to_c(raw: &[f64], shape: &[usize]) -> Vec<f64> {
    let n = raw.len();
    let mut out = vec![0.0; n];
    let mut index = vec![0usize; shape.len()];
    for (c_pos, slot) in out.iter_mut().enumerate() {
        // Decompose the C-order position, then find the Fortran-order position of the same index.
        let mut rem = c_pos;
        for d in (0..shape.len()).rev() {
            index[d] = rem % shape[d];
            rem /= shape[d];
        }
        let mut f_pos = 0;
        for d in (0..shape.len()).rev() {
            f_pos = f_pos * shape[d] + index[d];
        }
        *slot = raw[f_pos];
    }
    out
}

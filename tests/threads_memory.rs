//! Parallel extraction gives the single-threaded result bit for bit, and repeated extraction does not
//! grow memory.

mod common;

use radiomics::image::io::read_image;
use radiomics::synthetic::{lesion_phantom, PhantomSpec};
use radiomics::{Extractor, Features, Settings};

fn in_pool(threads: usize, f: impl FnOnce() -> Features + Send) -> Features {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

fn assert_bit_identical(a: &Features, b: &Features) {
    assert_eq!(a.names(), b.names());
    for ((n, x), y) in a.iter().zip(b.values()) {
        assert_eq!(x.to_bits(), y.to_bits(), "{n}: {x} vs {y}");
    }
}

#[test]
fn multi_threaded_equals_single_threaded_bit_for_bit() {
    let data = require_data!();
    let dir = data.join("pyradiomics");
    let image = read_image(dir.join("nifti/breast1_image.nii.gz")).unwrap();
    let mask = read_image(dir.join("nifti/breast1_label.nii.gz")).unwrap();
    let settings = Settings::from_file(dir.join("reference/params/filters.yaml")).unwrap();
    let ex = Extractor::new(settings);
    let one = in_pool(1, || ex.extract(&image, &mask).unwrap());
    let four = in_pool(4, || ex.extract(&image, &mask).unwrap());
    assert_eq!(one.len(), 1781);
    assert_bit_identical(&one, &four);
    // The `threads` setting bounds an extractor's own pool, with the same result.
    let mut bounded = Settings::from_file(dir.join("reference/params/filters.yaml")).unwrap();
    bounded.set("threads", 2.into()).unwrap();
    let two = Extractor::new(bounded).extract(&image, &mask).unwrap();
    assert_bit_identical(&one, &two);
}

/// Resident memory of this process in bytes (Linux), or `None` elsewhere.
fn rss() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[test]
fn a_thousand_extractions_keep_memory_steady() {
    let (image, mask) = lesion_phantom(&PhantomSpec::default(), 11);
    let ex = Extractor::new(Settings::default());
    let first = ex.extract(&image, &mask).unwrap();
    let run = |n: usize| {
        for _ in 0..n {
            let f = ex.extract(&image, &mask).unwrap();
            assert_eq!(f.len(), first.len());
        }
    };
    run(100);
    let Some(before) = rss() else {
        eprintln!("notice: no /proc/self/statm; memory not measured");
        return;
    };
    run(900);
    let after = rss().unwrap();
    let growth = after.saturating_sub(before);
    eprintln!("resident memory after 100 extractions {before} B, after 1000 {after} B");
    // 2 MiB over 900 extractions: any leak above about 2.3 KiB per extraction (one cropped ROI, one
    // texture matrix) fails; smaller growth is within allocator noise.
    assert!(
        growth < 2 << 20,
        "memory grew by {growth} bytes over 900 extractions"
    );
}

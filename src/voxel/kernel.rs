//! The maps of one derived image: every ROI voxel's kernel, through the class kernels of
//! [`crate::features`].

use ndarray::{Array3, ArrayView3};
use rayon::prelude::*;

use super::glcm::{self as fast_glcm, GlcmSetup, KernelBox};
use super::glrlm as fast_glrlm;
use super::{FeatureMap, VoxelParams};
use crate::error::{Error, ErrorKind, Result};
use crate::extract::Extractor;
use crate::features::texture::{angles_within, Offset};
use crate::features::{firstorder, glcm, gldm, glrlm, glszm, ngtdm, FeatureClass};
use crate::image::Image;
use crate::preprocess::discretise::{discretise_limited, GreyLevels};
use crate::settings::{Params, Selection};

/// Kernels computed between two progress reports (and cancellation checks): about 1/64 of the ROI, within
/// these bounds.
const CHUNK: (usize, usize) = (16, 1024);

/// One derived image and what to compute on it.
pub(super) struct Job<'a> {
    /// `original`, `log-sigma-2-0-mm-3D`, ...
    pub type_name: &'a str,
    /// The derived image on the maps' grid.
    pub image: &'a Image,
    /// The ROI on the maps' grid.
    pub roi: ArrayView3<'a, bool>,
    pub params: &'a Params,
    pub voxel: &'a VoxelParams,
    /// The enabled classes (shape excluded), in output order.
    pub classes: &'a [(FeatureClass, Selection)],
}

/// One map column: where its value comes from.
struct Column {
    name: String,
    /// Index of the class in `Job::classes`.
    class: usize,
    /// Index of the feature in its class's registry.
    feature: usize,
    /// PyRadiomics raises on it (deprecated texture features): the map keeps `initValue`.
    raises: bool,
    /// GLCM's MCC (subject to the per-batch failure rule).
    mcc: bool,
    /// GLCM's JointAverage: NaN where the kernel lacks a pair at an angle of its batch.
    joint_average: bool,
}

/// The shape of every kernel: its radius, the reach of the texture boxes, the in-plane restriction.
struct Geometry {
    /// The maps' grid, (z, y, x).
    dim: [usize; 3],
    radius: usize,
    /// Half width of the box a texture class is given: at least the radius and the largest distance, so
    /// that the class forms the same angles as PyRadiomics does on the whole grid.
    half: usize,
    /// `force2Ddimension` when `force2D`: kernels are one voxel thick along it.
    plane: Option<usize>,
}

impl Geometry {
    /// The kernel of `v`: inclusive bounds per axis, within the grid.
    fn kernel(&self, v: [usize; 3]) -> ([usize; 3], [usize; 3]) {
        let mut lo = v;
        let mut hi = v;
        for a in 0..3 {
            if self.plane != Some(a) {
                lo[a] = v[a].saturating_sub(self.radius);
                hi[a] = (v[a] + self.radius).min(self.dim[a] - 1);
            }
        }
        (lo, hi)
    }

    /// The texture box of `v`: its first voxel (grid coordinates, possibly outside the grid) and size.
    fn texture_box(&self, v: [usize; 3]) -> ([isize; 3], [usize; 3]) {
        let mut start = [0isize; 3];
        let mut size = [1usize; 3];
        for a in 0..3 {
            if self.plane == Some(a) {
                start[a] = v[a] as isize;
            } else if self.dim[a] <= 2 * self.half + 1 {
                size[a] = self.dim[a];
            } else {
                start[a] = v[a] as isize - self.half as isize;
                size[a] = 2 * self.half + 1;
            }
        }
        (start, size)
    }
}

/// The maps of `job`, in column order. `progress` gets the fraction of kernels done and may cancel.
pub(super) fn feature_maps(
    extractor: &Extractor,
    job: &Job<'_>,
    progress: &mut dyn FnMut(f64) -> Result<()>,
) -> Result<Vec<FeatureMap>> {
    let p = job.params;
    let vp = job.voxel;
    let data = job.image.data();
    let (nz, ny, nx) = data.dim();
    let dim = [nz, ny, nx];
    if job.roi.dim() != data.dim() {
        return Err(Error::internal(format!(
            "the ROI's grid {:?} differs from the image's {dim:?}",
            job.roi.dim()
        )));
    }
    // The voxels that take part in kernels (and in the discretisation): the ROI, or the whole grid.
    let part: Array3<bool> = if vp.masked_kernel {
        job.roi.to_owned()
    } else {
        Array3::from_elem(data.raw_dim(), true)
    };
    if let Some(((z, y, x), v)) = ndarray::Zip::indexed(data)
        .and(&part)
        .fold(None, |found, idx, &v, &m| {
            found.or_else(|| (m && !v.is_finite()).then_some((idx, v)))
        })
    {
        return Err(Error::invalid(format!(
            "the {} image holds {v} at voxel (x={x}, y={y}, z={z}) of the maps' grid, inside a kernel; intensities must be finite",
            job.type_name
        )));
    }
    let grey = discretise_limited(data, part.view(), p.binning(), p.max_grey_levels)?;
    let mut seen = vec![false; grey.max_level as usize + 1];
    for (&l, &m) in grey.levels.iter().zip(part.iter()) {
        if m {
            seen[l as usize] = true;
        }
    }
    let roi_levels = seen.iter().skip(1).filter(|&&s| s).count();

    let columns = columns(job);
    let voxels: Vec<[usize; 3]> = ndarray::indices(data.raw_dim())
        .into_iter()
        .filter(|&(z, y, x)| job.roi[[z, y, x]])
        .map(|(z, y, x)| [z, y, x])
        .collect();
    let grid_voxels = nz * ny * nx;
    let bytes = columns
        .len()
        .checked_mul(grid_voxels)
        .and_then(|c| c.checked_add(voxels.len().saturating_mul(columns.len())))
        .and_then(|c| c.checked_mul(8));
    if bytes.is_none_or(|b| b > p.max_memory_bytes()) {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "{} maps of {nx}x{ny}x{nz} voxels would take {} MiB, more than the limit of {} MiB (setting maxMemoryMB; enable fewer features or image types)",
                columns.len(),
                bytes.map_or("more than 2^64 bytes".into(), |b| (b >> 20).to_string()),
                p.max_memory_mb
            ),
        ));
    }

    let tex = &p.texture;
    let has_texture = job
        .classes
        .iter()
        .any(|(c, _)| *c != FeatureClass::FirstOrder);
    let max_distance = tex.distances.iter().copied().max().unwrap_or(1);
    let geometry = Geometry {
        dim,
        radius: vp.kernel_radius,
        half: if has_texture {
            vp.kernel_radius.max(max_distance)
        } else {
            vp.kernel_radius
        },
        plane: tex.plane(),
    };
    // PyRadiomics' GLCM angles: those of the whole grid.
    let want_pairs = columns.iter().any(|c| c.mcc || c.joint_average);
    let has_glcm = job.classes.iter().any(|(c, _)| *c == FeatureClass::Glcm);
    let glcm_angles: Vec<Offset> = if want_pairs || has_glcm {
        angles_within(dim, &tex.distances, tex.plane(), false)
    } else {
        Vec::new()
    };

    let glrlm_directions = angles_within(dim, &[1], tex.plane(), false);
    let kernel_input = KernelInput {
        data,
        part: part.view(),
        grey: &grey,
        roi_levels,
        geometry: &geometry,
        job,
        glcm_angles: &glcm_angles,
        fast_glcm: GlcmSetup::applies(&glcm_angles, tex.weighting_norm.is_some()).then_some(
            GlcmSetup {
                offsets: &glcm_angles,
                symmetric: tex.symmetrical_glcm,
                ng: grey.max_level as usize,
                roi_levels,
            },
        ),
        glrlm_directions: &glrlm_directions,
        fast_glrlm: fast_glrlm::applies(&glrlm_directions, tex.weighting_norm.is_some()),
    };
    // First the GLCM angles at which each kernel has a voxel pair (cheap), which decide where
    // PyRadiomics' MCC fails (then it is not computed at all) and where JointAverage is NaN.
    //
    // PyRadiomics drops a GLCM angle only when no kernel of the batch has a pair at it; a kernel without
    // a pair at a kept angle has a NaN matrix there. Most features skip it (nanmean); JointAverage, a plain
    // mean, becomes NaN; MCC fails for the whole batch (numpy's eigenvalue routine refuses NaN), leaving
    // initValue. With a single angle (weightingNorm merges them) nothing is dropped: a kernel without any
    // pair is NaN.
    let pairs: Vec<Vec<u64>> = if want_pairs {
        extractor.in_pool(|| voxels.par_iter().map(|&v| kernel_input.pairs(v)).collect())
    } else {
        Vec::new()
    };
    let ncol = columns.len();
    let single_angle = tex.weighting_norm.is_some() || glcm_angles.len() == 1;
    let batch = vp.voxel_batch.unwrap_or(voxels.len()).max(1);
    let mut missing_angle = vec![false; voxels.len()];
    let mut mcc_failed = vec![false; voxels.len()];
    for (b, sets) in pairs.chunks(batch).enumerate() {
        let start = b * batch;
        let mut union = vec![0u64; sets.first().map_or(0, Vec::len)];
        for s in sets {
            for (u, &w) in union.iter_mut().zip(s) {
                *u |= w;
            }
        }
        for (k, s) in sets.iter().enumerate() {
            missing_angle[start + k] = if single_angle {
                s.iter().all(|&w| w == 0)
            } else {
                *s != union
            };
        }
        if missing_angle[start..start + sets.len()].iter().any(|&m| m) {
            mcc_failed[start..start + sets.len()].fill(true);
        }
    }
    let want_mcc = columns.iter().any(|c| c.mcc);

    let mut rows: Vec<f64> = Vec::with_capacity(voxels.len() * ncol);
    let mut done = 0usize;
    let chunk_len = (voxels.len() / 64).clamp(CHUNK.0, CHUNK.1);
    for (i, chunk) in voxels.chunks(chunk_len).enumerate() {
        let first = i * chunk_len;
        let results: Vec<Vec<f64>> = extractor.in_pool(|| {
            chunk
                .par_iter()
                .enumerate()
                .map_init(
                    || Scratch::new(grey.max_level),
                    |scratch, (k, &v)| {
                        kernel_input.compute(
                            scratch,
                            v,
                            &columns,
                            want_mcc && !mcc_failed[first + k],
                        )
                    },
                )
                .collect()
        });
        for r in results {
            rows.extend_from_slice(&r);
        }
        done += chunk.len();
        progress(done as f64 / voxels.len().max(1) as f64)?;
    }

    let geometry_out = job.image.geometry();
    let mut maps = Vec::with_capacity(ncol);
    for (c, col) in columns.iter().enumerate() {
        let mut map = Array3::from_elem(data.raw_dim(), vp.init_value);
        if !col.raises {
            for (k, v) in voxels.iter().enumerate() {
                if col.mcc && mcc_failed[k] {
                    continue;
                }
                map[*v] = if col.joint_average && missing_angle[k] {
                    f64::NAN
                } else {
                    rows[k * ncol + c]
                };
            }
        }
        maps.push(FeatureMap {
            name: col.name.clone(),
            image: Image::new(map, *geometry_out)?,
        });
    }
    Ok(maps)
}

/// The columns of `job`: every selected feature of every class, in output order.
fn columns(job: &Job<'_>) -> Vec<Column> {
    let mut out = Vec::new();
    for (ci, (class, selection)) in job.classes.iter().enumerate() {
        for (fi, info) in class.features().iter().enumerate() {
            let on = match selection {
                Selection::All => !info.deprecated,
                Selection::Names(names) => names.iter().any(|n| n == info.name),
            };
            if on {
                out.push(Column {
                    name: format!("{}_{}_{}", job.type_name, class.name(), info.name),
                    class: ci,
                    feature: fi,
                    raises: info.deprecated && *class != FeatureClass::FirstOrder,
                    mcc: *class == FeatureClass::Glcm && info.name == "MCC",
                    joint_average: *class == FeatureClass::Glcm && info.name == "JointAverage",
                });
            }
        }
    }
    out
}

/// Everything a kernel reads, shared by the worker threads.
struct KernelInput<'a, 'j> {
    data: ArrayView3<'a, f64>,
    /// Voxels that take part in kernels.
    part: ArrayView3<'a, bool>,
    /// Grey levels over the grid (0 where not taking part).
    grey: &'a GreyLevels,
    /// How many grey levels the ROI (the grid, unmasked) has.
    roi_levels: usize,
    geometry: &'a Geometry,
    job: &'a Job<'j>,
    glcm_angles: &'a [Offset],
    /// The GLCM's setup where kernels may take the sparse route ([`super::glcm`]).
    fast_glcm: Option<GlcmSetup<'a>>,
    /// GLRLM's run directions (those of the grid), and whether kernels may take the sparse route
    /// ([`super::glrlm`]).
    glrlm_directions: &'a [Offset],
    fast_glrlm: bool,
}

/// A worker thread's buffers, reused from kernel to kernel.
struct Scratch {
    glcm: fast_glcm::Scratch,
    glrlm: fast_glrlm::Scratch,
    /// The kernel's grey levels (0 where a voxel takes no part), row-major over its box.
    levels: Vec<u32>,
    /// One class's features.
    class_out: Vec<f64>,
}

impl Scratch {
    fn new(max_level: u32) -> Scratch {
        Scratch {
            glcm: fast_glcm::Scratch::new(max_level),
            glrlm: fast_glrlm::Scratch::new(max_level),
            levels: Vec::new(),
            class_out: Vec::new(),
        }
    }
}

impl KernelInput<'_, '_> {
    /// The values of every column for the kernel of `v`; GLCM's MCC only `with_mcc`.
    fn compute(
        &self,
        scratch: &mut Scratch,
        v: [usize; 3],
        columns: &[Column],
        with_mcc: bool,
    ) -> Vec<f64> {
        let job = self.job;
        let p = job.params;
        let spacing = job.image.spacing();
        let (lo, hi) = self.geometry.kernel(v);
        let inside = |q: [usize; 3]| (0..3).all(|a| q[a] >= lo[a] && q[a] <= hi[a]);

        // The kernel's box of grey levels (0 where a voxel takes no part), for the sparse routes.
        let needs_box = job
            .classes
            .iter()
            .any(|(c, _)| *c != FeatureClass::FirstOrder);
        let dims = [0, 1, 2].map(|a| hi[a] - lo[a] + 1);
        scratch.levels.clear();
        if needs_box {
            for z in lo[0]..=hi[0] {
                for y in lo[1]..=hi[1] {
                    for x in lo[2]..=hi[2] {
                        scratch.levels.push(self.grey.levels[[z, y, x]]);
                    }
                }
            }
        }
        // The texture box of the general routes (levels of the kernel's voxels, 0 elsewhere), made when
        // first needed.
        let mut texture_box: Option<GreyLevels> = None;
        let make_box = || {
            let (start, size) = self.geometry.texture_box(v);
            let levels = Array3::from_shape_fn((size[0], size[1], size[2]), |(z, y, x)| {
                let q = [
                    start[0] + z as isize,
                    start[1] + y as isize,
                    start[2] + x as isize,
                ];
                if q.iter().any(|&c| c < 0) {
                    return 0;
                }
                let q = q.map(|c| c as usize);
                if inside(q) {
                    self.grey.levels[q]
                } else {
                    0
                }
            });
            GreyLevels {
                levels,
                max_level: self.grey.max_level,
                edges: Vec::new(),
            }
        };

        let Scratch {
            glcm: glcm_scratch,
            glrlm: glrlm_scratch,
            levels: box_levels,
            class_out,
        } = scratch;
        let kernel = KernelBox {
            dims,
            levels: box_levels,
        };
        let per_class: Vec<Vec<f64>> = job
            .classes
            .iter()
            .map(|(class, _)| {
                let tex = &p.texture;
                match class {
                    FeatureClass::FirstOrder => {
                        let mut values = Vec::new();
                        let mut levels = Vec::new();
                        for z in lo[0]..=hi[0] {
                            for y in lo[1]..=hi[1] {
                                for x in lo[2]..=hi[2] {
                                    if self.part[[z, y, x]] {
                                        values.push(self.data[[z, y, x]]);
                                        levels.push(self.grey.levels[[z, y, x]]);
                                    }
                                }
                            }
                        }
                        firstorder::compute(&values, &levels, spacing, p.voxel_array_shift)
                    }
                    FeatureClass::Glcm => {
                        if let Some(setup) = &self.fast_glcm {
                            class_out.clear();
                            class_out.resize(glcm::FEATURES.len(), 0.0);
                            if fast_glcm::features(
                                glcm_scratch,
                                setup,
                                &kernel,
                                with_mcc,
                                class_out,
                            ) {
                                return class_out.clone();
                            }
                        }
                        let grey = texture_box.get_or_insert_with(make_box);
                        let mut seen = vec![false; grey.max_level as usize + 1];
                        for &l in grey.levels.iter() {
                            seen[l as usize] = true;
                        }
                        let kernel_levels = seen.iter().skip(1).filter(|&&s| s).count();
                        glcm::compute_with_absent_levels(
                            grey,
                            spacing,
                            tex,
                            self.roi_levels.saturating_sub(kernel_levels),
                            with_mcc,
                        )
                    }
                    FeatureClass::Glrlm => {
                        if self.fast_glrlm {
                            class_out.clear();
                            class_out.resize(glrlm::FEATURES.len(), 0.0);
                            if fast_glrlm::features(
                                glrlm_scratch,
                                self.glrlm_directions,
                                &kernel,
                                class_out,
                            ) {
                                return class_out.clone();
                            }
                        }
                        glrlm::compute(texture_box.get_or_insert_with(make_box), spacing, tex)
                    }
                    FeatureClass::Gldm => {
                        gldm::compute(texture_box.get_or_insert_with(make_box), spacing, tex)
                    }
                    FeatureClass::Glszm => {
                        glszm::compute(texture_box.get_or_insert_with(make_box), spacing, tex)
                    }
                    FeatureClass::Ngtdm => {
                        ngtdm::compute(texture_box.get_or_insert_with(make_box), spacing, tex)
                    }
                    FeatureClass::Shape | FeatureClass::Shape2D => Vec::new(),
                }
            })
            .collect();
        columns
            .iter()
            .map(|c| {
                per_class[c.class]
                    .get(c.feature)
                    .copied()
                    .unwrap_or(f64::NAN)
            })
            .collect()
    }

    /// The GLCM angles (bits, in `glcm_angles` order) at which the kernel of `v` has a pair of voxels,
    /// both taking part and both in the kernel.
    fn pairs(&self, v: [usize; 3]) -> Vec<u64> {
        let (lo, hi) = self.geometry.kernel(v);
        let inside = |q: [usize; 3]| (0..3).all(|a| q[a] >= lo[a] && q[a] <= hi[a]);
        let mut pairs = vec![0u64; self.glcm_angles.len().div_ceil(64)];
        for (a, o) in self.glcm_angles.iter().enumerate() {
            'search: for z in lo[0]..=hi[0] {
                for y in lo[1]..=hi[1] {
                    for x in lo[2]..=hi[2] {
                        if !self.part[[z, y, x]] {
                            continue;
                        }
                        let q = [z as isize + o[0], y as isize + o[1], x as isize + o[2]];
                        if q.iter().any(|&c| c < 0) {
                            continue;
                        }
                        let q = q.map(|c| c as usize);
                        if inside(q) && self.part[q] {
                            pairs[a / 64] |= 1 << (a % 64);
                            break 'search;
                        }
                    }
                }
            }
        }
        pairs
    }
}

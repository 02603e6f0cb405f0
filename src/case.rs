//! Multi-sequence cases: one mask, several co-registered images keyed by modality (`t1c`, `adc`, `fa`, any
//! name), each with its own settings if need be.
//!
//! Feature names carry the modality as prefix: `fa_original_glcm_Contrast`. An image on another grid than
//! the mask's (ADC and FA maps usually have coarser voxels than the T1C the lesion was drawn on) is first
//! resampled onto the mask's grid in world coordinates, with that modality's `interpolator` (linear or
//! B-spline; nearest neighbour on request); the mask is never resampled. An image on the mask's grid (within
//! `geometryTolerance`) is used as it is, so a single-modality case gives exactly the features of a plain
//! extraction.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::extract::{Extractor, Features};
use crate::image::{check_same_grid, Image};
use crate::settings::Settings;

/// One lesion: images by modality, in the order given, and its label image.
#[derive(Debug, Clone)]
pub struct Case {
    /// (modality, image) pairs; modalities are distinct.
    pub images: Vec<(String, Image)>,
    /// The label image (the reference grid).
    pub mask: Image,
}

/// Checks that a modality name can prefix feature names: lower-case letters, digits and `-`, starting with a
/// letter.
pub fn check_modality_name(name: &str) -> Result<()> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "modality name '{name}' must be lower-case letters, digits or '-', starting with a letter (e.g. t1c, adc, fa)"
        )))
    }
}

/// Extracts every modality of a [`Case`], each with its own settings (or the default ones).
#[derive(Debug, Clone, Default)]
pub struct CaseExtractor {
    default: Settings,
    per_modality: BTreeMap<String, Settings>,
}

impl CaseExtractor {
    /// Every modality with `default` settings.
    pub fn new(default: Settings) -> CaseExtractor {
        CaseExtractor {
            default,
            per_modality: BTreeMap::new(),
        }
    }

    /// Uses `settings` for `modality`.
    pub fn with_modality(mut self, modality: &str, settings: Settings) -> Result<CaseExtractor> {
        check_modality_name(modality)?;
        self.per_modality.insert(modality.to_string(), settings);
        Ok(self)
    }

    /// Sets the ROI label in every modality's settings.
    pub fn with_label(mut self, label: i64) -> Result<CaseExtractor> {
        self.default.set("label", label.into())?;
        for s in self.per_modality.values_mut() {
            s.set("label", label.into())?;
        }
        Ok(self)
    }

    /// The settings used for `modality`.
    pub fn settings_for(&self, modality: &str) -> &Settings {
        self.per_modality.get(modality).unwrap_or(&self.default)
    }

    /// The settings of every modality that has its own.
    pub fn modality_settings(&self) -> &BTreeMap<String, Settings> {
        &self.per_modality
    }

    /// Errors when settings were given for a modality not among `present` (a typo, or a `--params`
    /// that would silently have no effect).
    pub fn check_modalities(&self, present: &[&str]) -> Result<()> {
        for m in self.per_modality.keys() {
            if !present.contains(&m.as_str()) {
                return Err(Error::setting(format!(
                    "settings were given for modality '{m}', which the case does not have (modalities: {})",
                    present.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// A digest of every setting (default and per modality): equal digests, equal features.
    pub fn settings_fingerprint(&self) -> String {
        use sha2::Digest;
        let mut doc = serde_json::Map::new();
        doc.insert("default".into(), self.default.to_value());
        for (m, s) in &self.per_modality {
            doc.insert(format!("modality {m}"), s.to_value());
        }
        let text = serde_json::Value::Object(doc).to_string();
        sha2::Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The default settings.
    pub fn default_settings(&self) -> &Settings {
        &self.default
    }

    /// Features of every modality, prefixed with its name, modalities in the case's order.
    pub fn extract(&self, case: &Case) -> Result<Features> {
        if case.images.is_empty() {
            return Err(Error::invalid("a case needs at least one image"));
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Features::new();
        for (modality, image) in &case.images {
            check_modality_name(modality)?;
            if !seen.insert(modality.as_str()) {
                return Err(Error::invalid(format!(
                    "modality '{modality}' is given twice"
                )));
            }
            let settings = self.settings_for(modality);
            let on_grid = onto_mask_grid(image, &case.mask, settings)
                .map_err(|e| e.context(format!("modality '{modality}'")))?;
            let features = Extractor::new(settings.clone())
                .extract(&on_grid, &case.mask)
                .map_err(|e| e.context(format!("modality '{modality}'")))?;
            out.extend_prefixed(modality, &features);
        }
        Ok(out)
    }
}

/// `image` itself when it lies on the mask's grid, else `image` resampled onto that grid.
fn onto_mask_grid(image: &Image, mask: &Image, settings: &Settings) -> Result<Image> {
    let p = settings.params();
    let same = check_same_grid(
        (mask.geometry(), mask.size()),
        (image.geometry(), image.size()),
        p.geometry_tolerance,
    );
    match same {
        Ok(()) => Ok(image.clone()),
        Err(_) => {
            // The image must cover the ROI it is resampled for (an empty or absent label is reported by
            // the extraction itself).
            if let Some(bb) = crate::preprocess::label::select_label(mask, p.label)
                .ok()
                .and_then(|m| m.bounding_box())
            {
                crate::image::overlap::check_roi_inside(
                    image.geometry(),
                    image.size(),
                    mask.geometry(),
                    &bb,
                )?;
            }
            crate::preprocess::resample::resample_onto(
                image,
                mask.geometry(),
                mask.size(),
                crate::preprocess::resample::Interpolator::from(p.interpolator),
            )
        }
    }
}

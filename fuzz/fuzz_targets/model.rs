//! The model-file loader. Each input is tried as it is (almost always refused by the checksum), then with
//! its checksum recomputed, so that the checks behind the checksum (version, structure, consistency) and
//! prediction with a model that loaded are fuzzed too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radiomics::learn::model::{checksum_of, Model};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Model::from_json(text);
    let Ok(mut doc) = serde_json::from_str::<Value>(text) else {
        return;
    };
    if let Value::Object(map) = &mut doc {
        let sum = checksum_of(&Value::Object(map.clone()));
        map.insert("checksum".into(), Value::String(sum));
    }
    if let Ok(model) = Model::from_json(&doc.to_string()) {
        let names = model.feature_names.clone();
        let values = vec![0.5; names.len()];
        if let Ok(p) = model.predict_row(&names, &values) {
            assert!(!(p < 0.0 || p > 1.0), "probability {p} outside [0, 1]");
        }
    }
});

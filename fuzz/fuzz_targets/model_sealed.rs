//! Model files with VALID checksums: a seed model (one per classifier, the forest with the extraction
//! settings it was trained with) is parsed, edited by a script the fuzzer writes (replace a value by a
//! hostile number, null, a string or a container; remove, repeat or add an element), sealed again with
//! its SHA-256, then loaded. Byte-level mutation of JSON text rarely gets past the parser and never past
//! the checksum; this target exercises the structural validation behind them (tree cycles and indices,
//! dimensions, finite and positive parameters, settings). A model that loads must predict a probability
//! in [0, 1] or refuse, for ordinary and extreme inputs, and its extraction settings must load or refuse.
//!
//! Input: one byte choosing the seed, then edits of 2 + 8 bytes each: the path byte (each step down takes
//! the child `byte % len` of a container, stopping at a scalar or after `byte / 64 + 1` steps), the
//! operation, and an 8-byte operand.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radiomics::learn::model::{checksum_of, Model};
use serde_json::{Map, Value};

const SEEDS: [&str; 4] = [
    include_str!("../seeds/model/lda.json"),
    include_str!("../seeds/model/logistic.json"),
    include_str!("../seeds/model/svm.json"),
    include_str!("../seeds/model/random_forest.json"),
];

/// The child `k` (modulo the number of children) of a container.
fn child(v: &mut Value, k: usize) -> Option<&mut Value> {
    match v {
        Value::Array(a) if !a.is_empty() => {
            let n = a.len();
            a.get_mut(k % n)
        }
        Value::Object(m) if !m.is_empty() => {
            let n = m.len();
            m.values_mut().nth(k % n)
        }
        _ => None,
    }
}

fn number(bits: u64, op: u8) -> Value {
    let hostile = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        1e308,
        -1e308,
        1e-308,
        5e-324,
        2f64.powi(53) + 2.0,
        -2f64.powi(63),
        u32::MAX as f64,
    ];
    let x = if op & 1 == 0 {
        hostile[(bits % hostile.len() as u64) as usize]
    } else {
        f64::from_bits(bits)
    };
    // JSON holds no NaN or infinity: those become null, as serde_json writes them.
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn edit(root: &mut Value, path: u8, op: u8, operand: [u8; 8]) {
    let bits = u64::from_le_bytes(operand);
    let steps = (path / 64) as usize + 1;
    let mut node = root;
    let mut key = path as usize;
    for s in 0..steps {
        let k = key.wrapping_add(operand[s % 8] as usize);
        key = key.wrapping_mul(31).wrapping_add(7);
        if !matches!(node, Value::Array(_) | Value::Object(_)) {
            break;
        }
        let is_scalar_child = match child(node, k) {
            Some(c) => !matches!(c, Value::Array(_) | Value::Object(_)),
            None => break,
        };
        if is_scalar_child && s + 1 < steps {
            // Stop at the container so that the edit below can act on it or on its scalar child.
            break;
        }
        node = child(node, k).expect("checked above");
    }
    match op % 12 {
        0 | 1 => {
            if let Some(c) = child(node, bits as usize) {
                *c = number(bits >> 8, op / 12);
            } else {
                *node = number(bits >> 8, op / 12);
            }
        }
        2 => *node = Value::Null,
        3 => *node = Value::from((bits as i64) >> (op as u32 % 60)),
        4 => *node = Value::String(String::from_utf8_lossy(&operand).into_owned()),
        5 => *node = Value::Array(Vec::new()),
        6 => *node = Value::Object(Map::new()),
        7 => *node = Value::Bool(bits & 1 == 1),
        8 => match node {
            Value::Array(a) if !a.is_empty() => {
                let i = bits as usize % a.len();
                a.remove(i);
            }
            Value::Object(m) if !m.is_empty() => {
                let k = m.keys().nth(bits as usize % m.len()).cloned().expect("in range");
                m.remove(&k);
            }
            _ => {}
        },
        9 => {
            if let Value::Array(a) = node {
                if let Some(x) = a.get(bits as usize % a.len().max(1)).cloned() {
                    a.push(x);
                }
            }
        }
        10 => {
            if let Value::Array(a) = node {
                if !a.is_empty() {
                    let n = a.len();
                    a.swap(bits as usize % n, (bits >> 16) as usize % n);
                }
            }
        }
        _ => {
            // A small integer: the indices of trees, feature positions and counts live here.
            let v = (bits % 8) as i64 - 2;
            if let Some(c) = child(node, (bits >> 8) as usize) {
                *c = Value::from(v);
            } else {
                *node = Value::from(v);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, mut script)) = data.split_first() else {
        return;
    };
    let mut doc: Value =
        serde_json::from_str(SEEDS[which as usize % SEEDS.len()]).expect("seeds are JSON");
    while script.len() >= 10 {
        let (e, rest) = script.split_at(10);
        script = rest;
        edit(&mut doc, e[0], e[1], e[2..10].try_into().expect("8 bytes"));
    }
    let Value::Object(map) = &mut doc else {
        return;
    };
    map.remove("checksum");
    let sum = checksum_of(&Value::Object(map.clone()));
    map.insert("checksum".into(), Value::String(sum));
    let Ok(model) = Model::from_json(&doc.to_string()) else {
        return;
    };
    let names = model.feature_names.clone();
    for fill in [0.0, 0.5, -3.0, 1e6, -1e300, 1e300] {
        let values: Vec<f64> = (0..names.len()).map(|i| fill * (i as f64 + 1.0)).collect();
        if let Ok(p) = model.predict_row(&names, &values) {
            assert!((0.0..=1.0).contains(&p), "probability {p} outside [0, 1]");
        }
    }
    if !model.extraction_settings.is_null() {
        let _ = radiomics::study::extractor_from_json(&model.extraction_settings);
    }
    // A model that loads can be written and read back.
    let text = model.to_json().expect("a loaded model can be saved");
    Model::from_json(&text).expect("a saved model loads");
});

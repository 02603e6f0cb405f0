//! The feature-table (CSV) reader, with and without a required label column, then the checks done
//! before training.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radiomics::learn::table::{Table, TableOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for require_label in [true, false] {
        let options = TableOptions {
            require_label,
            ..TableOptions::default()
        };
        if let Ok(mut table) = Table::parse(text, &options) {
            assert_eq!(table.x.nrows(), table.len());
            let _ = table.labels();
            let _ = table.check_trainable();
            table.drop_constant_columns();
            let _ = table.rows_in_split("train");
        }
    }
});

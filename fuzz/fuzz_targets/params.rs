//! The parameter-file parser (YAML and JSON) and the settings it builds: any text gives settings or an
//! error. Settings that parse must survive a round trip through their JSON form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radiomics::Settings;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for parsed in [Settings::from_yaml_str(text), Settings::from_json_str(text)] {
        if let Ok(settings) = parsed {
            let _ = settings.params().binning();
            let again = Settings::from_value(settings.to_value());
            assert!(again.is_ok(), "settings do not round-trip: {again:?}");
        }
    }
});

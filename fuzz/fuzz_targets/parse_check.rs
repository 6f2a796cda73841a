//! Any text: parsing, checking and formatting never panic, and whatever
//! parses formats to text that parses to the same tree.
#![no_main]

use leadscore::source::FileId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let checked = leadscore::load::check_text("fuzz.rules", text);
    if let Ok(parsed) = leadscore::syntax::parse(FileId(0), text) {
        let formatted = leadscore::fmt::format_file(text, &parsed);
        let reparsed =
            leadscore::syntax::parse(FileId(0), &formatted).expect("formatted text parses");
        assert_eq!(parsed, reparsed, "formatting changed the meaning");
    }
    if let Some(model) = checked.model {
        let _ = leadscore::testing::run(&model, None);
    }
});

//! What several fuzz targets share.

use std::sync::OnceLock;

/// The two example models, loaded once: `rules/b2b` (events at `events`)
/// and `rules/plg.rules` (events at `activity`).
pub fn models() -> &'static [leadscore::check::Model; 2] {
    static MODELS: OnceLock<[leadscore::check::Model; 2]> = OnceLock::new();
    MODELS.get_or_init(|| {
        let load = |p: &str| {
            let dir = format!("{}/../{p}", env!("CARGO_MANIFEST_DIR"));
            leadscore::load::load(std::path::Path::new(&dir))
                .unwrap()
                .model
                .unwrap()
        };
        [load("rules/b2b"), load("rules/plg.rules")]
    })
}

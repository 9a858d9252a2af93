//! No stale snapshot: every file in tests/snapshots belongs to a snapshot a test still takes.
//! (insta alone reports missing and changed snapshots, not orphaned ones.)

use std::collections::BTreeSet;

/// The snapshot names a test file pins: the first string literal after each marker (a marker
/// may end with the literal's opening quote).
fn pinned(file: &str, marker: &str) -> BTreeSet<String> {
    let source =
        std::fs::read_to_string(format!("{}/tests/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    source
        .split(marker)
        .skip(1)
        .filter_map(|rest| {
            let rest = if marker.ends_with('"') {
                rest
            } else {
                rest.split_once('"')?.1
            };
            rest.split('"').next().map(str::to_owned)
        })
        .collect()
}

#[test]
fn every_snapshot_file_is_still_taken() {
    let mut expected: BTreeSet<String> = pinned("requests.rs", "pin!(")
        .into_iter()
        .filter(|name| name != "{}")
        .map(|name| format!("requests__{name}.snap"))
        .collect();
    expected.extend(
        pinned("requests.rs", "insta::assert_snapshot!(\"")
            .into_iter()
            .map(|name| format!("requests__{name}.snap")),
    );
    expected.extend(
        pinned("api_surface.rs", "insta::assert_snapshot!(")
            .into_iter()
            .map(|n| format!("api_surface__{n}.snap")),
    );
    let dir = format!("{}/tests/snapshots", env!("CARGO_MANIFEST_DIR"));
    let found: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".snap"))
        .collect();
    assert_eq!(
        expected.len(),
        43,
        "the tests pin 39 requests, 2 awkward queries and 2 API surfaces: {expected:#?}"
    );
    let stale: Vec<_> = found.difference(&expected).collect();
    let missing: Vec<_> = expected.difference(&found).collect();
    assert!(
        stale.is_empty(),
        "snapshot files no test takes any more (delete them): {stale:?}"
    );
    assert!(missing.is_empty(), "snapshots not committed: {missing:?}");
}

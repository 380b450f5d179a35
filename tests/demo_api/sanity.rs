//! Sanity: the fixtures are what the tests assume.

use super::*;

#[test]
fn dataset_has_the_variety_the_tests_rely_on() {
    let rows = data();
    assert_eq!(rows.len() as u64, ROWS);
    assert!(rows.iter().any(|c| c.conversation_type.is_none()), "some null types");
    assert!(rows.iter().any(|c| c.integration_id.is_none()), "some null integrations");
    assert!(rows.iter().any(|c| c.properties.is_none()), "some null properties");
    assert!(rows.iter().any(|c| prop(c, &["browser", "name"]).is_some()), "nested objects");
    assert!(rows.iter().any(|c| prop(c, &["articles"]).is_some()), "arrays of objects");
}

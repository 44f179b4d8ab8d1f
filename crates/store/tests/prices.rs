//! The price table.

mod common;

use common::*;
use whetstone_model::*;
use whetstone_store::StoreError;

fn price(provider: &str, model: &str, input: f64, output: f64) -> Price {
    Price {
        provider: provider.into(),
        model: model.into(),
        input_per_mtok: input,
        output_per_mtok: output,
    }
}

#[test]
fn prices_are_kept_per_provider_and_model_and_go_with_their_provider() {
    let lib = library();
    let s = &lib.store;
    assert_eq!(s.list_prices().unwrap(), []);
    s.upsert_provider(&ProviderConfig {
        id: "cloud".into(),
        name: "Cloud".into(),
        kind: ProviderKind::OpenAi,
        base_url: None,
        key: KeySource::Keyring,
        api_version: None,
        region: None,
        limits: Limits::default(),
    })
    .unwrap();
    s.upsert_price(&price("ollama", "gemma3", 0.0, 0.0))
        .unwrap();
    s.upsert_price(&price("cloud", "big", 2.5, 10.0)).unwrap();
    s.upsert_price(&price("cloud", "big", 3.0, 15.0)).unwrap();
    s.upsert_price(&price("cloud", "another", 0.15, 0.6))
        .unwrap();
    assert_eq!(
        s.list_prices().unwrap(),
        [
            price("cloud", "another", 0.15, 0.6),
            price("cloud", "big", 3.0, 15.0),
            price("ollama", "gemma3", 0.0, 0.0),
        ]
    );
    assert_eq!(
        s.get_price("cloud", "big").unwrap(),
        Some(price("cloud", "big", 3.0, 15.0))
    );
    assert_eq!(s.get_price("cloud", "nope").unwrap(), None);

    let unknown = s.upsert_price(&price("ghost", "m", 1.0, 1.0)).unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound { .. }), "{unknown}");
    // The schema refuses what callers should have refused first.
    assert!(s.upsert_price(&price("cloud", "m", -1.0, 1.0)).is_err());
    assert!(s.upsert_price(&price("cloud", "", 1.0, 1.0)).is_err());

    s.delete_price("cloud", "another").unwrap();
    assert!(matches!(
        s.delete_price("cloud", "another").unwrap_err(),
        StoreError::NotFound { .. }
    ));
    s.delete_provider("cloud").unwrap();
    assert_eq!(
        s.list_prices().unwrap(),
        [price("ollama", "gemma3", 0.0, 0.0)]
    );
}

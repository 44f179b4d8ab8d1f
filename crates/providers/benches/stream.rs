//! One huge streamed event, read by the OpenAI client from the testkit's hostile server over
//! loopback HTTP, with the event limit raised so that it is parsed whole: the time should
//! grow in proportion to the size (the reader it replaced took 2.7 s for 25 MB, 10 s for
//! 50 MB and 41 s for 100 MB).

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures::StreamExt;
use whetstone_model::{KeySource, Limits, Params, ProviderConfig, ProviderKind, Role};
use whetstone_providers::{ApiKey, ChatEvent, ChatRequest, WireLimits, connect_with};
use whetstone_testkit::openai::{Fault, OpenAiConfig, OpenAiServer};

fn one_huge_event(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut group = c.benchmark_group("one_sse_event");
    group.sample_size(10);
    for mb in [25usize, 50, 100] {
        let size = mb * 1_000_000;
        let server = OpenAiServer::start(OpenAiConfig::default().fault(Fault::Huge(size)));
        let config = ProviderConfig {
            id: "p".into(),
            name: "P".into(),
            kind: ProviderKind::OpenAi,
            base_url: Some(server.base_url()),
            key: KeySource::None,
            api_version: None,
            region: None,
            limits: Limits::default(),
        };
        let client = connect_with(
            &config,
            Some(ApiKey::new("sk-test-key")),
            reqwest::Client::new(),
            WireLimits {
                max_event_bytes: 128 * 1024 * 1024,
                ..WireLimits::default()
            },
        )
        .unwrap();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{mb}MB")),
            &size,
            |b, &size| {
                b.iter(|| {
                    runtime.block_on(async {
                        let request = ChatRequest {
                            model: "gpt-4o-mini".into(),
                            messages: vec![whetstone_model::Message {
                                role: Role::User,
                                content: "hi".into(),
                            }],
                            params: Params::default(),
                            stream: true,
                        };
                        let mut events = client.chat(request);
                        match events.next().await {
                            Some(Ok(ChatEvent::Delta(text))) => assert_eq!(text.len(), size),
                            other => panic!("{other:?}"),
                        }
                        while events.next().await.is_some() {}
                    })
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, one_huge_event);
criterion_main!(benches);

//! The Ollama test server against Ollama's documented wire format, over real HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use whetstone_testkit::{Fault, OllamaConfig, OllamaServer};

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn post_chat(server: &OllamaServer, body: Value) -> reqwest::Response {
    client()
        .post(format!("{}/api/chat", server.base_url()))
        .json(&body)
        .send()
        .await
        .expect("send")
}

/// The NDJSON lines of a streamed chat, parsed.
async fn ndjson(response: reqwest::Response) -> Vec<Value> {
    let text = response.text().await.expect("body");
    assert!(
        text.ends_with('\n'),
        "every line ends with a newline: {text:?}"
    );
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {l:?}: {e}")))
        .collect()
}

fn content(lines: &[Value]) -> String {
    lines
        .iter()
        .filter_map(|l| l["message"]["content"].as_str())
        .collect()
}

#[tokio::test]
async fn tags_lists_the_configured_models_in_ollamas_shape() {
    let server = OllamaServer::start(OllamaConfig::default().models(["llama3.2", "phi4:14b"]));
    let response = client()
        .get(format!("{}/api/tags", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let models = body["models"].as_array().expect("models array");
    let names: Vec<&str> = models.iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["llama3.2:latest", "phi4:14b"]);
    for m in models {
        assert_eq!(m["model"], m["name"]);
        assert!(m["modified_at"].is_string());
        assert!(m["size"].as_u64().unwrap() > 0);
        assert_eq!(m["digest"].as_str().unwrap().len(), 64);
        let details = &m["details"];
        for key in ["format", "family", "parameter_size", "quantization_level"] {
            assert!(details[key].is_string(), "details.{key} in {m}");
        }
        assert!(details["families"].is_array());
    }
    assert_eq!(server.requests()[0].method, "GET");
    assert_eq!(server.requests()[0].path, "/api/tags");
}

#[tokio::test]
async fn chat_streams_word_chunks_then_a_final_object_with_statistics() {
    let server = OllamaServer::start(OllamaConfig::default());
    let response = post_chat(
        &server,
        json!({
            "model": "llama3.2",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hello there, model"}
            ]
        }),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/x-ndjson"
    );
    let lines = ndjson(response).await;
    let (last, chunks) = lines.split_last().unwrap();
    assert_eq!(chunks.len(), 5, "one line per word: {lines:?}");
    for chunk in chunks {
        assert_eq!(chunk["model"], "llama3.2");
        assert_eq!(chunk["done"], false);
        assert_eq!(chunk["message"]["role"], "assistant");
        assert!(chunk["created_at"].is_string());
    }
    assert_eq!(content(&lines), "You said: hello there, model");
    assert_eq!(last["done"], true);
    assert_eq!(last["done_reason"], "stop");
    assert_eq!(last["eval_count"], 5);
    assert_eq!(last["prompt_eval_count"], 2 + 3);
    for key in [
        "total_duration",
        "load_duration",
        "prompt_eval_duration",
        "eval_duration",
    ] {
        assert!(last[key].is_u64(), "{key} in {last}");
    }
}

#[tokio::test]
async fn stream_false_answers_one_object_with_the_whole_message() {
    let server = OllamaServer::start(OllamaConfig::default().reply("Fixed reply text."));
    let response = post_chat(
        &server,
        json!({"model": "qwen2.5:0.5b", "stream": false,
               "messages": [{"role": "user", "content": "ignored"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"]["content"], "Fixed reply text.");
    assert_eq!(body["done"], true);
    assert_eq!(body["done_reason"], "stop");
    assert_eq!(body["eval_count"], 3);
}

#[tokio::test]
async fn num_predict_truncates_with_length_and_stop_cuts_the_reply() {
    let server = OllamaServer::start(OllamaConfig::default().reply("one two three four five"));
    let lines = ndjson(
        post_chat(
            &server,
            json!({"model": "llama3.2", "options": {"num_predict": 2},
                   "messages": [{"role": "user", "content": "x"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(content(&lines), "one two ");
    let last = lines.last().unwrap();
    assert_eq!(last["done_reason"], "length");
    assert_eq!(last["eval_count"], 2);

    let lines = ndjson(
        post_chat(
            &server,
            json!({"model": "llama3.2", "options": {"stop": ["four", "thr"]},
                   "messages": [{"role": "user", "content": "x"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(content(&lines), "one two ");
    assert_eq!(lines.last().unwrap()["done_reason"], "stop");
}

#[tokio::test]
async fn errors_use_ollamas_status_codes_and_bodies() {
    let server = OllamaServer::start(OllamaConfig::default());
    let url = format!("{}/api/chat", server.base_url());

    let r = post_chat(
        &server,
        json!({"model": "missing", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "model \"missing\" not found, try pulling it first"})
    );

    let r = client().post(&url).body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());

    let r = client().post(&url).body("").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "missing request body"})
    );

    let r = post_chat(&server, json!({"messages": []})).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "model is required"})
    );

    let r = client()
        .get(format!("{}/api/nothing", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().await.unwrap(), "404 page not found");
}

#[tokio::test]
async fn status_fault_answers_with_the_error_body_for_the_first_requests_only() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .fault(Fault::Status {
                status: 500,
                message: "out of memory".into(),
            })
            .fault_times(1),
    );
    let body = json!({"model": "llama3.2", "messages": [{"role": "user", "content": "x"}]});
    let r = post_chat(&server, body.clone()).await;
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "out of memory"})
    );
    let r = post_chat(&server, body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(content(&ndjson(r).await), "You said: x");
}

#[tokio::test]
async fn cut_fault_breaks_the_connection_after_n_chunks() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .reply("a b c d e")
            .fault(Fault::CutAfter(2)),
    );
    let mut r = post_chat(
        &server,
        json!({"model": "llama3.2", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    let mut received = Vec::new();
    let error = loop {
        match r.chunk().await {
            Ok(Some(bytes)) => received.extend_from_slice(&bytes),
            Ok(None) => panic!("the body ended cleanly: {received:?}"),
            Err(e) => break e,
        }
    };
    assert!(error.is_body() || error.is_decode(), "{error:?}");
    let text = String::from_utf8(received).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(content(&lines), "a b ");
    assert!(lines.iter().all(|l| l["done"] == false));
}

#[tokio::test]
async fn stream_faults_end_without_a_final_chunk() {
    let body = json!({"model": "llama3.2", "messages": [{"role": "user", "content": "x"}]});
    let server = OllamaServer::start(
        OllamaConfig::default()
            .reply("a b c")
            .fault(Fault::EndAfter(1)),
    );
    let lines = ndjson(post_chat(&server, body.clone()).await).await;
    assert_eq!(content(&lines), "a ");
    assert!(lines.iter().all(|l| l["done"] == false));

    server.set_fault(Fault::ErrorAfter {
        chunks: 2,
        message: "an error was encountered while running the model".into(),
    });
    let lines = ndjson(post_chat(&server, body.clone()).await).await;
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[2],
        json!({"error": "an error was encountered while running the model"})
    );

    server.set_fault(Fault::MalformedLineAfter(1));
    let text = post_chat(&server, body).await.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(serde_json::from_str::<Value>(lines[1]).is_err());
    assert_eq!(
        serde_json::from_str::<Value>(lines[4]).unwrap()["done"],
        true
    );
}

#[tokio::test]
async fn chunk_delay_paces_the_stream() {
    let server = OllamaServer::start(
        OllamaConfig::default()
            .reply("a b c d")
            .chunk_delay(Duration::from_millis(30)),
    );
    let started = Instant::now();
    let lines = ndjson(
        post_chat(
            &server,
            json!({"model": "llama3.2", "messages": [{"role": "user", "content": "x"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(lines.len(), 5);
    // A lower bound only: four chunks, each after a 30 ms pause.
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn records_every_request_with_its_json_body() {
    let server = OllamaServer::start(OllamaConfig::default());
    let body = json!({"model": "llama3.2", "messages": [{"role": "user", "content": "hi"}],
                      "options": {"temperature": 0.5}});
    ndjson(post_chat(&server, body.clone()).await).await;
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/api/chat");
    assert_eq!(requests[0].body.as_ref(), Some(&body));
    assert_eq!(server.chat_bodies(), vec![body]);
}

fn http_get(base_url: &str, path: &str) -> std::io::Result<String> {
    let addr = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

#[test]
fn works_from_synchronous_code_and_stops_when_dropped() {
    let server = OllamaServer::start(OllamaConfig::default().models(["sync-model"]));
    let base = server.base_url().to_string();
    let response = http_get(&base, "/api/tags").unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"sync-model:latest\""), "{response}");
    drop(server);
    assert!(
        http_get(&base, "/api/tags").is_err(),
        "still serving after drop"
    );
}

#[test]
fn binary_prints_its_address_and_stops_when_stdin_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_whet-testkit"))
        .args(["ollama", "--models", "m1,m2:7b", "--reply", "bin reply"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let base = first
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let tags = http_get(&base, "/api/tags").unwrap();
    assert!(
        tags.contains("\"m1:latest\"") && tags.contains("\"m2:7b\""),
        "{tags}"
    );

    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("whet-testkit kept running after stdin closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    assert!(http_get(&base, "/api/tags").is_err());
}

#[tokio::test]
async fn counts_streams_whose_client_went_away_but_not_whole_or_faulted_ones() {
    let body = json!({"model": "llama3.2", "messages": [{"role": "user", "content": "x"}]});
    let server = OllamaServer::start(
        OllamaConfig::default()
            .reply("a b c d e f g h i j k l m n o p")
            .chunk_delay(Duration::from_millis(20)),
    );
    ndjson(post_chat(&server, body.clone()).await).await;
    server.set_fault(Fault::EndAfter(1));
    ndjson(post_chat(&server, body.clone()).await).await;
    assert_eq!(server.abandoned_streams(), 0);

    server.set_fault(Fault::None);
    let mut response = post_chat(&server, body).await;
    assert!(response.chunk().await.unwrap().is_some());
    drop(response);
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.abandoned_streams() == 0 {
        assert!(
            Instant::now() < deadline,
            "never noticed the client leaving"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

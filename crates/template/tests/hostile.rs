//! Hostile templates: each ends with a `limit` error, quickly and within bounded memory, and
//! the process lives on. One test in this file, so the process's peak memory is its own.

use std::time::{Duration, Instant};

use whetstone_model::{TemplateErrorKind, Variables};
use whetstone_template::render;

/// The process's peak resident memory so far (`VmHWM`), in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM in /proc/self/status");
    kib / 1024
}

fn doubling(op: &str, times: usize) -> String {
    let mut t = "{% set ns = namespace(s='ab', l=[1]) %}".to_string();
    for _ in 0..times {
        t.push_str(&format!("{{% set ns.{op} %}}"));
    }
    t
}

#[test]
fn hostile_templates_end_with_a_limit_quickly_and_in_bounded_memory() {
    let raw_loop = format!(
        "{{% for i in range(100000) %}}{}{{% endfor %}}",
        "A".repeat(10_000)
    );
    let cases: Vec<(&str, String)> = vec![
        ("string doubled by ~", doubling("s = ns.s ~ ns.s", 26) + "{{ ns.s|length }}"),
        ("string doubled by +", doubling("s = ns.s + ns.s", 40) + "{{ ns.s|length }}"),
        ("list doubled, then listed", doubling("l = ns.l + ns.l", 40) + "{{ ns.l|list|length }}"),
        (
            "join over a doubled list",
            "{% set ns = namespace(l=[1]) %}{% for i in range(30) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|join(',')|length }}".into(),
        ),
        ("list repeated", "{{ ([1] * 100000000)|list|length }}".into()),
        ("string repeated", "{% set n = 100000000 %}{{ ('x' * n)|length }}".into()),
        ("string repeated twice", "{% set s = 'x' * 3000000 %}{{ (s * 2)|length }}".into()),
        (
            "join of a repeated big string",
            "{% set s = 'x' * 1000000 %}{{ ([s] * 100000)|join|length }}".into(),
        ),
        (
            "sum of a repeated big string",
            "{% set s = 'x' * 1000000 %}{{ ([s] * 1000)|sum|length }}".into(),
        ),
        ("replace that multiplies", "{% set s = 'x' * 1000000 %}{{ s|replace('x', s)|length }}".into()),
        ("method replace", "{% set s = 'x' * 1000000 %}{{ s.replace('x', s)|length }}".into()),
        ("method center", "{{ 'x'.center(1000000000)|length }}".into()),
        ("indent", "{{ ('a\\n' * 100000)|indent(100000)|length }}".into()),
        ("tojson indent", "{{ [[1, 2], [3]]|tojson(indent=100000000)|length }}".into()),
        ("string of a huge list", "{% set s = 'x' * 1000000 %}{{ ([s] * 1000)|string|length }}".into()),
        (
            "nested loops",
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}".into(),
        ),
        ("endless macro recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}".into()),
        (
            "endless loop() recursion",
            "{% for x in [[1]] recursive %}{{ loop([x]) }}{% endfor %}".into(),
        ),
        (
            "a big string worked over in a loop",
            "{% set s = 'x' * 4000000 %}{% for i in range(100000) %}{% set t = s|upper %}{% endfor %}".into(),
        ),
        ("literal text in a long loop", raw_loop),
        ("range", "{{ range(1000000000)|list|length }}".into()),
    ];
    let before = peak_rss_mib();
    for (what, template) in &cases {
        let started = Instant::now();
        let error = render(template, &Variables::new())
            .map(|m| format!("{} messages", m.len()))
            .expect_err(what);
        let took = started.elapsed();
        assert_eq!(error.kind, TemplateErrorKind::Limit, "{what}: {error:?}");
        assert!(took < Duration::from_secs(5), "{what} took {took:?}");
        eprintln!("{what}: {took:?}: {}", error.message);
    }
    let grown = peak_rss_mib().saturating_sub(before);
    eprintln!("peak memory grew by {grown} MiB");
    assert!(grown < 512, "peak memory grew by {grown} MiB");
    // And an honest template still renders.
    let ok = render(
        "{% set ns = namespace(s='') %}{% for i in range(100) %}{% set ns.s = ns.s ~ i %}{% endfor %}\nuser:\n{{ ns.s|length }} {{ [1, 2] + [3] }} {{ 'ab' * 2 }} {{ 2 * 3 + 1 }} {{ ['a', 'b']|join('-') }}",
        &Variables::new(),
    )
    .unwrap();
    assert_eq!(ok[0].content, "190 [1, 2, 3] abab 7 a-b");
}

#[test]
fn a_template_cannot_replace_a_checked_operator() {
    let error = render(
        "{% set __whet_concat = range %}{{ 'a' ~ 'b' }}",
        &Variables::new(),
    )
    .unwrap_err();
    assert_eq!(error.kind, TemplateErrorKind::Syntax);
    assert_eq!(error.message, "`__whet_concat` is a reserved name");
}

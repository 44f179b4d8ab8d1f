//! Undefined variables and the sandbox limits.

use serde_json::json;
use whetstone_model::{TemplateErrorKind, Variables};
use whetstone_template::{MAX_OUTPUT_BYTES, render};

fn vars(value: serde_json::Value) -> Variables {
    serde_json::from_value(value).unwrap()
}

#[test]
fn undefined_variable_names_it_and_places_it() {
    let template = "system:\nYou help with {{ subject }}.\nuser:\n  {{ question }}";
    let err = render(template, &vars(json!({"subject": "maths"}))).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::UndefinedVariable);
    assert_eq!(err.variable.as_deref(), Some("question"));
    assert_eq!(err.message, "undefined variable `question`");
    assert_eq!((err.line, err.column), (Some(4), Some(6)));
    assert_eq!(
        err.to_string(),
        "line 4, column 6: undefined variable `question`"
    );
}

#[test]
fn undefined_variable_is_found_inside_filters_and_expressions() {
    // minijinja reports the filter or the whole expression; the error still names
    // the missing input and points at it.
    for (template, column) in [
        ("{{ topic | upper }}", 4),
        ("{{ 'About ' ~ topic ~ '!' }}", 15),
        ("{% for t in topic %}{% endfor %}", 13),
        ("{% if topic %}x{% endif %}", 7),
        ("{{ topic.title }}", 4),
    ] {
        let err = render(template, &vars(json!({"other": 1}))).unwrap_err();
        assert_eq!(err.kind, TemplateErrorKind::UndefinedVariable, "{template}");
        assert_eq!(err.variable.as_deref(), Some("topic"), "{template}");
        assert_eq!(
            (err.line, err.column),
            (Some(1), Some(column)),
            "{template}"
        );
    }
}

#[test]
fn undefined_variable_after_role_lines_keeps_source_columns() {
    let err = render("# user:\n{{ a }} {{ b }}", &vars(json!({"a": 1}))).unwrap_err();
    assert_eq!(err.variable.as_deref(), Some("b"));
    assert_eq!((err.line, err.column), (Some(2), Some(12)));
}

#[test]
fn missing_macro_argument_is_not_blamed_on_the_inputs() {
    let err = render(
        "{% macro f(a) %}{{ a }}{% endmacro %}{{ f() }}",
        &Variables::new(),
    )
    .unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Render);
    assert_eq!(err.variable, None);
}

#[test]
fn fuel_bounds_endless_work() {
    let template =
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}";
    let err = render(template, &Variables::new()).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Limit);
    assert!(err.message.contains("too much work"), "{}", err.message);
    assert_eq!(err.line, Some(1));
}

#[test]
fn huge_ranges_are_a_limit() {
    let err = render(
        "{% for i in range(100000000) %}{% endfor %}",
        &Variables::new(),
    )
    .unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Limit);
    assert!(err.message.contains("range"), "{}", err.message);
    assert_eq!((err.line, err.column), (Some(1), Some(13)));
}

#[test]
fn recursion_is_bounded_within_a_2_mib_stack() {
    // Run where tokio workers and test threads run: a 2 MiB stack. Each level
    // also loops and calls filters, so frames are as big as templates make them.
    let outcome = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let template = "{% macro down(n) %}{% for i in [n] %}{{ (i ~ '') | upper | trim }}{{ down(n + 1) }}{% endfor %}{% endmacro %}\nuser:\n{{ down(0) }}";
            render(template, &Variables::new())
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
    let err = outcome.unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Limit);
    assert!(err.message.contains("recursion"), "{}", err.message);
    assert_eq!(err.line, Some(1));
}

#[test]
fn realistic_large_loops_fit_the_budget() {
    let template = "system:\nLabel it.\n{% for ex in examples %}\nuser:\n{{ ex.text | trim }}\nassistant:\n{{ ex.label }}\n{% endfor %}";
    let examples: Vec<_> = (0..10_000)
        .map(|i| json!({"text": format!("t{i}"), "label": "ok"}))
        .collect();
    let out = render(template, &vars(json!({"examples": examples}))).unwrap();
    assert_eq!(out.len(), 1 + 2 * 10_000);
}

#[test]
fn honest_recursion_within_the_limit_works() {
    let template = "{% macro count(n) %}{% if n > 0 %}{{ n }} {{ count(n - 1) }}{% endif %}{% endmacro %}{{ count(5) }}";
    let out = render(template, &Variables::new()).unwrap();
    assert_eq!(out[0].content, "5 4 3 2 1");
}

#[test]
fn output_size_is_bounded() {
    let template = "user:\n{% for i in range(3000) %}{{ chunk }}{% endfor %}";
    let chunk = "x".repeat(1000);
    let err = render(template, &vars(json!({"chunk": chunk}))).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Limit);
    assert!(err.message.contains("larger than"), "{}", err.message);

    // Just under the limit is fine.
    let n = MAX_OUTPUT_BYTES / 1000 - 1;
    let ok = render(
        &format!("{{% for i in range({n}) %}}{{{{ chunk }}}}{{% endfor %}}"),
        &vars(json!({"chunk": chunk})),
    );
    assert_eq!(ok.unwrap()[0].content.len(), n * 1000);
}

#[test]
fn a_single_huge_value_is_bounded_too() {
    let err = render("{{ 'ab' * 1000000 }}", &Variables::new()).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Limit);
}

#[test]
fn include_is_refused_even_with_ignore_missing() {
    let err = render(
        "user:\n{% include 'secrets.txt' ignore missing %}hi",
        &Variables::new(),
    )
    .unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Syntax);
    assert!(err.message.contains("`include`"), "{}", err.message);
    assert_eq!((err.line, err.column), (Some(2), Some(4)));
}

#[test]
fn hostile_inputs_never_panic() {
    let deep_parens = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
    let deep_blocks = "{% if true %}".repeat(3000);
    let deep_list = format!("{{{{ {}{} }}}}", "[".repeat(5000), "]".repeat(5000));
    let cases = [
        deep_parens.as_str(),
        deep_blocks.as_str(),
        deep_list.as_str(),
        "{{",
        "{%",
        "{#",
        "}}{{ }}",
        "{% raw %}",
        "{{ '\\u{zzzz}' }}",
        "\u{FDD0}user:\u{FDD0}\nuser:\n\u{FDD0}",
        "{% set x = x %}{{ x }}",
        "{{ 9999999999999999999999999999999999999 * 99999999999999999999999999 }}",
        "{{ -9223372036854775808 // -1 }}",
        "{{ (1,) * 100000000 }}",
        "{% for x in 'abc' * 100000 %}{% endfor %}",
        "{{ lipsum(100000) }}",
        "{{ debug() }}",
        "{% macro a() %}{{ caller() }}{% endmacro %}{% call a() %}{{ a() }}{% endcall %}",
    ];
    for template in cases {
        let analysis = std::panic::catch_unwind(|| whetstone_template::analyze(template));
        assert!(analysis.is_ok(), "analyze panicked on {template:.60}");
        let rendered = std::panic::catch_unwind(|| render(template, &vars(json!({"x": 1}))));
        assert!(rendered.is_ok(), "render panicked on {template:.60}");
    }
}

#[test]
fn a_huge_lazy_sequence_is_refused_before_it_is_printed() {
    let err = render("{{ (1,) * 100000000 }}", &Variables::new()).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Limit);
    assert!(err.message.contains("larger than"), "{}", err.message);
    assert_eq!((err.line, err.column), (Some(1), Some(4)));
}

#[test]
fn undefined_variable_read_inside_a_macro_is_named() {
    let template = "{% macro greet() %}\nHello {{ who }}!{% endmacro %}\nuser:\n{{ greet() }}";
    let err = render(template, &Variables::new()).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::UndefinedVariable);
    assert_eq!(err.variable.as_deref(), Some("who"));
    assert_eq!((err.line, err.column), (Some(2), Some(10)));
}

#[test]
fn a_loop_item_missing_a_key_is_a_render_error_on_that_expression() {
    let template =
        "{% for ex in examples %}\nuser:\n{{ ex.q }}\nassistant:\n{{ ex.answer }}\n{% endfor %}";
    let err = render(
        template,
        &vars(json!({"examples": [{"q": "a", "answer": "b"}, {"q": "c"}]})),
    )
    .unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Render);
    assert_eq!(err.variable, None);
    assert!(err.message.contains("`ex.answer`"), "{}", err.message);
    assert_eq!((err.line, err.column), (Some(5), Some(4)));
}

#[test]
fn a_method_called_on_a_missing_input_names_the_input() {
    let err = render("user:\n{{ x.split(\";\") }}", &Variables::new()).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::UndefinedVariable);
    assert_eq!(err.variable.as_deref(), Some("x"));
    assert_eq!(err.message, "undefined variable `x`");
    assert_eq!((err.line, err.column), (Some(2), Some(4)));
}

#[test]
fn every_missing_input_is_named_at_once() {
    let template = "user:\n{{ a }} {{ b.name }} {{ c | default('z') }}\n\
                    {% if d is defined %}{{ d }}{% endif %} {{ e }}";
    let err = render(template, &vars(json!({"e": 1}))).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::UndefinedVariable);
    // `c` has a default and `d` is tested: both optional.
    assert_eq!(err.message, "undefined variables `a` and `b`");
    assert_eq!(err.variable.as_deref(), Some("a"));
    assert_eq!((err.line, err.column), (Some(2), Some(4)));

    let checked = whetstone_template::check_inputs(template, &Variables::new()).unwrap_err();
    assert_eq!(checked.message, "undefined variables `a`, `b` and `e`");
    assert_eq!((checked.line, checked.column), (Some(2), Some(4)));
    assert_eq!(
        whetstone_template::missing_inputs(template, &vars(json!({"b": {}}))),
        ["a", "e"]
    );
    assert!(
        whetstone_template::check_inputs(template, &vars(json!({"a": 1, "b": {}, "e": 2}))).is_ok()
    );
    // A template that does not parse has nothing to check here (analyze says why).
    assert!(whetstone_template::check_inputs("{{ a", &Variables::new()).is_ok());
}

#[test]
fn a_user_line_is_suggested_only_for_text_without_roles() {
    use whetstone_template::with_user_line;
    assert_eq!(
        with_user_line("Summarize this: {{ text }}").as_deref(),
        Some("user:\nSummarize this: {{ text }}")
    );
    assert_eq!(with_user_line("system:\nBe brief."), None);
    assert_eq!(with_user_line("  \n"), None);
}

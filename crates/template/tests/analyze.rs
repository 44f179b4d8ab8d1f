//! Static analysis: input variables and syntax errors.

use whetstone_model::TemplateErrorKind;
use whetstone_template::analyze;

fn variables(template: &str) -> Vec<String> {
    let analysis = analyze(template);
    assert_eq!(analysis.error, None, "{template}");
    analysis.variables
}

#[test]
fn variables_in_order_of_first_use() {
    let template = "system:\n{{ persona }}\nuser:\n{{ question | trim }} ({{ lang }}) {{ persona }} {{ a.b.c }}";
    assert_eq!(variables(template), ["persona", "question", "lang", "a"]);
}

#[test]
fn order_follows_the_source_not_the_alphabet() {
    assert_eq!(
        variables("{{ zeta }}{{ alpha }}{{ mid }}"),
        ["zeta", "alpha", "mid"]
    );
    assert_eq!(variables("{% if b %}{{ a }}{% endif %}"), ["b", "a"]);
}

#[test]
fn loop_set_macro_and_builtin_names_are_not_inputs() {
    let template = "\
{% set greeting = 'Hi ' ~ name %}
{% for ex in examples %}{{ loop.index }}. {{ ex.q }} {{ greeting }}{% endfor %}
{% macro show(item, sep=', ') %}{{ item }}{{ sep }}{% endmacro %}{{ show(last) }}
{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}
{% with w = 1 %}{{ w }}{% endwith %}";
    assert_eq!(variables(template), ["name", "examples", "last"]);
}

#[test]
fn filters_tests_attributes_and_keywords_are_not_inputs() {
    let template = "{{ x | default('d') | title }}{% if y is not none and y is divisibleby(z) %}{{ x.upper() }}{% endif %}{{ dict(k=v) }}{{ true }}";
    assert_eq!(variables(template), ["x", "y", "z", "v"]);
}

#[test]
fn names_only_called_are_functions_not_inputs() {
    assert_eq!(variables("{{ helper(1) }}{{ data }}"), ["data"]);
}

#[test]
fn a_name_read_before_it_is_set_is_an_input() {
    assert_eq!(
        variables("{{ count }}{% set count = 1 %}{{ count }}"),
        ["count"]
    );
}

#[test]
fn names_in_raw_blocks_comments_and_strings_are_not_variables() {
    let template =
        "{% raw %}{{ not_a_var }}{% endraw %}{# {{ nor_this }} #}{{ 'or {{ this }}' }}{{ real }}";
    assert_eq!(variables(template), ["real"]);
}

#[test]
fn role_lines_do_not_disturb_analysis() {
    assert_eq!(variables("system:\n{{ a }}\nuser:\n{{ b }}"), ["a", "b"]);
    assert_eq!(variables("no variables here"), Vec::<String>::new());
}

#[test]
fn syntax_error_has_line_and_column() {
    let analysis = analyze("system:\nHello\n  {{ name }\n");
    let err = analysis.error.expect("a syntax error");
    assert_eq!(err.kind, TemplateErrorKind::Syntax);
    assert_eq!(err.line, Some(3));
    assert_eq!(err.column, Some(11));
    assert!(err.message.starts_with("syntax error"), "{}", err.message);
    assert!(analysis.variables.is_empty());
}

#[test]
fn syntax_error_column_counts_characters_not_bytes() {
    let err = analyze("héllo wörld {% if %}").error.unwrap();
    assert_eq!((err.line, err.column), (Some(1), Some(19)));
}

#[test]
fn unclosed_block_is_a_syntax_error() {
    let err = analyze("user:\n{% for x in xs %}\n{{ x }}\n")
        .error
        .unwrap();
    assert_eq!(err.kind, TemplateErrorKind::Syntax);
    assert!(
        err.message.contains("unexpected end of input"),
        "{}",
        err.message
    );
    assert!(err.line.is_some());
}

#[test]
fn include_import_from_and_extends_are_refused_with_position() {
    for (template, word, column) in [
        ("user:\n{% include 'other.txt' %}", "include", 4),
        ("user:\n  {% import 'm.j2' as m %}", "import", 6),
        ("user:\n{%- from 'm.j2' import x %}", "from", 5),
        ("{% extends 'base' %}", "extends", 4),
        (
            "{% if a %}{% include 'x' ignore missing %}{% endif %}",
            "include",
            14,
        ),
    ] {
        let err = analyze(template)
            .error
            .unwrap_or_else(|| panic!("{template}"));
        assert_eq!(err.kind, TemplateErrorKind::Syntax, "{template}");
        assert!(
            err.message.contains(&format!("`{word}`")),
            "{}",
            err.message
        );
        let line = if template.starts_with("user:") { 2 } else { 1 };
        assert_eq!(
            (err.line, err.column),
            (Some(line), Some(column)),
            "{template}"
        );
    }
}

//! The run check: every reason a run would fail, found before anything is sent. The
//! window calls it as the user edits (to disable Run and say why), `start_run` refuses
//! what it blocks, and `whet run` refuses the same with the same words.

use super::Workbench;
use super::status::{PROBE_TIMEOUT, is_probed, needs_key};
use crate::error::Error;
use crate::keys;
use std::collections::HashMap;
use std::time::Duration;
use whetstone_model::*;

/// A local provider last asked longer ago than this is asked again by [`Workbench::check_run`].
const STALE: Duration = Duration::from_secs(10);

impl Workbench {
    /// Every reason `spec` would fail, and the warnings the user may override. Local
    /// providers (Ollama, OpenAI-compatible servers on this machine) not asked in the
    /// last few seconds, or unreachable when last asked, are asked first, within 2 s,
    /// so "unreachable" is current.
    pub async fn check_run(&self, spec: RunSpec) -> Result<RunCheck, Error> {
        let mut asked = Vec::new();
        for variant in &spec.variants {
            let id = &variant.target.provider;
            if asked.contains(id) {
                continue;
            }
            asked.push(id.clone());
            let Ok(config) = self.get_provider(id) else {
                continue;
            };
            let health = &self.services.health;
            // One that was unreachable is asked every time: it may have been started.
            let stale =
                health.age(id).is_none_or(|age| age > STALE) || health.unreachable(id).is_some();
            if is_probed(&config) && stale {
                // Only what it learns matters here; the check reports it below.
                let asked = tokio::time::timeout(PROBE_TIMEOUT, self.list_models(id.clone()));
                if asked.await.is_err() {
                    health.record_slow(id);
                }
            }
        }
        self.check_known(&spec)
    }

    /// [`Workbench::check_run`] with what is known now, asking no provider.
    pub fn check_known(&self, spec: &RunSpec) -> Result<RunCheck, Error> {
        let mut problems = Vec::new();
        if spec.variants.is_empty() {
            problems.push(problem(
                ProblemKind::NoVariants,
                "there is nothing to run: add a variant".into(),
            ));
        }
        self.check_targets(spec, &mut problems)?;
        self.check_templates(spec, &mut problems)?;
        Ok(RunCheck {
            runnable: !problems.iter().any(|p| p.blocking),
            problems,
        })
    }

    /// Providers, models, keys and reachability, once per provider and model.
    fn check_targets(&self, spec: &RunSpec, problems: &mut Vec<RunProblem>) -> Result<(), Error> {
        let mut found: Vec<(ProblemKind, String, Vec<u32>)> = Vec::new();
        let mut note = |kind, message: String, variant: u32| match found
            .iter_mut()
            .find(|(k, m, _)| *k == kind && *m == message)
        {
            Some((_, _, variants)) => variants.push(variant),
            None => found.push((kind, message, vec![variant])),
        };
        // The key's status may ask the OS keyring: once per provider.
        let mut key_missing: HashMap<String, bool> = HashMap::new();
        for (i, variant) in spec.variants.iter().enumerate() {
            let i = i as u32;
            let target = &variant.target;
            let config = match self.store().get_provider(&target.provider) {
                Ok(config) => config,
                Err(whetstone_store::StoreError::NotFound { .. }) => {
                    let message = match target.provider.trim() {
                        "" => "no provider is chosen".to_string(),
                        id => format!("there is no provider `{id}` in this library"),
                    };
                    note(ProblemKind::UnknownProvider, message, i);
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            // Echo answers whatever the model is called.
            if target.model.trim().is_empty() && config.kind != ProviderKind::Echo {
                note(
                    ProblemKind::NoModel,
                    format!("no model is chosen for {}", config.name),
                    i,
                );
            }
            let missing = *key_missing
                .entry(config.id.clone())
                .or_insert_with(|| keys::status_of(&config) == KeyStatus::NotSet);
            if missing {
                note(ProblemKind::MissingKey, needs_key(&config), i);
            }
            if let Some((why, _)) = self.services.health.unreachable(&config.id) {
                note(ProblemKind::ProviderUnreachable, why, i);
            }
        }
        for (kind, message, variants) in found {
            problems.push(RunProblem {
                variants,
                ..problem(kind, message)
            });
        }
        Ok(())
    }

    /// Each distinct template with each case: syntax, values, rendering, messages.
    fn check_templates(&self, spec: &RunSpec, problems: &mut Vec<RunProblem>) -> Result<(), Error> {
        // Variants that run the same text share their problems.
        let mut templates: Vec<(String, Vec<u32>)> = Vec::new();
        let mut versions: HashMap<VersionId, String> = HashMap::new();
        for (i, variant) in spec.variants.iter().enumerate() {
            let text = match &variant.source {
                TemplateSource::Draft { template, .. } => template.clone(),
                TemplateSource::Version { version_id } => match versions.get(version_id) {
                    Some(text) => text.clone(),
                    None => {
                        let text = self.store().get_version(*version_id)?.template;
                        versions.insert(*version_id, text.clone());
                        text
                    }
                },
            };
            match templates.iter_mut().find(|(t, _)| *t == text) {
                Some((_, variants)) => variants.push(i as u32),
                None => templates.push((text, vec![i as u32])),
            }
        }
        let default_case = [TestCase::default()];
        let cases = match spec.cases.as_slice() {
            [] => &default_case[..],
            cases => cases,
        };
        let several = cases.len() > 1;
        for (template, variants) in &templates {
            if let Some(error) = whetstone_template::analyze(template).error {
                problems.push(RunProblem {
                    variants: variants.clone(),
                    ..syntax_problem(error)
                });
                continue;
            }
            for (n, case) in cases.iter().enumerate() {
                let case_id = several.then(|| match case.id.as_str() {
                    "" => format!("case-{}", n + 1),
                    id => id.to_string(),
                });
                let mut found = check_case(template, &case.vars);
                for p in &mut found {
                    p.variants = variants.clone();
                    if let Some(id) = &case_id {
                        p.message = format!("test case `{id}`: {}", p.message);
                        p.case_id = Some(id.clone());
                    }
                }
                problems.extend(found);
            }
        }
        Ok(())
    }
}

/// A problem of `kind` with its message; blocking unless the kind is a warning, and
/// to be confirmed when it is the warning that is usually a slip (empty values).
fn problem(kind: ProblemKind, message: String) -> RunProblem {
    RunProblem {
        kind,
        blocking: !matches!(
            kind,
            ProblemKind::EmptyVariables | ProblemKind::NoUserMessage
        ),
        confirm: kind == ProblemKind::EmptyVariables,
        message,
        variants: Vec::new(),
        case_id: None,
        variables: Vec::new(),
        template: None,
        suggestion: None,
    }
}

/// What stands in the way of sending `template` with `vars`, whatever the target:
/// a syntax error, missing values, a render error, no message (blocking); no user
/// message, empty values (warnings). `whet render` applies it as runs do.
pub fn check_template(template: &str, vars: &Variables) -> Vec<RunProblem> {
    match whetstone_template::analyze(template).error {
        Some(error) => vec![syntax_problem(error)],
        None => check_case(template, vars),
    }
}

fn syntax_problem(error: TemplateError) -> RunProblem {
    RunProblem {
        message: format!("the template does not parse: {}", error.message),
        template: Some(error),
        ..problem(ProblemKind::Syntax, String::new())
    }
}

/// One template (that parses) with one case's values.
fn check_case(template: &str, vars: &Variables) -> Vec<RunProblem> {
    let missing = whetstone_template::missing_inputs(template, vars);
    if !missing.is_empty() {
        let error = whetstone_template::check_inputs(template, vars).err();
        return vec![missing_problem(missing, error)];
    }
    let messages = match whetstone_template::render(template, vars) {
        Ok(messages) => messages,
        // An input the scan took for optional turned out to be needed.
        Err(error) if error.kind == TemplateErrorKind::UndefinedVariable => {
            let names = error.variable.iter().cloned().collect();
            return vec![missing_problem(names, Some(error))];
        }
        Err(error) => {
            return vec![RunProblem {
                message: format!("the template cannot be rendered: {}", error.message),
                template: Some(error),
                ..problem(ProblemKind::Template, String::new())
            }];
        }
    };
    let mut found = Vec::new();
    if messages.is_empty() {
        found.push(problem(
            ProblemKind::NoMessages,
            "the template renders no message: there is nothing to send".into(),
        ));
    } else if !messages.iter().any(|m| m.role == Role::User) {
        let suggestion = whetstone_template::with_user_line(template);
        let message = match suggestion {
            Some(_) => "the template has no `user:` line, so all of its text is sent as a \
                        system message (Prompty's rule) and the model gets no user turn: add \
                        a `user:` line before the text you want to send as the user"
                .to_string(),
            None => {
                "the template renders no `user:` message: the model gets no user turn".to_string()
            }
        };
        found.push(RunProblem {
            suggestion,
            ..problem(ProblemKind::NoUserMessage, message)
        });
    }
    let empty: Vec<String> = whetstone_template::analyze(template)
        .variables
        .into_iter()
        .filter(|name| match vars.get(name) {
            Some(serde_json::Value::String(s)) => s.trim().is_empty(),
            Some(serde_json::Value::Null) => true,
            _ => false,
        })
        .collect();
    if !empty.is_empty() {
        let message = match empty.len() {
            1 => format!("the variable {} is empty", quoted_list(&empty)),
            _ => format!("the variables {} are empty", quoted_list(&empty)),
        };
        found.push(RunProblem {
            variables: empty,
            ..problem(ProblemKind::EmptyVariables, message)
        });
    }
    found
}

/// Variables with no value, named all at once.
fn missing_problem(names: Vec<String>, error: Option<TemplateError>) -> RunProblem {
    let message = match names.len() {
        1 => format!("no value for the variable {}", quoted_list(&names)),
        _ => format!("no value for the variables {}", quoted_list(&names)),
    };
    RunProblem {
        variables: names,
        template: error,
        ..problem(ProblemKind::MissingVariables, message)
    }
}

/// `` `a` ``, `` `a` and `b` ``, `` `a`, `b` and `c` ``.
pub(crate) fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

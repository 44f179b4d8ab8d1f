//! `.prompty` files: YAML front matter between `---` lines, then the template body.
//!
//! Reads the Prompty v1 keys that promptfoo also reads (`name`, `description`,
//! `authors`, `model.api`, `model.configuration`, `model.parameters`, `sample`,
//! `inputs` as a map, `template: jinja2`) and the v2 keys (`model.id`,
//! `model.provider`, `model.apiType`, `model.options`, `inputs` as a list of
//! `{name, …}` with per-input `sample`, `metadata.authors`, `template.format.kind`).
//! Unknown keys are ignored. File references (`sample: ${file:…}`) are not followed:
//! parsing never touches the file system.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use whetstone_model::{Params, TemplateError, Variables};

/// A parsed `.prompty` file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PromptyFile {
    pub name: Option<String>,
    pub description: Option<String>,
    pub authors: Vec<String>,
    /// `model.api` (v1) or `model.apiType` (v2), e.g. `chat`.
    pub api: Option<String>,
    /// The provider type: `model.provider` (v2) or `model.configuration.type` (v1),
    /// e.g. `azure_openai`, `openai`, `ollama`.
    pub provider: Option<String>,
    /// `model.id` (v2), or `configuration.name` / `azure_deployment` / `model` (v1).
    pub model: Option<String>,
    /// `model.parameters` (v1) overlaid with `model.options` (v2).
    pub params: Params,
    /// Example variable values: the v1 `sample` map, completed by per-input samples.
    pub sample: Variables,
    /// Declared input names, in file order.
    pub inputs: Vec<String>,
    /// The template: everything after the closing `---` line.
    pub body: String,
    /// 1-based line of the file on which `body` starts.
    pub body_line: u32,
}

impl PromptyFile {
    /// Moves an error of rendering or analysing `body` to its line in the file.
    pub fn error_in_file(&self, mut error: TemplateError) -> TemplateError {
        error.line = error
            .line
            .map(|l| l.saturating_add(self.body_line.saturating_sub(1)));
        error
    }
}

/// Why a `.prompty` file could not be read, placed in the file (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PromptyError {
    pub line: u32,
    /// Where YAML tells it.
    pub column: Option<u32>,
    pub message: String,
}

impl fmt::Display for PromptyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "line {}, column {c}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Parses a `.prompty` file.
pub fn parse(text: &str) -> Result<PromptyFile, PromptyError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (yaml, yaml_line, body, body_line) = split_front_matter(text)?;
    let front: FrontMatter = if yaml.trim().is_empty() {
        FrontMatter::default()
    } else {
        serde_norway::from_str(yaml).map_err(|e| yaml_error(&e, yaml_line))?
    };
    Ok(front.into_file(body.to_owned(), body_line))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn is_fence(line: &str) -> bool {
    line.trim_end() == "---"
}

/// (YAML text, its first line, body, the body's first line).
fn split_front_matter(text: &str) -> Result<(&str, u32, &str, u32), PromptyError> {
    let mut offset = 0;
    let mut line_no = 0usize;
    let mut open: Option<(usize, usize)> = None; // (line, offset after the fence)
    for line in text.split_inclusive('\n') {
        line_no += 1;
        let end = offset + line.len();
        match open {
            None if line.trim().is_empty() => {}
            None if is_fence(line) => open = Some((line_no, end)),
            None => {
                return Err(PromptyError {
                    line: to_u32(line_no),
                    column: Some(1),
                    message: "a .prompty file starts with YAML front matter: a `---` line, \
                              the keys, then another `---` line"
                        .to_owned(),
                });
            }
            Some((open_line, yaml_start)) if is_fence(line) => {
                return Ok((
                    &text[yaml_start..offset],
                    to_u32(open_line + 1),
                    &text[end..],
                    to_u32(line_no + 1),
                ));
            }
            Some(_) => {}
        }
        offset = end;
    }
    Err(match open {
        Some((open_line, _)) => PromptyError {
            line: to_u32(open_line),
            column: None,
            message: "the front matter opened here is never closed by a `---` line".to_owned(),
        },
        None => PromptyError {
            line: 1,
            column: None,
            message: "the file is empty: a .prompty file starts with `---` front matter".to_owned(),
        },
    })
}

/// A YAML error placed in the file. serde_norway counts lines from the start of the
/// front matter, in its location and in the text of its message.
fn yaml_error(err: &serde_norway::Error, yaml_line: u32) -> PromptyError {
    let shift = yaml_line - 1;
    let mut message = err.to_string();
    let (line, column) = match err.location() {
        Some(loc) => {
            let own = format!(" at line {} column {}", loc.line(), loc.column());
            if let Some(i) = message.find(&own) {
                message.replace_range(i..i + own.len(), "");
            }
            (
                to_u32(loc.line()).saturating_add(shift),
                Some(to_u32(loc.column())),
            )
        }
        None => (yaml_line, None),
    };
    let message = shift_line_numbers(&message, shift)
        .replace("expected f64", "expected a number")
        .replace("expected u32", "expected a whole number of at least 0")
        .replace("expected i64", "expected a whole number");
    PromptyError {
        line,
        column,
        message,
    }
}

/// Adds `shift` to every "line N" in `message` (libyaml mentions a second mark for
/// the construct being parsed).
fn shift_line_numbers(message: &str, shift: u32) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("line ") {
        out.push_str(&rest[..i + 5]);
        rest = &rest[i + 5..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<u32>() {
            Ok(n) => out.push_str(&n.saturating_add(shift).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------- front matter

#[derive(Deserialize, Default)]
#[serde(default, expecting = "a map of front matter keys")]
struct FrontMatter {
    name: Option<String>,
    description: Option<String>,
    authors: Option<Vec<String>>,
    metadata: Option<Metadata>,
    model: Option<ModelSpec>,
    sample: Option<Sample>,
    inputs: Option<Inputs>,
    // Only validated: a body in another template language cannot render here.
    #[allow(dead_code)]
    template: Option<TemplateSpec>,
}

#[derive(Deserialize, Default)]
#[serde(default, expecting = "a map")]
struct Metadata {
    authors: Option<Vec<String>>,
}

impl FrontMatter {
    fn into_file(self, body: String, body_line: u32) -> PromptyFile {
        let model = self.model.map(ModelSpec::into_inner).unwrap_or_default();
        let configuration = model.configuration.unwrap_or_default();
        let mut params = Params::default();
        if let Some(p) = model.parameters {
            params.temperature = p.temperature;
            params.top_p = p.top_p;
            params.max_tokens = p.max_tokens;
            params.seed = p.seed;
            params.stop = p.stop.map(|s| s.0).unwrap_or_default();
        }
        // v2 options win over v1 parameters where both are given.
        if let Some(o) = model.options {
            params.temperature = o.temperature.or(params.temperature);
            params.top_p = o.top_p.or(params.top_p);
            params.max_tokens = o.max_output_tokens.or(params.max_tokens);
            params.seed = o.seed.or(params.seed);
            if let Some(stop) = o.stop_sequences {
                params.stop = stop.0;
            }
        }
        let (inputs, input_samples) = self
            .inputs
            .map(|i| (i.names, i.samples))
            .unwrap_or_default();
        let mut sample = self.sample.map(|s| s.0).unwrap_or_default();
        for (name, value) in input_samples {
            sample.entry(name).or_insert(value);
        }
        PromptyFile {
            name: self.name,
            description: self.description,
            authors: self
                .authors
                .or(self.metadata.and_then(|m| m.authors))
                .unwrap_or_default(),
            api: model.api_type.or(model.api),
            provider: model.provider.or(configuration.kind),
            model: model
                .id
                .or(configuration.name)
                .or(configuration.azure_deployment)
                .or(configuration.model),
            params,
            sample,
            inputs,
            body,
            body_line,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default, expecting = "a map")]
struct ModelMap {
    api: Option<String>,
    #[serde(rename = "apiType")]
    api_type: Option<String>,
    id: Option<String>,
    provider: Option<String>,
    configuration: Option<Configuration>,
    parameters: Option<V1Parameters>,
    options: Option<V2Options>,
}

/// `model:` is a map, or (v2 shorthand) just the model id.
#[derive(Default)]
struct ModelSpec(ModelMap);

impl<'de> Deserialize<'de> for ModelSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ModelSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a model id or a map of model settings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ModelSpec, E> {
                Ok(ModelSpec(ModelMap {
                    id: Some(v.to_owned()),
                    ..ModelMap::default()
                }))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ModelSpec, E> {
                Ok(ModelSpec::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ModelSpec, A::Error> {
                ModelMap::deserialize(de::value::MapAccessDeserializer::new(map)).map(ModelSpec)
            }
        }
        d.deserialize_any(V)
    }
}

impl ModelSpec {
    fn into_inner(self) -> ModelMap {
        self.0
    }
}

#[derive(Deserialize, Default)]
#[serde(default, expecting = "a map")]
struct Configuration {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    azure_deployment: Option<String>,
    model: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, expecting = "a map of model parameters")]
struct V1Parameters {
    temperature: Option<f64>,
    top_p: Option<f64>,
    #[serde(alias = "max_completion_tokens")]
    max_tokens: Option<u32>,
    seed: Option<i64>,
    stop: Option<Stop>,
}

#[derive(Deserialize, Default)]
#[serde(default, expecting = "a map of model options")]
struct V2Options {
    temperature: Option<f64>,
    #[serde(rename = "topP", alias = "top_p")]
    top_p: Option<f64>,
    #[serde(rename = "maxOutputTokens", alias = "max_tokens")]
    max_output_tokens: Option<u32>,
    seed: Option<i64>,
    #[serde(rename = "stopSequences", alias = "stop")]
    stop_sequences: Option<Stop>,
}

/// Stop sequences: one string or a list of strings.
struct Stop(Vec<String>);

impl<'de> Deserialize<'de> for Stop {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Stop;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a stop sequence or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Stop, E> {
                Ok(Stop(vec![v.to_owned()]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Stop, E> {
                Ok(Stop(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Stop, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Stop(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `sample:` is a map of values; a string is a file reference, which is not read.
struct Sample(Variables);

impl<'de> Deserialize<'de> for Sample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Sample;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of variable values")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Sample, E> {
                Ok(Sample(Variables::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Sample, E> {
                Ok(Sample(Variables::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Sample, A::Error> {
                Variables::deserialize(de::value::MapAccessDeserializer::new(map)).map(Sample)
            }
        }
        d.deserialize_any(V)
    }
}

/// `inputs:` as a map name → spec (v1, and v2's map form) or a list of specs with
/// a `name` (v2).
#[derive(Default)]
struct Inputs {
    names: Vec<String>,
    samples: Vec<(String, serde_json::Value)>,
}

/// The parts of one input spec Whetstone uses. A spec may also be a bare type name
/// (`question: string`) or empty.
#[derive(Deserialize, Default)]
#[serde(default, expecting = "a map describing the input")]
struct InputFields {
    name: Option<String>,
    sample: Option<serde_json::Value>,
}

struct InputSpec(InputFields);

impl<'de> Deserialize<'de> for InputSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = InputSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map describing the input, or its type")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<InputSpec, E> {
                Ok(InputSpec(InputFields::default()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<InputSpec, E> {
                Ok(InputSpec(InputFields::default()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<InputSpec, A::Error> {
                InputFields::deserialize(de::value::MapAccessDeserializer::new(map)).map(InputSpec)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Inputs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Inputs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of inputs, or a list of inputs with a `name` each")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Inputs, E> {
                Ok(Inputs::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Inputs, A::Error> {
                let mut inputs = Inputs::default();
                while let Some((name, spec)) = map.next_entry::<String, InputSpec>()? {
                    inputs.add(name, spec.0.sample);
                }
                Ok(inputs)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Inputs, A::Error> {
                let mut inputs = Inputs::default();
                while let Some(spec) = seq.next_element::<InputFields>()? {
                    let name = spec
                        .name
                        .ok_or_else(|| de::Error::custom("an input in the list has no `name`"))?;
                    inputs.add(name, spec.sample);
                }
                Ok(inputs)
            }
        }
        d.deserialize_any(V)
    }
}

impl Inputs {
    fn add(&mut self, name: String, sample: Option<serde_json::Value>) {
        if let Some(value) = sample {
            self.samples.push((name.clone(), value));
        }
        if !self.names.contains(&name) {
            self.names.push(name);
        }
    }
}

/// `template:` is the format name (v1: `jinja2`) or a map whose `format` is a name
/// or `{kind: …}` (v2). Only Jinja2 bodies can render here.
struct TemplateSpec;

fn check_format<E: de::Error>(kind: &str) -> Result<(), E> {
    if kind.eq_ignore_ascii_case("jinja2") || kind.eq_ignore_ascii_case("jinja") {
        Ok(())
    } else {
        Err(E::custom(format!(
            "template format `{kind}` is not supported: Whetstone renders Jinja2 (`jinja2`)"
        )))
    }
}

struct Format;

impl<'de> Deserialize<'de> for Format {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default, expecting = "a map with the format `kind`")]
        struct FormatMap {
            kind: Option<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Format;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a template format name or a map with its `kind`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Format, E> {
                check_format(v).map(|()| Format)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Format, E> {
                Ok(Format)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Format, A::Error> {
                let m = FormatMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match m.kind {
                    Some(kind) => check_format(&kind).map(|()| Format),
                    None => Ok(Format),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for TemplateSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default, expecting = "a map of template settings")]
        struct TemplateMap {
            #[allow(dead_code)]
            format: Option<Format>,
            #[allow(dead_code)]
            parser: Option<IgnoredAny>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TemplateSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a template format name or a map of template settings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TemplateSpec, E> {
                check_format(v).map(|()| TemplateSpec)
            }
            fn visit_unit<E: de::Error>(self) -> Result<TemplateSpec, E> {
                Ok(TemplateSpec)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TemplateSpec, A::Error> {
                TemplateMap::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|_| TemplateSpec)
            }
        }
        d.deserialize_any(V)
    }
}

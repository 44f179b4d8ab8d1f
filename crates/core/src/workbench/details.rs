//! What produced a cell, live or from history: its values, template, messages,
//! parameters, timings, usage and cost, and the HTTP request its provider client
//! sends ("copy as request"), with a placeholder where the key goes.

use super::Workbench;
use super::providers::kind_info;
use crate::error::Error;
use whetstone_model::*;
use whetstone_providers::describe;
use whetstone_store::StoreError;

impl Workbench {
    /// Everything that produced a cell, and its request as curl and as JSON. The
    /// request is built by the provider's client as configured now, with `${VAR}` for
    /// the key: a key is never read for it, and never in it.
    pub fn cell_details(&self, cell_id: CellId) -> Result<CellDetails, Error> {
        let (cell, info, prompt) = {
            let store = self.store();
            let cell = store.get_cell(cell_id)?;
            let info = store.run_info(cell.plan.run_id)?;
            let prompt = store.get_prompt(info.prompt_id)?;
            (cell, info, prompt)
        };
        let template = match info.spec.variants.get(cell.plan.variant as usize) {
            Some(variant) => match &variant.source {
                TemplateSource::Draft { template, .. } => template.clone(),
                TemplateSource::Version { version_id } => {
                    self.store().get_version(*version_id)?.template
                }
            },
            None => {
                return Err(Error::Invalid(format!(
                    "cell {cell_id} names variant {} of a run that has {}",
                    cell.plan.variant,
                    info.spec.variants.len()
                )));
            }
        };
        // A cell saves its messages when it ends; until then they are rendered here.
        let messages = if cell.outcome.status.is_final() {
            cell.outcome.messages.clone()
        } else {
            whetstone_template::render(&template, &cell.plan.vars).unwrap_or_default()
        };
        let provider = match self.store().get_provider(&cell.plan.target.provider) {
            Ok(config) => Some(config),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let (request, request_unavailable) =
            match self.request_copy(provider.as_ref(), &cell.plan.target, &messages) {
                Ok(copy) => (Some(copy), None),
                Err(why) => (None, Some(why)),
            };
        Ok(CellDetails {
            prompt_id: prompt.id,
            prompt_name: prompt.name,
            template,
            messages,
            run_status: info.status,
            run_created_at: info.created_at,
            provider_name: provider.map(|p| p.name),
            request,
            request_unavailable,
            cell,
        })
    }

    /// The request for `messages` on `target`, or why there is none to show.
    fn request_copy(
        &self,
        provider: Option<&ProviderConfig>,
        target: &Target,
        messages: &[Message],
    ) -> Result<RequestCopy, String> {
        let Some(config) = provider else {
            return Err(format!(
                "the provider `{}` was removed from the library",
                target.provider
            ));
        };
        if messages.is_empty() {
            return Err("the template rendered no message, so no request was made".into());
        }
        let (key_var, mut notes) = match &config.key {
            KeySource::None => (None, Vec::new()),
            KeySource::Env { var } => (Some(var.clone()), Vec::new()),
            KeySource::Keyring => {
                let var = match kind_info(config.kind).env_var {
                    var if var.is_empty() => "API_KEY".to_string(),
                    var => var,
                };
                let note = format!(
                    "The key is in the OS keyring: set the environment variable `{var}` to it \
                     before running this."
                );
                (Some(var), vec![note])
            }
        };
        if config.kind == ProviderKind::Bedrock {
            let region = whetstone_providers::bedrock::region(config.region.as_deref());
            notes.push(format!(
                "With an access key pair (ID:SECRET) instead of an API key, Whetstone signs \
                 the request with SigV4 in place of the `authorization` header; curl does the \
                 same without that header and with --aws-sigv4 'aws:amz:{region}:bedrock' \
                 --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\"."
            ));
        }
        let request = whetstone_providers::ChatRequest {
            model: target.model.clone(),
            messages: messages.to_vec(),
            stream: target.params.streamed(),
            params: target.params.clone(),
        };
        let described = describe::describe_chat(
            config,
            key_var.as_deref(),
            &request,
            self.services.http.clone(),
        )
        .map_err(|e| format!("the request cannot be built: {e}"))?;
        let Some(http) = described else {
            return Err(
                "echo answers on this machine with the rendered prompt: it sends no request".into(),
            );
        };
        let note = (!notes.is_empty()).then(|| notes.join(" "));
        Ok(describe::copy(http, request.stream, key_var, note))
    }
}

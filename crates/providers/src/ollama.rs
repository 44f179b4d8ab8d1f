//! The Ollama native API.

use whetstone_model::ProviderConfig;

pub struct Ollama {}

impl Ollama {
    pub fn new(_config: &ProviderConfig, _http: reqwest::Client) -> Ollama {
        todo!()
    }
}

impl crate::Provider for Ollama {
    fn kind(&self) -> whetstone_model::ProviderKind {
        todo!()
    }
    fn list_models(
        &self,
    ) -> futures::future::BoxFuture<'_, Result<Vec<whetstone_model::ModelInfo>, crate::ProviderError>> {
        todo!()
    }
    fn chat(
        &self,
        _request: crate::ChatRequest,
    ) -> futures::stream::BoxStream<'static, Result<crate::ChatEvent, crate::ProviderError>> {
        todo!()
    }
}

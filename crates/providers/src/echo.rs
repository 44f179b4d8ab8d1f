//! The `echo` provider: answers with the rendered prompt, for debugging templates.

use whetstone_model::ProviderConfig;

pub struct Echo {}

impl Echo {
    pub fn new(_config: &ProviderConfig) -> Echo {
        todo!()
    }
}

impl crate::Provider for Echo {
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

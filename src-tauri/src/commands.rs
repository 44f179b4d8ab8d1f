//! The IPC commands: deserialize, call the core, map errors. Nothing else.

use crate::AppState;
use tauri::ipc::Channel;
use tauri::{State, Wry};
use whetstone_core::Workbench;
use whetstone_core::ipc::{AppStatus, ConnectionTest, ErrorReply, ProviderEntry};
use whetstone_core::model::*;

type Reply<T> = Result<T, ErrorReply>;

fn bench<'a>(state: &'a State<'_, AppState>) -> Reply<&'a Workbench> {
    match state.inner() {
        AppState::Ready(bench) => Ok(bench),
        AppState::Failed { error, .. } => Err(ErrorReply {
            code: "library".into(),
            message: error.clone(),
            template: None,
            field: None,
        }),
    }
}

/// Calls the core and turns its error into the IPC shape.
fn call<T>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&Workbench) -> Result<T, whetstone_core::Error>,
) -> Reply<T> {
    f(bench(state)?).map_err(|e| e.reply())
}

#[tauri::command]
async fn app_status(state: State<'_, AppState>) -> Reply<AppStatus> {
    let (data_dir, library_error) = match state.inner() {
        AppState::Ready(bench) => (bench.data_dir().to_path_buf(), None),
        AppState::Failed { data_dir, error } => (data_dir.clone(), Some(error.clone())),
    };
    Ok(AppStatus {
        version: env!("CARGO_PKG_VERSION").into(),
        data_dir: data_dir.display().to_string(),
        library_error,
    })
}

#[tauri::command]
async fn list_prompts(
    state: State<'_, AppState>,
    search: Option<String>,
) -> Reply<Vec<PromptSummary>> {
    call(&state, |b| b.list_prompts(search.as_deref()))
}

#[tauri::command]
async fn create_prompt(state: State<'_, AppState>, name: String) -> Reply<Prompt> {
    call(&state, |b| b.create_prompt(&name))
}

#[tauri::command]
async fn get_prompt(state: State<'_, AppState>, id: PromptId) -> Reply<Prompt> {
    call(&state, |b| b.get_prompt(id))
}

#[tauri::command]
async fn rename_prompt(state: State<'_, AppState>, id: PromptId, name: String) -> Reply<Prompt> {
    call(&state, |b| b.rename_prompt(id, &name))
}

#[tauri::command]
async fn duplicate_prompt(state: State<'_, AppState>, id: PromptId) -> Reply<Prompt> {
    call(&state, |b| b.duplicate_prompt(id))
}

#[tauri::command]
async fn delete_prompt(state: State<'_, AppState>, id: PromptId) -> Reply<()> {
    call(&state, |b| b.delete_prompt(id))
}

#[tauri::command]
async fn save_draft(
    state: State<'_, AppState>,
    id: PromptId,
    draft: String,
    target: Option<Target>,
) -> Reply<()> {
    call(&state, |b| b.save_draft(id, &draft, target.as_ref()))
}

#[tauri::command]
async fn analyze_template(state: State<'_, AppState>, template: String) -> Reply<TemplateAnalysis> {
    call(&state, |b| Ok(b.analyze_template(&template)))
}

#[tauri::command]
async fn render_template(
    state: State<'_, AppState>,
    template: String,
    vars: Variables,
) -> Reply<Vec<Message>> {
    call(&state, |b| b.render_template(&template, &vars))
}

#[tauri::command]
async fn save_version(
    state: State<'_, AppState>,
    prompt_id: PromptId,
    version: NewVersion,
) -> Reply<Version> {
    call(&state, |b| b.save_version(prompt_id, &version))
}

#[tauri::command]
async fn list_versions(state: State<'_, AppState>, prompt_id: PromptId) -> Reply<Vec<Version>> {
    call(&state, |b| b.list_versions(prompt_id))
}

#[tauri::command]
async fn restore_version(state: State<'_, AppState>, version_id: VersionId) -> Reply<Version> {
    call(&state, |b| b.restore_version(version_id))
}

#[tauri::command]
async fn list_providers(state: State<'_, AppState>) -> Reply<Vec<ProviderConfig>> {
    call(&state, |b| b.list_providers())
}

#[tauri::command]
async fn list_models(state: State<'_, AppState>, provider_id: String) -> Reply<Vec<ModelInfo>> {
    let bench = bench(&state)?;
    bench.list_models(&provider_id).await.map_err(|e| e.reply())
}

#[tauri::command]
async fn provider_entries(state: State<'_, AppState>) -> Reply<Vec<ProviderEntry>> {
    call(&state, |b| b.provider_entries())
}

/// The saved provider as the settings screen shows it.
fn entry(bench: &Workbench, id: &str) -> Result<ProviderEntry, whetstone_core::Error> {
    let config = bench.get_provider(id)?;
    Ok(ProviderEntry {
        key: whetstone_core::status_of(&config),
        config,
    })
}

#[tauri::command]
async fn add_provider(state: State<'_, AppState>, config: ProviderConfig) -> Reply<ProviderEntry> {
    call(&state, |b| {
        b.add_provider(&config)?;
        entry(b, &config.id)
    })
}

#[tauri::command]
async fn update_provider(
    state: State<'_, AppState>,
    config: ProviderConfig,
) -> Reply<ProviderEntry> {
    call(&state, |b| {
        b.update_provider(&config)?;
        entry(b, &config.id)
    })
}

#[tauri::command]
async fn delete_provider(state: State<'_, AppState>, id: String) -> Reply<()> {
    call(&state, |b| b.delete_provider(&id))
}

#[tauri::command]
async fn test_connection(state: State<'_, AppState>, id: String) -> Reply<ConnectionTest> {
    let bench = bench(&state)?;
    bench.test_connection(&id).await.map_err(|e| e.reply())
}

/// Write-only: the key goes to the OS keyring and is never sent back.
#[tauri::command]
async fn set_key(
    state: State<'_, AppState>,
    provider_id: String,
    secret: String,
) -> Reply<ProviderEntry> {
    call(&state, |b| {
        b.set_key(&provider_id, &secret)?;
        entry(b, &provider_id)
    })
}

#[tauri::command]
async fn delete_key(state: State<'_, AppState>, provider_id: String) -> Reply<ProviderEntry> {
    call(&state, |b| {
        b.delete_key(&provider_id)?;
        entry(b, &provider_id)
    })
}

#[tauri::command]
async fn default_target(state: State<'_, AppState>) -> Reply<Option<Target>> {
    call(&state, |b| b.default_target())
}

#[tauri::command]
async fn set_default_target(state: State<'_, AppState>, target: Option<Target>) -> Reply<()> {
    call(&state, |b| b.set_default_target(target.as_ref()))
}

#[tauri::command]
async fn list_prices(state: State<'_, AppState>) -> Reply<Vec<Price>> {
    call(&state, |b| b.list_prices())
}

#[tauri::command]
async fn set_price(state: State<'_, AppState>, price: Price) -> Reply<()> {
    call(&state, |b| b.set_price(&price))
}

#[tauri::command]
async fn delete_price(state: State<'_, AppState>, provider: String, model: String) -> Reply<()> {
    call(&state, |b| b.delete_price(&provider, &model))
}

#[tauri::command]
async fn start_run(
    state: State<'_, AppState>,
    spec: RunSpec,
    events: Channel<RunEvent>,
) -> Reply<RunId> {
    // The run goes on in the background; its end arrives as a `finished` event.
    call(&state, |b| {
        b.start_run(spec, move |event| {
            if let Err(e) = events.send(event) {
                tracing::warn!("could not deliver a run event to the window: {e}");
            }
        })
        .map(|handle| handle.id)
    })
}

#[tauri::command]
async fn cancel_run(state: State<'_, AppState>, run_id: RunId) -> Reply<()> {
    call(&state, |b| {
        b.cancel_run(run_id);
        Ok(())
    })
}

#[tauri::command]
async fn list_runs(state: State<'_, AppState>, prompt_id: PromptId) -> Reply<Vec<RunSummary>> {
    call(&state, |b| b.list_runs(prompt_id, 200))
}

#[tauri::command]
async fn get_run(state: State<'_, AppState>, run_id: RunId) -> Reply<Run> {
    call(&state, |b| b.get_run(run_id))
}

pub fn handler() -> impl Fn(tauri::ipc::Invoke<Wry>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_status,
        list_prompts,
        create_prompt,
        get_prompt,
        rename_prompt,
        duplicate_prompt,
        delete_prompt,
        save_draft,
        analyze_template,
        render_template,
        save_version,
        list_versions,
        restore_version,
        list_providers,
        list_models,
        provider_entries,
        add_provider,
        update_provider,
        delete_provider,
        test_connection,
        set_key,
        delete_key,
        default_target,
        set_default_target,
        list_prices,
        set_price,
        delete_price,
        start_run,
        cancel_run,
        list_runs,
        get_run,
    ]
}

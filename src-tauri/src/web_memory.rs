//! Memory-pressure limits for the WebKitGTK web process (Linux).
//!
//! WebKit drops its caches and compiled code, collects garbage at once and hands freed
//! heap pages back under its memory-pressure policy, whose default thresholds start at
//! 1 GB of a web process's private memory (a third of its 3 GB limit); below that, much
//! of what a long session allocated stays with the process. The limits are a construct-only property of
//! `WebKitWebContext`, and wry builds its context without them (Tauri 2 has no hook).
//! So the context class's GObject constructor is wrapped, once, before the first
//! context exists, to fill the property in when its creator left it unset. Remove this
//! once wry takes the settings itself.

use std::ffi::CStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use gobject_sys::{GObject, GObjectConstructParam};

/// The scale of the thresholds below, which WebKit compares with the web process's
/// private anonymous memory (a fresh window: ~140 MB; four prompts of four ~140 KB
/// answers, freshly opened: ~200–240 MB).
const MEMORY_LIMIT_MB: u32 = 1024;
/// From ~154 MB, WebKit drops what it can rebuild cheaply (non-critical memory).
const CONSERVATIVE: f64 = 0.15;
/// From 256 MB, it also collects garbage, drops compiled code and hands freed pages
/// back: kept above what a busy screen needs, so the page does not recompile all the time.
const STRICT: f64 = 0.25;
/// Seconds between two measurements (WebKit's default is 30).
const POLL_SECONDS: f64 = 5.0;

type Constructor =
    unsafe extern "C" fn(glib_sys::GType, u32, *mut GObjectConstructParam) -> *mut GObject;

struct Hook {
    chain: Constructor,
    /// A `WebKitMemoryPressureSettings` kept for the life of the process.
    settings: usize,
}

static HOOK: OnceLock<Hook> = OnceLock::new();
/// How many contexts were given the limits (the tests read it).
static GIVEN: AtomicUsize = AtomicUsize::new(0);

const PROPERTY: &CStr = c"memory-pressure-settings";

unsafe extern "C" fn construct(
    type_: glib_sys::GType,
    n: u32,
    params: *mut GObjectConstructParam,
) -> *mut GObject {
    let hook = HOOK.get().expect("installed only once the hook is set");
    // SAFETY: GObject passes `n` construct parameters, each with a live spec and value.
    unsafe {
        for param in std::slice::from_raw_parts_mut(params, n as usize) {
            let name = CStr::from_ptr(gobject_sys::g_param_spec_get_name(param.pspec));
            if name == PROPERTY && gobject_sys::g_value_get_boxed(param.value).is_null() {
                // The value takes a copy of its own.
                gobject_sys::g_value_set_boxed(
                    param.value,
                    hook.settings as glib_sys::gconstpointer,
                );
                GIVEN.fetch_add(1, Ordering::Relaxed);
                tracing::debug!("the web context gets Whetstone's memory-pressure limits");
            }
        }
        (hook.chain)(type_, n, params)
    }
}

/// Gives every web context created from now on Whetstone's limits, unless its creator
/// gave its own. Call before the first window; later calls do nothing.
pub fn install() {
    // SAFETY: plain C calls on a boxed value this function owns (then leaks on purpose:
    // every future context copies it). The class is referenced and never released, so
    // its struct lives as long as the process; its constructor is replaced before any
    // context exists, under the `OnceLock`.
    unsafe {
        let settings = webkit2gtk_sys::webkit_memory_pressure_settings_new();
        webkit2gtk_sys::webkit_memory_pressure_settings_set_memory_limit(settings, MEMORY_LIMIT_MB);
        // Each setter refuses a value on the wrong side of the other threshold's current
        // one: lower the conservative threshold (default 0.33) before the strict one.
        webkit2gtk_sys::webkit_memory_pressure_settings_set_conservative_threshold(
            settings,
            CONSERVATIVE,
        );
        webkit2gtk_sys::webkit_memory_pressure_settings_set_strict_threshold(settings, STRICT);
        webkit2gtk_sys::webkit_memory_pressure_settings_set_poll_interval(settings, POLL_SECONDS);
        let class = gobject_sys::g_type_class_ref(webkit2gtk_sys::webkit_web_context_get_type())
            as *mut gobject_sys::GObjectClass;
        let Some(chain) = (*class).constructor else {
            return;
        };
        if HOOK
            .set(Hook {
                chain,
                settings: settings as usize,
            })
            .is_err()
        {
            webkit2gtk_sys::webkit_memory_pressure_settings_free(settings);
            return;
        }
        (*class).constructor = Some(construct);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_context(settings: Option<*mut webkit2gtk_sys::WebKitMemoryPressureSettings>) {
        // SAFETY: a real WebKitWebContext, built as wry builds its own (g_object_new with
        // or without the property), then released.
        unsafe {
            let type_ = webkit2gtk_sys::webkit_web_context_get_type();
            let context = match settings {
                None => gobject_sys::g_object_new(type_, std::ptr::null()),
                Some(s) => {
                    gobject_sys::g_object_new(type_, PROPERTY.as_ptr(), s, std::ptr::null::<i8>())
                }
            };
            assert!(!context.is_null());
            gobject_sys::g_object_unref(context);
        }
    }

    #[test]
    fn a_web_context_gets_the_limits_unless_its_creator_gave_its_own() {
        install();
        install();
        let before = GIVEN.load(Ordering::Relaxed);
        new_context(None);
        assert_eq!(GIVEN.load(Ordering::Relaxed), before + 1);
        // SAFETY: a boxed value of our own, freed after the context copied it.
        let own = unsafe { webkit2gtk_sys::webkit_memory_pressure_settings_new() };
        new_context(Some(own));
        unsafe { webkit2gtk_sys::webkit_memory_pressure_settings_free(own) };
        assert_eq!(
            GIVEN.load(Ordering::Relaxed),
            before + 1,
            "the creator's own settings stay"
        );
    }
}

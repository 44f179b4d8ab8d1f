//! Placeholder: the anthropic test server is being written.

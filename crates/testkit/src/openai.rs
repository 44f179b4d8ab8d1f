//! Placeholder: the openai test server is being written.

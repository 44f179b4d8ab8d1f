//! Placeholder: the gemini test server is being written.

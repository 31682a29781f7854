//! Where the real services are, for the adapters' integration tests.
//!
//! URLs come from environment variables (`QUIZ_TEST_REDIS_URL`,
//! `QUIZ_TEST_REDIS_CLUSTER_URLS`, `QUIZ_TEST_KAFKA_BROKERS`, `QUIZ_TEST_MONGO_URL`), or else
//! from the `.services/env` file that `cargo xtask services up` writes at the workspace
//! root. A test that needs a service and cannot find it **fails** with a message saying
//! how to start it: it never skips and never passes silently.

/// The value of `var` from the environment or `.services/env`; panics when neither has it.
pub fn service_url(var: &str) -> String {
    if let Ok(v) = std::env::var(var)
        && !v.trim().is_empty()
    {
        return v;
    }
    let file = quiz_contracts::workspace_root().join(".services/env");
    if let Ok(text) = std::fs::read_to_string(&file) {
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=')
                && k.trim() == var
                && !v.trim().is_empty()
            {
                return v.trim().to_owned();
            }
        }
    }
    panic!(
        "{var} is not set and {} does not define it: this test needs a real service. \
         Start them with `cargo xtask services up` (or run `cargo xtask test`, which does).",
        file.display()
    );
}

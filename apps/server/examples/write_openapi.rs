//! Writes `contracts/openapi.json` from the HTTP service: `cargo xtask contracts` runs it
//! after an intended API change. The drift test only compares; it never writes.

use std::process::ExitCode;

fn main() -> ExitCode {
    let doc = match quiz_server::openapi_json() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("write_openapi: {e}");
            return ExitCode::FAILURE;
        }
    };
    let value: serde_json::Value = match serde_json::from_str(&doc) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("write_openapi: the generated document is not JSON: {e}");
            return ExitCode::FAILURE;
        }
    };
    let path = quiz_contracts::schema_dir().join("../openapi.json");
    match std::fs::write(&path, quiz_contracts::to_committed_form(&value)) {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("write_openapi: {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

//! Writes `contracts/schemas/*.json` from the Rust types: `cargo xtask contracts` runs it
//! after an intended change. The drift test only compares; it never writes.

use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = quiz_contracts::schema_dir();
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("write_schemas: {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    for (file, schema) in quiz_contracts::schemas() {
        let path = dir.join(file);
        if let Err(e) = std::fs::write(&path, quiz_contracts::to_committed_form(&schema)) {
            eprintln!("write_schemas: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

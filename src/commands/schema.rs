//! `strata schema`: the JSON Schema of the stack language.

use super::write_stdout;

/// Runs `strata schema`.
pub fn run() -> Result<i32, String> {
    let schema = strata_stack::json_schema::json_schema();
    let text = serde_json::to_string_pretty(&schema).expect("the schema serializes") + "\n";
    write_stdout(&text, "the schema")?;
    Ok(0)
}

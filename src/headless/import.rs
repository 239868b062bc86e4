//! `livecheck import FILE`: a Postman collection or an OpenAPI document turned into a suite file,
//! offline. The suite's YAML
//! goes to `--output` (or standard output); what was not imported goes to standard error.

use std::{io::Write, path::PathBuf, process::ExitCode};

use crate::{
    import::{import, to_yaml, MAX_IMPORT_BYTES},
    suite::parse_suite,
};

/// `livecheck import`: a Postman collection (v2.1, JSON) or an OpenAPI 3.0/3.1 document (JSON or
/// YAML) → a suite. Exit status: 0 imported, 1
/// imported but the suite needs changes before it runs, 2 not imported.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The document: a Postman collection exported as JSON (v2.1), or an OpenAPI 3.0/3.1 document.
    pub file: PathBuf,
    /// Write the suite here instead of to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn main(args: ImportArgs) -> ExitCode {
    let refuse = |message: String| {
        eprintln!("livecheck import: {message}");
        ExitCode::from(2)
    };
    let text = match crate::suite::read_text_at_most(&args.file, MAX_IMPORT_BYTES as u64) {
        Ok(text) => text,
        Err(e) => return refuse(format!("{}: {e}", args.file.display())),
    };
    let imported = match import(&text) {
        Ok(imported) => imported,
        Err(e) => return refuse(format!("{}: {e}", args.file.display())),
    };
    let yaml = to_yaml(&imported.suite);
    let written = match &args.output {
        Some(path) => std::fs::write(path, &yaml),
        None => std::io::stdout().write_all(yaml.as_bytes()),
    };
    if let Err(e) = written {
        return refuse(format!("cannot write the suite: {e}"));
    }
    eprintln!(
        "imported {} \"{}\": {} steps",
        imported.format,
        imported.suite.name,
        imported.suite.steps.len()
    );
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    match parse_suite(&yaml) {
        Ok(_) => ExitCode::SUCCESS,
        Err(problems) => {
            eprintln!("the suite needs changes before it can run:");
            for p in problems {
                eprintln!("  {p}");
            }
            ExitCode::FAILURE
        }
    }
}

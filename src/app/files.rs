//! Files the user picks in the browser: read there (the server never sees the file itself), and the
//! suite editor's **Attach data**, which writes a CSV or JSON file into the suite's `data` section.

use leptos::prelude::*;

use crate::i18n::{Lang, Msg};

/// Reads the file chosen in the `<input type=file>` of `ev` and hands its name and text to `done`;
/// a file over `max_bytes`, or one that cannot be read, sets `error` instead.
pub fn read_file(
    lang: Lang,
    ev: leptos::ev::Event,
    max_bytes: f64,
    error: RwSignal<Option<String>>,
    done: impl FnOnce(String, String) + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        if file.size() > max_bytes {
            error.set(Some(lang.file_too_large(&file.name(), max_bytes / 1024.0)));
            return;
        }
        error.set(None);
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(content) => done(file.name(), content.as_string().unwrap_or_default()),
                Err(_) => error.set(Some(lang.file_unreadable(&file.name()))),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (lang, ev, max_bytes, error, done);
}

/// The suite `text` with its `data` section replaced by the rows of `file` (`.json`: a JSON array of
/// objects; otherwise CSV). A YAML suite keeps its text and comments: the old top-level `data:` block
/// goes (its `per:` line stays), the new one is added at the end. A JSON suite is rewritten.
pub fn attach_data(lang: Lang, text: &str, file: &str, content: &str) -> Result<String, String> {
    let json = file.to_ascii_lowercase().ends_with(".json");
    let rows = if json {
        let value: serde_json::Value =
            serde_json::from_str(content).map_err(|e| lang.file_not_json(file, &e.to_string()))?;
        if !value.is_array() {
            return Err(lang.file_not_rows(file));
        }
        Some(value)
    } else {
        None
    };
    if text.trim_start().starts_with('{') {
        let mut suite: serde_json::Value =
            serde_json::from_str(text).map_err(|e| lang.suite_not_json(&e.to_string()))?;
        let object = suite
            .as_object_mut()
            .ok_or(lang.t(Msg::SuiteNotJsonObject))?;
        let per = object.get("data").and_then(|d| d.get("per")).cloned();
        let mut data = serde_json::Map::new();
        match rows {
            Some(rows) => data.insert("json".into(), rows),
            None => data.insert("csv".into(), content.into()),
        };
        if let Some(per) = per {
            data.insert("per".into(), per);
        }
        object.insert("data".into(), data.into());
        return serde_json::to_string_pretty(&suite).map_err(|e| e.to_string());
    }

    let mut kept = Vec::new();
    let mut per = None;
    let mut in_data = false;
    for line in text.lines() {
        let top_level = !line.starts_with([' ', '\t']) && !line.trim().is_empty();
        if top_level && !line.starts_with('#') {
            in_data = line.starts_with("data:");
        }
        if in_data {
            if let Some(p) = line.trim().strip_prefix("per:") {
                per = Some(p.trim().to_owned());
            }
            continue;
        }
        kept.push(line);
    }
    let mut out = kept.join("\n").trim_end().to_owned();
    out.push_str("\ndata:\n");
    match rows {
        Some(rows) => {
            out.push_str("  json: ");
            out.push_str(&rows.to_string());
            out.push('\n');
        }
        // A block keeps the rows readable; a line that starts with a space, or a carriage return,
        // needs the quoted form (JSON's string syntax is YAML's double-quoted scalar).
        None if content.lines().all(|l| !l.starts_with([' ', '\t'])) && !content.contains('\r') => {
            out.push_str("  csv: |\n");
            for line in content.lines() {
                out.push_str("    ");
                out.push_str(line);
                out.push('\n');
            }
        }
        None => {
            out.push_str("  csv: ");
            out.push_str(&serde_json::Value::from(content).to_string());
            out.push('\n');
        }
    }
    if let Some(per) = per {
        out.push_str(&format!("  per: {per}\n"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::i18n::Lang;

    fn attach_data(text: &str, file: &str, content: &str) -> Result<String, String> {
        super::attach_data(Lang::En, text, file, content)
    }

    #[test]
    fn a_csv_file_replaces_the_data_block_of_a_yaml_suite() {
        let suite = "name: S\n# rows\ndata:\n  csv: |\n    a\n    1\n  per: user\nsteps:\n  - url: http://x/${id}\n";
        let out = attach_data(suite, "ids.csv", "id\n7\n42\n").unwrap();
        assert_eq!(
            out,
            "name: S\n# rows\nsteps:\n  - url: http://x/${id}\ndata:\n  csv: |\n    id\n    7\n    42\n  per: user\n"
        );
    }

    #[test]
    fn json_rows_and_json_suites() {
        let out = attach_data("name: S\nsteps: []\n", "rows.JSON", "[{\"id\": 1}]").unwrap();
        assert!(out.ends_with("data:\n  json: [{\"id\":1}]\n"), "{out}");
        let out = attach_data("{\"name\": \"S\", \"steps\": []}", "r.csv", "id\n1\n").unwrap();
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["data"]["csv"], "id\n1\n");
        assert!(attach_data("name: S\n", "r.json", "{\"id\": 1}").is_err());
        assert!(attach_data("name: S\n", "r.json", "not json").is_err());
    }

    #[test]
    fn csv_that_a_block_cannot_hold_is_quoted() {
        let out = attach_data("name: S\n", "r.csv", "id\r\n 1\r\n").unwrap();
        assert!(out.ends_with("  csv: \"id\\r\\n 1\\r\\n\"\n"), "{out}");
    }
}

//! Data-driven suites: a `data` section holds rows (CSV with a header line, or a JSON array of
//! objects), and each row's values are variables. A run of the steps goes over the rows once each; a
//! load run hands a row to each iteration (or to each virtual user). The rows are parsed once per run
//! into one shared [`DataRows`]; nothing copies them per user.
//!
//! `file:` names a CSV or JSON file next to the suite; only `livecheck run` reads files (the server
//! reads none), and it inlines the file's rows before the suite is validated.

use std::{collections::BTreeMap, path::Path};

use serde::{Deserialize, Serialize};

/// At most this many rows.
pub const MAX_ROWS: usize = 100_000;
/// At most this many columns.
pub const MAX_COLUMNS: usize = 100;
/// A data file read by `livecheck run` may be at most this large.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The `data` section: exactly one of `csv`, `json`, `file`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataDef {
    /// CSV text; the first line names the columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<String>,
    /// An array of objects whose values are strings, numbers or booleans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    /// A `.csv` or `.json` file, relative to the suite file (`livecheck run` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// In a load run, whether each iteration takes the next row (default) or each virtual user keeps one.
    #[serde(default, skip_serializing_if = "is_default")]
    pub per: RowsPer,
}

fn is_default(per: &RowsPer) -> bool {
    *per == RowsPer::default()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowsPer {
    #[default]
    Iteration,
    User,
}

/// The parsed rows: column names once, then each row's values in column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl DataRows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Sets row `index`'s values (modulo the row count) over `vars`.
    pub fn apply(&self, index: usize, vars: &mut BTreeMap<String, String>) {
        if self.rows.is_empty() {
            return;
        }
        let row = &self.rows[index % self.rows.len()];
        for (name, value) in self.columns.iter().zip(row) {
            vars.insert(name.clone(), value.clone());
        }
    }
}

impl DataDef {
    /// The rows, or what is wrong with them (`(field, message)`).
    pub fn rows(&self) -> Result<DataRows, (&'static str, String)> {
        let rows =
            match (&self.csv, &self.json, &self.file) {
                (Some(csv), None, None) => parse_csv(csv).map_err(|e| ("data.csv", e))?,
                (None, Some(json), None) => parse_json(json).map_err(|e| ("data.json", e))?,
                (None, None, Some(_)) => return Err((
                    "data.file",
                    "only `livecheck run` reads data files; in the app, give the rows as `csv` or \
                     `json` (Attach data in the editor does it)"
                        .into(),
                )),
                _ => return Err(("data", "give exactly one of `csv`, `json` or `file`".into())),
            };
        check_columns(&rows.columns)?;
        if rows.rows.is_empty() {
            return Err(("data", "has no rows".into()));
        }
        if rows.rows.len() > MAX_ROWS {
            return Err(("data", format!("at most {MAX_ROWS} rows")));
        }
        Ok(rows)
    }

    /// Replaces `file` with the file's content (CSV, or JSON for a `.json` name), read relative to
    /// `dir`. For `livecheck run`; the error says which file and why.
    pub fn inline_file(&mut self, dir: &Path) -> Result<(), String> {
        let Some(name) = self.file.take() else {
            return Ok(());
        };
        let path = dir.join(&name);
        let text = read_text_at_most(&path, MAX_FILE_BYTES)
            .map_err(|e| format!("data.file: cannot read {}: {e}", path.display()))?;
        if name.to_ascii_lowercase().ends_with(".json") {
            let value = serde_json::from_str(&text)
                .map_err(|e| format!("data.file: {} is not JSON: {e}", path.display()))?;
            self.json = Some(value);
        } else {
            self.csv = Some(text);
        }
        Ok(())
    }
}

fn parse_csv(text: &str) -> Result<DataRows, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| match e.position() {
            Some(p) => format!("line {}: {e}", p.line()),
            None => e.to_string(),
        })?;
        if rows.len() == MAX_ROWS {
            return Err(format!("at most {MAX_ROWS} rows"));
        }
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(DataRows { columns, rows })
}

fn parse_json(value: &serde_json::Value) -> Result<DataRows, String> {
    let items = value
        .as_array()
        .ok_or("must be an array of objects, one per row")?;
    let mut columns: Vec<String> = Vec::new();
    let mut objects = Vec::with_capacity(items.len().min(MAX_ROWS));
    for (i, item) in items.iter().enumerate() {
        if i == MAX_ROWS {
            return Err(format!("at most {MAX_ROWS} rows"));
        }
        let object = item
            .as_object()
            .ok_or_else(|| format!("row {}: must be an object", i + 1))?;
        for key in object.keys() {
            if !columns.contains(key) {
                if columns.len() == MAX_COLUMNS {
                    return Err(format!("at most {MAX_COLUMNS} columns"));
                }
                columns.push(key.clone());
            }
        }
        objects.push(object);
    }
    let rows = objects
        .iter()
        .enumerate()
        .map(|(i, object)| {
            columns
                .iter()
                .map(|c| match object.get(c) {
                    None | Some(serde_json::Value::Null) => Ok(String::new()),
                    Some(serde_json::Value::String(s)) => Ok(s.clone()),
                    Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                        Ok(v.to_string())
                    }
                    Some(_) => Err(format!(
                        "row {}, `{c}`: values are strings, numbers or booleans",
                        i + 1
                    )),
                })
                .collect()
        })
        .collect::<Result<_, String>>()?;
    Ok(DataRows { columns, rows })
}

fn check_columns(columns: &[String]) -> Result<(), (&'static str, String)> {
    if columns.len() > MAX_COLUMNS {
        return Err(("data", format!("at most {MAX_COLUMNS} columns")));
    }
    for (i, name) in columns.iter().enumerate() {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
        if !valid {
            return Err((
                "data",
                format!(
                    "column {} ({name:?}) is not a variable name: use letters, digits, `_`, `-`, `.`",
                    i + 1
                ),
            ));
        }
        if columns[..i].contains(name) {
            return Err(("data", format!("column `{name}` appears twice")));
        }
    }
    Ok(())
}

/// Reads a UTF-8 file of at most `max` bytes. A larger one is refused after `max + 1` bytes, never
/// read whole: its size on disk is not trusted (a device such as `/dev/zero`, or a pipe, has none).
pub fn read_text_at_most(path: &Path, max: u64) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> DataDef {
        DataDef {
            csv: Some(text.into()),
            ..DataDef::default()
        }
    }

    #[test]
    fn csv_rows_with_quotes_and_a_header() {
        let rows = csv("user, password\nalice,\"se,cret\"\nbob,b2\n")
            .rows()
            .unwrap();
        assert_eq!(rows.columns, ["user", "password"]);
        assert_eq!(rows.rows, [["alice", "se,cret"], ["bob", "b2"]]);
        let mut vars = BTreeMap::new();
        rows.apply(3, &mut vars);
        assert_eq!(vars["user"], "bob");
    }

    #[test]
    fn json_rows_take_scalars_and_fill_missing_columns() {
        let def = DataDef {
            json: Some(serde_json::json!([{"id": 1, "ok": true}, {"id": 2, "name": "x"}])),
            ..DataDef::default()
        };
        let rows = def.rows().unwrap();
        assert_eq!(rows.columns, ["id", "ok", "name"]);
        assert_eq!(rows.rows[1], ["2", "", "x"]);
        let nested = DataDef {
            json: Some(serde_json::json!([{"id": {"a": 1}}])),
            ..DataDef::default()
        };
        assert!(nested.rows().unwrap_err().1.contains("row 1, `id`"));
    }

    #[test]
    fn bad_data_is_refused_with_the_reason() {
        assert_eq!(csv("a,b\n").rows().unwrap_err().1, "has no rows");
        assert!(csv("a,b\n1,2,3\n").rows().unwrap_err().1.contains("line 2"));
        assert!(csv("a b\n1\n")
            .rows()
            .unwrap_err()
            .1
            .contains("not a variable name"));
        assert!(csv("a,a\n1,2\n").rows().unwrap_err().1.contains("twice"));
        let both = DataDef {
            csv: Some("a\n1".into()),
            file: Some("x.csv".into()),
            ..DataDef::default()
        };
        assert_eq!(both.rows().unwrap_err().0, "data");
        let file = DataDef {
            file: Some("x.csv".into()),
            ..DataDef::default()
        };
        assert_eq!(file.rows().unwrap_err().0, "data.file");
    }
}

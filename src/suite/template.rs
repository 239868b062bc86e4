//! `${name}` templating. Names are letters, digits, `_`, `-` and `.`; `$$` is a literal `$`.
//!
//! Everything templating makes is bounded: a variable's value, all of a run's variables together,
//! and whatever one template (a URL, a header, a whole JSON body) renders to. Variables that use
//! other variables could otherwise double in size at each step and exhaust the server's memory from
//! a suite of a few hundred bytes.

use std::collections::BTreeMap;

/// Longest value one variable may hold once its templates are filled in.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Most bytes a run's variables may hold together.
pub const MAX_VARIABLES_BYTES: usize = 1024 * 1024;
/// Longest text one template may render to (a URL, a header, a body).
pub const MAX_RENDERED_BYTES: usize = 1024 * 1024;

/// A template that cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown variable `{0}`")]
    Unknown(String),
    #[error("unclosed `${{` at byte {0}")]
    Unclosed(usize),
    #[error("invalid variable name `{0}`")]
    BadName(String),
    #[error("variable `{0}` refers to itself (directly or through other variables)")]
    Cycle(String),
    /// What it renders to would be over the limit (in bytes).
    #[error("the value would be longer than {0} bytes, the most allowed")]
    TooLarge(usize),
    /// The run's variables together would be over the limit (in bytes).
    #[error("the variables together would be longer than {0} bytes, the most allowed")]
    TooLargeTogether(usize),
}

/// The variable names a template uses, in order (checked for syntax).
pub fn template_vars(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut names = Vec::new();
    walk(template, |piece| {
        if let Piece::Var(name) = piece {
            names.push(name.to_owned());
        }
        Ok(())
    })?;
    Ok(names)
}

/// Replaces every `${name}` with its value; the result is at most [`MAX_RENDERED_BYTES`].
pub fn render(template: &str, vars: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let mut budget = MAX_RENDERED_BYTES;
    render_within(template, vars, &mut budget)
}

/// [`render`], taking the output's length from `budget` (bytes left for everything rendered so far).
fn render_within(
    template: &str,
    vars: &BTreeMap<String, String>,
    budget: &mut usize,
) -> Result<String, TemplateError> {
    let limit = *budget;
    let mut out = String::with_capacity(template.len().min(limit));
    walk(template, |piece| {
        let text = match piece {
            Piece::Text(t) => t,
            Piece::Var(name) => vars
                .get(name)
                .ok_or_else(|| TemplateError::Unknown(name.to_owned()))?,
        };
        *budget = budget
            .checked_sub(text.len())
            .ok_or(TemplateError::TooLarge(limit))?;
        out.push_str(text);
        Ok(())
    })?;
    Ok(out)
}

/// A JSON body with `${name}` filled in in every string (keys and values). A string that is exactly
/// one `${name}` stays a string: JSON bodies get text, as headers and URLs do. All the strings
/// rendered together are at most [`MAX_RENDERED_BYTES`].
pub fn render_json(
    value: &serde_json::Value,
    vars: &BTreeMap<String, String>,
) -> Result<serde_json::Value, TemplateError> {
    let mut budget = MAX_RENDERED_BYTES;
    render_json_within(value, vars, &mut budget)
}

fn render_json_within(
    value: &serde_json::Value,
    vars: &BTreeMap<String, String>,
    budget: &mut usize,
) -> Result<serde_json::Value, TemplateError> {
    use serde_json::Value;
    Ok(match value {
        Value::String(s) if s.contains('$') => Value::String(render_within(s, vars, budget)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_json_within(v, vars, budget))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let k = if k.contains('$') {
                        render_within(k, vars, budget)?
                    } else {
                        k.clone()
                    };
                    Ok((k, render_json_within(v, vars, budget)?))
                })
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

/// Every string in a JSON body (keys included), for checking the templates in it.
pub fn json_strings(value: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| json_strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            json_strings(v, out);
        }),
        _ => {}
    }
}

/// Variables whose values use other variables (`api: "${host}/v1"`), each filled in with the others'
/// final values. A value is rendered once, so `$$` in it stays a literal `$`. A variable that refers
/// to itself, directly or through others, is an error naming it.
pub fn resolve_variables(
    vars: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, (String, TemplateError)> {
    struct Resolver<'a> {
        vars: &'a BTreeMap<String, String>,
        done: BTreeMap<String, String>,
        visiting: Vec<&'a str>,
        /// Bytes the variables not yet resolved may still take.
        left: usize,
    }
    impl<'a> Resolver<'a> {
        fn resolve(&mut self, name: &'a str) -> Result<(), (String, TemplateError)> {
            if self.done.contains_key(name) {
                return Ok(());
            }
            let Some(template) = self.vars.get(name) else {
                return Ok(()); // reported by `render` of whoever uses it
            };
            let fail = |e| (name.to_owned(), e);
            if self.visiting.contains(&name) {
                return Err(fail(TemplateError::Cycle(name.to_owned())));
            }
            self.visiting.push(name);
            for used in template_vars(template).map_err(fail)? {
                if let Some((key, _)) = self.vars.get_key_value(used.as_str()) {
                    self.resolve(key)?;
                }
            }
            self.visiting.pop();
            let mut budget = MAX_VALUE_BYTES.min(self.left);
            let value = render_within(template, &self.done, &mut budget).map_err(|e| {
                fail(match e {
                    TemplateError::TooLarge(_) if self.left < MAX_VALUE_BYTES => {
                        TemplateError::TooLargeTogether(MAX_VARIABLES_BYTES)
                    }
                    e => e,
                })
            })?;
            self.left -= value.len();
            self.done.insert(name.to_owned(), value);
            Ok(())
        }
    }
    let mut resolver = Resolver {
        vars,
        done: BTreeMap::new(),
        visiting: Vec::new(),
        left: MAX_VARIABLES_BYTES,
    };
    for name in vars.keys() {
        resolver.resolve(name)?;
    }
    Ok(resolver.done)
}

enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

fn walk<'a>(
    template: &'a str,
    mut f: impl FnMut(Piece<'a>) -> Result<(), TemplateError>,
) -> Result<(), TemplateError> {
    let mut rest = template;
    let mut offset = 0;
    while let Some(i) = rest.find('$') {
        f(Piece::Text(&rest[..i]))?;
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            f(Piece::Text("$"))?;
            offset += i + 2;
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('{') {
            let end = tail.find('}').ok_or(TemplateError::Unclosed(offset + i))?;
            let name = &tail[..end];
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !valid {
                return Err(TemplateError::BadName(name.to_owned()));
            }
            f(Piece::Var(name))?;
            offset += i + 2 + end + 1;
            rest = &tail[end + 1..];
        } else {
            f(Piece::Text("$"))?;
            offset += i + 1;
            rest = after;
        }
    }
    f(Piece::Text(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_goes_by_its_name_with_the_variables_filled_in_and_bounded() {
        let suite = crate::suite::parse_suite(
            "name: s\nvariables: { id: \"1\", who: x }\nsteps:\n  - name: read ${id} as ${who}\n    url: http://a/${id}\n  - url: http://a/${id}\n",
        )
        .unwrap();
        let vars: BTreeMap<String, String> = [("id", "42"), ("who", "mia")]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into();
        assert_eq!(suite.steps[0].run_name(&vars), "read 42 as mia");
        // The URL as written: values given at run time may be secrets.
        assert_eq!(suite.steps[1].run_name(&vars), "GET http://a/${id}");
        let mut huge = vars.clone();
        huge.insert("id".into(), "x".repeat(10_000));
        let name = suite.steps[0].run_name(&huge);
        assert_eq!(name.chars().count(), 201, "{name}");
        assert!(name.ends_with('…'));
        // A variable it does not know: the name as written.
        assert_eq!(
            suite.steps[0].run_name(&BTreeMap::new()),
            "read ${id} as ${who}"
        );
    }

    #[test]
    fn renders_and_reports() {
        let vars = BTreeMap::from([
            ("base".to_owned(), "http://x".to_owned()),
            ("id".to_owned(), "7".to_owned()),
        ]);
        assert_eq!(
            render("${base}/items/${id}", &vars).unwrap(),
            "http://x/items/7"
        );
        assert_eq!(render("cost: $5 and $$", &vars).unwrap(), "cost: $5 and $");
        assert_eq!(
            render("${nope}", &vars),
            Err(TemplateError::Unknown("nope".into()))
        );
        assert_eq!(render("a ${base", &vars), Err(TemplateError::Unclosed(2)));
        assert_eq!(
            render("${a b}", &vars),
            Err(TemplateError::BadName("a b".into()))
        );
        assert_eq!(template_vars("${a}-${b.c}").unwrap(), ["a", "b.c"]);
    }

    #[test]
    fn json_bodies_are_templated_in_keys_and_values() {
        let vars = BTreeMap::from([("id".to_owned(), "7".to_owned())]);
        let body =
            serde_json::json!({"item": "${id}", "n": 3, "tags": ["a-${id}"], "k${id}": null});
        assert_eq!(
            render_json(&body, &vars).unwrap(),
            serde_json::json!({"item": "7", "n": 3, "tags": ["a-7"], "k7": null})
        );
        assert_eq!(
            render_json(&serde_json::json!(["${nope}"]), &vars),
            Err(TemplateError::Unknown("nope".into()))
        );
        let mut strings = Vec::new();
        json_strings(&body, &mut strings);
        assert!(strings.contains(&"k${id}".to_owned()) && strings.contains(&"a-${id}".to_owned()));
    }

    #[test]
    fn variables_use_each_other_and_cycles_are_named() {
        let vars = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let resolved = resolve_variables(&vars(&[
            ("api", "${base}/v1"),
            ("base", "http://${host}:8080"),
            ("host", "example.test"),
            ("price", "$$5 at ${api}"),
        ]))
        .unwrap();
        assert_eq!(resolved["api"], "http://example.test:8080/v1");
        assert_eq!(resolved["price"], "$5 at http://example.test:8080/v1");
        assert_eq!(resolved["host"], "example.test");

        let cycle = resolve_variables(&vars(&[("a", "${b}"), ("b", "x${a}")])).unwrap_err();
        assert!(matches!(cycle.1, TemplateError::Cycle(_)), "{cycle:?}");
        let unknown = resolve_variables(&vars(&[("a", "${nope}")])).unwrap_err();
        assert_eq!(
            unknown,
            ("a".to_owned(), TemplateError::Unknown("nope".into()))
        );
    }
}

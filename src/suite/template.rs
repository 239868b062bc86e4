//! `${name}` templating. Names are letters, digits, `_`, `-` and `.`; `$$` is a literal `$`.

use std::collections::BTreeMap;

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

/// Replaces every `${name}` with its value.
pub fn render(template: &str, vars: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    walk(template, |piece| {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name) => out.push_str(
                vars.get(name)
                    .ok_or_else(|| TemplateError::Unknown(name.to_owned()))?,
            ),
        }
        Ok(())
    })?;
    Ok(out)
}

/// A JSON body with `${name}` filled in in every string (keys and values). A string that is exactly
/// one `${name}` stays a string: JSON bodies get text, as headers and URLs do.
pub fn render_json(
    value: &serde_json::Value,
    vars: &BTreeMap<String, String>,
) -> Result<serde_json::Value, TemplateError> {
    use serde_json::Value;
    Ok(match value {
        Value::String(s) if s.contains('$') => Value::String(render(s, vars)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_json(v, vars))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let k = if k.contains('$') {
                        render(k, vars)?
                    } else {
                        k.clone()
                    };
                    Ok((k, render_json(v, vars)?))
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
    fn resolve<'a>(
        name: &'a str,
        vars: &'a BTreeMap<String, String>,
        done: &mut BTreeMap<String, String>,
        visiting: &mut Vec<&'a str>,
    ) -> Result<(), (String, TemplateError)> {
        if done.contains_key(name) {
            return Ok(());
        }
        let Some(template) = vars.get(name) else {
            return Ok(()); // reported by `render` of whoever uses it
        };
        if visiting.contains(&name) {
            return Err((name.to_owned(), TemplateError::Cycle(name.to_owned())));
        }
        visiting.push(name);
        let uses = template_vars(template).map_err(|e| (name.to_owned(), e))?;
        for used in &uses {
            if let Some((key, _)) = vars.get_key_value(used.as_str()) {
                resolve(key, vars, done, visiting)?;
            }
        }
        visiting.pop();
        let value = render(template, done).map_err(|e| (name.to_owned(), e))?;
        done.insert(name.to_owned(), value);
        Ok(())
    }
    let mut done = BTreeMap::new();
    for name in vars.keys() {
        resolve(name, vars, &mut done, &mut Vec::new())?;
    }
    Ok(done)
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

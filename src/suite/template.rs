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
}

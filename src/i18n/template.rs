//! Matching a sentence against a catalogue of templates (`at most {} steps`) and saying it again with
//! the same values in another template: the server's refusals (`server.rs`, server only) and the
//! engines' sentences about steps (`steps.rs`, on both sides).

/// The other side of the first template `english` matches, with its values, if any does.
pub(super) fn translate(catalogue: &[(&str, &str)], english: &str) -> Option<String> {
    catalogue
        .iter()
        .find_map(|(en, other)| values_in(en, english).map(|values| fill(other, &values)))
}

/// The values `text` puts where `template` has `{}`, if `text` is that template.
pub(super) fn values_in<'a>(template: &str, text: &'a str) -> Option<Vec<&'a str>> {
    let mut pieces = template.split("{}");
    let first = pieces.next().unwrap_or_default();
    let mut rest = text.strip_prefix(first)?;
    let mut values = Vec::new();
    let pieces: Vec<&str> = pieces.collect();
    for (i, piece) in pieces.iter().enumerate() {
        let end = if i + 1 == pieces.len() {
            // The last piece ends the text (`ends_with` first: the cut is then on a character
            // boundary, whatever the text holds).
            rest.strip_suffix(*piece)?.len()
        } else {
            rest.find(piece)?
        };
        values.push(&rest[..end]);
        rest = &rest[end + piece.len()..];
    }
    if pieces.is_empty() && !rest.is_empty() {
        return None;
    }
    Some(values)
}

/// `template` with each `{}` replaced by the next value.
pub(super) fn fill(template: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut values = values.iter();
    let mut pieces = template.split("{}").peekable();
    while let Some(piece) = pieces.next() {
        out.push_str(piece);
        if pieces.peek().is_some() {
            out.push_str(values.next().copied().unwrap_or_default());
        }
    }
    out
}

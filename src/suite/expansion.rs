//! Bounds on a YAML text, checked before it is read for real: how deep it nests, and how large it
//! becomes with its aliases expanded.
//!
//! Nesting: the YAML library's scanner (libyaml's) spends time quadratic in how deeply flow collections
//! (`[…]`, `{…}`) nest, so a 250 KB `[[[…]]]` would hold a worker for a minute before the reader's own
//! depth limit refuses it. A streaming event parser measures the depth first and stops at the first
//! level too deep, in time linear in the text.
//!
//! Aliases (`&anchor` … `*anchor`) are expanded while a suite is read, and the YAML library bounds how
//! many times aliases are followed but not how large what they repeat is: one wide anchor reused a few
//! thousand times would become gigabytes inside a JSON-valued field. So a second pass walks the
//! document as the reader would see it, aliases expanded, counting scalar bytes and nodes without
//! keeping anything, and stops at a cap. A suite without aliases expands to no more than its own
//! text, so the cap only ever stops alias bombs.

use std::{cell::Cell, fmt};

use saphyr_parser::{Event, Parser};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Most scalar bytes a suite may expand to: four times the largest suite text.
pub const MAX_EXPANDED_BYTES: usize = 4 * super::MAX_SUITE_BYTES;
/// Most nodes (scalars, sequence items, mapping entries) a suite may expand to.
pub const MAX_EXPANDED_NODES: usize = 200_000;
/// Deepest nesting of lists and maps: the YAML reader's own limit, so no text it would accept is
/// refused here.
pub const MAX_DEPTH: usize = 128;
/// When the event parser cannot read a text (it follows YAML 1.2 more strictly than the reader), its
/// depth is not known: the text is then left to the reader only if it opens few enough flow
/// collections that even nested all in one another they cost little.
const MAX_FLOW_OPENINGS_UNMEASURED: usize = 4096;

/// Whether the YAML `text` nests no deeper than [`MAX_DEPTH`] and stays under the caps once its aliases
/// are expanded. `Err` says why not; any other problem with the text is left to the real reading,
/// which reports it precisely.
pub fn check(text: &str) -> Result<(), String> {
    check_depth(text)?;
    let over = Cell::new(false);
    let measure = Measure {
        left_bytes: &Cell::new(MAX_EXPANDED_BYTES),
        left_nodes: &Cell::new(MAX_EXPANDED_NODES),
        over: &over,
    };
    let _ = measure.deserialize(serde_yaml_ng::Deserializer::from_str(text));
    if over.get() {
        Err(format!(
            "with its aliases (`*name`) expanded, the suite would be larger than {MAX_EXPANDED_BYTES} \
             bytes or {MAX_EXPANDED_NODES} values; write the repeated parts out, or repeat them less"
        ))
    } else {
        Ok(())
    }
}

fn check_depth(text: &str) -> Result<(), String> {
    let too_deep = || format!("lists and maps nest more than {MAX_DEPTH} levels deep");
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    while let Some(event) = parser.next_event() {
        match event {
            Ok((Event::SequenceStart(..) | Event::MappingStart(..), _)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(too_deep());
                }
            }
            Ok((Event::SequenceEnd | Event::MappingEnd, _)) => depth = depth.saturating_sub(1),
            Ok(_) => {}
            Err(_) => {
                let openings = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
                return if openings > MAX_FLOW_OPENINGS_UNMEASURED {
                    Err(too_deep())
                } else {
                    Ok(())
                };
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
struct Measure<'a> {
    left_bytes: &'a Cell<usize>,
    left_nodes: &'a Cell<usize>,
    over: &'a Cell<bool>,
}

impl Measure<'_> {
    fn charge<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        let nodes = self.left_nodes.get().checked_sub(1);
        let bytes = self.left_bytes.get().checked_sub(bytes);
        match (nodes, bytes) {
            (Some(nodes), Some(bytes)) => {
                self.left_nodes.set(nodes);
                self.left_bytes.set(bytes);
                Ok(())
            }
            _ => {
                self.over.set(true);
                Err(E::custom("expanded suite over the cap"))
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Measure<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Measure<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.charge(1)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.charge(8)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.charge(8)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.charge(8)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.charge(v.len())
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<(), E> {
        self.charge(v.len())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.charge(1)
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.charge(1)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.charge(1)?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.charge(1)?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged value (`!tag x`): count the tag, then the value.
        use de::VariantAccess;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_suite_passes_and_a_wide_anchor_reused_thousands_of_times_does_not() {
        assert!(check("name: x\nsteps:\n  - url: http://a/\n").is_ok());
        // A modest anchor used a few times is fine.
        assert!(check("a: &v [1, 2, 3]\nb: *v\nc: *v\n").is_ok());
        let wide = "x".repeat(60_000);
        let mut bomb = format!("name: bomb\nsteps:\n  - url: http://a/\n    body:\n      json:\n        - &w \"{wide}\"\n");
        for _ in 0..5_000 {
            bomb.push_str("        - *w\n");
        }
        assert!(bomb.len() < crate::suite::MAX_SUITE_BYTES);
        let started = std::time::Instant::now();
        assert!(check(&bomb).unwrap_err().contains("aliases"));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn nesting_deeper_than_the_reader_allows_is_refused_before_it_is_read() {
        let flow = |depth: usize| format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        assert!(check(&flow(MAX_DEPTH - 1)).is_ok());
        assert!(check(&flow(MAX_DEPTH)).unwrap_err().contains("nest"));
        // What took libyaml a minute: refused at its 129th level.
        assert!(check(&flow(125_000)).unwrap_err().contains("nest"));
        let braces = format!("a: {}{}\n", "{b: ".repeat(5_000), "}".repeat(5_000));
        assert!(check(&braces).unwrap_err().contains("nest"));
        // Block style counts too.
        let mut block = String::new();
        for level in 0..=MAX_DEPTH {
            block.push_str(&format!("{}k{level}:\n", " ".repeat(level)));
        }
        block.push_str(&format!("{}v: 1\n", " ".repeat(MAX_DEPTH + 1)));
        assert!(check(&block).unwrap_err().contains("nest"));
        // Not YAML this pass reads: left to the reader (which says what is wrong), unless it opens
        // flow collections by the thousand.
        assert!(check("a: 'never closed\n").is_ok());
        let broken = format!("a: 'never closed\n{}\n", "[".repeat(10_000));
        assert!(check(&broken).unwrap_err().contains("nest"));
    }
}

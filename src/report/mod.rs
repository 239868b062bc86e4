//! Reports of a finished (or stopped) run, made from its snapshot alone, for the server's downloads
//! and the headless runner's files alike.

mod junit;

pub use junit::junit_xml;

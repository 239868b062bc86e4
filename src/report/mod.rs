//! Reports of a finished (or stopped) run, made from its snapshot alone, for the server's downloads
//! and the headless runner's files alike.

mod html;
mod junit;

pub use html::{html_comparison, html_report};
pub use junit::junit_xml;

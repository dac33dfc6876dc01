//! From the paper's Markdown source to HTML: directives are replaced by generated content,
//! then the Markdown is rendered (pulldown-cmark).
//!
//! Directives, each inside `{{` and `}}`:
//! - `value:KEY` — a generated number ([`super::tables::Generated::values`]);
//! - `table:NAME` — a generated table, with a note naming its file (`tables/NAME.md`);
//! - `figure:NAME` — a generated plot (`figures/NAME.svg`), with its name as the caption.
//!
//! A directive that names nothing generated is an error naming its line: a paper whose
//! numbers do not all come from the data does not build.

use std::collections::BTreeMap;

use pulldown_cmark::{Options, Parser, html};

use super::tables::Generated;
use crate::error::BenchError;

/// `source` with every directive replaced, as Markdown.
pub fn expand(source: &str, generated: &Generated, figures: &BTreeMap<String, String>) -> Result<String, BenchError> {
    let mut out = String::with_capacity(source.len());
    for (index, line) in source.lines().enumerate() {
        let error = |reason: String| BenchError::Paper { line: index + 1, reason };
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| error("a `{{` without its `}}`".to_owned()))?;
            let directive = after[..end].trim();
            let (kind, name) =
                directive.split_once(':').ok_or_else(|| error(format!("`{directive}` is not KIND:NAME")))?;
            let (kind, name) = (kind.trim(), name.trim());
            match kind {
                "value" => {
                    let value =
                        generated.values.get(name).ok_or_else(|| error(format!("no generated value `{name}`")))?;
                    out.push_str(value);
                }
                "table" => {
                    let table =
                        generated.tables.get(name).ok_or_else(|| error(format!("no generated table `{name}`")))?;
                    out.push_str(&format!("\n{table}\n*Generated: `tables/{name}.md`.*\n"));
                }
                "figure" => {
                    if !figures.contains_key(name) {
                        return Err(error(format!("no generated figure `{name}`")));
                    }
                    out.push_str(&format!(
                        "\n<figure><img src=\"figures/{name}.svg\" alt=\"{name}\"><figcaption>Generated: <code>figures/{name}.svg</code></figcaption></figure>\n"
                    ));
                }
                other => return Err(error(format!("unknown directive `{other}` (value, table or figure)"))),
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out.push('\n');
    }
    Ok(out)
}

/// `markdown` rendered as one HTML page titled `title`.
pub fn html_page(title: &str, markdown: &str) -> String {
    let mut body = String::new();
    html::push_html(&mut body, Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

const STYLE: &str = "body{max-width:60rem;margin:2rem auto;padding:0 1rem;font-family:serif;line-height:1.5}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #aaa;padding:.2rem .5rem}\
figure{margin:1rem 0}figure img{max-width:100%}code{font-size:.9em}";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated() -> Generated {
        let mut generated = Generated::default();
        generated.values.insert("corpus.product.accepted".to_owned(), "42".to_owned());
        generated.tables.insert("scale".to_owned(), "| a |\n| ---: |\n| 1 |\n".to_owned());
        generated
    }

    #[test]
    fn directives_become_generated_content() {
        let figures = BTreeMap::from([("cactus-corpus".to_owned(), "<svg/>".to_owned())]);
        let source =
            "It accepts {{value:corpus.product.accepted}} programs.\n{{table:scale}}\n{{ figure: cactus-corpus }}\n";
        let markdown = expand(source, &generated(), &figures).expect("every directive resolves");
        assert!(markdown.contains("It accepts 42 programs."), "{markdown}");
        assert!(markdown.contains("| 1 |") && markdown.contains("`tables/scale.md`"), "{markdown}");
        assert!(markdown.contains("src=\"figures/cactus-corpus.svg\""), "{markdown}");
        let page = html_page("t", &markdown);
        assert!(page.contains("<table>") && page.contains("<td style=\"text-align: right\">1</td>"), "{page}");
    }

    #[test]
    fn a_number_not_generated_is_refused_with_its_line() {
        let source = "fine\nIt accepts {{value:corpus.zone.accepted}} programs.\n";
        let error = expand(source, &generated(), &BTreeMap::new()).expect_err("zone has no value");
        assert_eq!(error.to_string(), "paper, line 2: no generated value `corpus.zone.accepted`");
        let error = expand("{{table:nothing}}", &generated(), &BTreeMap::new()).expect_err("no such table");
        assert_eq!(error.to_string(), "paper, line 1: no generated table `nothing`");
        let error = expand("{{value:x", &generated(), &BTreeMap::new()).expect_err("unclosed");
        assert_eq!(error.to_string(), "paper, line 1: a `{{` without its `}}`");
        let error = expand("{{number:x}}", &generated(), &BTreeMap::new()).expect_err("unknown kind");
        assert!(error.to_string().contains("unknown directive `number`"), "{error}");
    }
}

//! A statement as Markdown (`ditto attest RUN`): its sections (`sections.rs`) as headings,
//! paragraphs, pipe tables and fenced code blocks.

use std::fmt::Write as _;

use super::Statement;
use super::sections::{Block, Cell, sections, title};

pub(super) fn render(s: &Statement) -> String {
    let mut md = format!("# {}\n", title(s));
    for section in sections(s) {
        let _ = write!(md, "\n## {}\n", section.title);
        for block in section.blocks {
            md.push('\n');
            match block {
                Block::Para(p) => {
                    let _ = writeln!(md, "{p}");
                }
                Block::Code(lang, text) => {
                    let fence = fence_for(&text);
                    let _ = writeln!(md, "{fence}{lang}\n{}\n{fence}", text.trim_end());
                }
                Block::Table(t) => {
                    let head: Vec<String> = t.head.iter().map(|h| cell_text(h)).collect();
                    let _ = writeln!(md, "| {} |", head.join(" | "));
                    let _ = writeln!(md, "|{}", "---|".repeat(t.head.len()));
                    for row in &t.rows {
                        let cells: Vec<String> = row.iter().map(cell).collect();
                        let _ = writeln!(md, "| {} |", cells.join(" | "));
                    }
                }
            }
        }
    }
    md
}

/// A fence longer than any run of backticks in `text` (at least three).
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// Table text: no line breaks, pipes escaped.
fn cell_text(s: &str) -> String {
    s.replace(['\n', '\r'], " ").replace('|', "\\|")
}

/// Prose in a table: also no HTML (`<parameter path>` is text, not a tag).
fn prose(s: &str) -> String {
    cell_text(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn cell(c: &Cell) -> String {
    match c {
        Cell::Text(t) => prose(t),
        Cell::Code(t) => {
            let t = cell_text(t);
            if t.contains('`') {
                format!("`` {t} ``")
            } else {
                format!("`{t}`")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_break_out_of_their_cells_or_blocks() {
        assert_eq!(fence_for("a = 1"), "```");
        assert_eq!(fence_for("x ```` y"), "`````");
        assert_eq!(
            cell(&Cell::Text("a|b\nc <p> &".into())),
            "a\\|b c &lt;p&gt; &amp;"
        );
        assert_eq!(cell(&Cell::Code("run `x`".into())), "`` run `x` ``");
        assert_eq!(cell(&Cell::Code("abc".into())), "`abc`");
    }
}

//! A statement as LaTeX (`ditto attest RUN --latex`): a fragment for `\input` into a paper's
//! appendix, with its sections (`sections.rs`) as starred subsections, `tabular`s and
//! `verbatim` blocks. It needs no package beyond LaTeX's own.

use std::fmt::Write as _;

use super::Statement;
use super::sections::{Block, Cell, sections, title};

pub(super) fn render(s: &Statement) -> String {
    let mut tex = String::from(
        "% Written by `ditto attest --latex`: \\input this file; it needs no package.\n",
    );
    let _ = writeln!(tex, "\\section*{{{}}}", escape(&title(s)));
    for section in sections(s) {
        let _ = writeln!(tex, "\n\\subsection*{{{}}}", escape(section.title));
        for block in section.blocks {
            match block {
                Block::Para(p) => {
                    let _ = writeln!(tex, "{}\n", para(&p));
                }
                Block::Code(_, text) => {
                    let _ = writeln!(
                        tex,
                        "\\begin{{verbatim}}\n{}\n\\end{{verbatim}}\n",
                        text.trim_end()
                            .replace("\\end{verbatim}", "\\end {verbatim}")
                    );
                }
                Block::Table(t) => {
                    let _ = writeln!(
                        tex,
                        "{{\\footnotesize\n\\begin{{tabular}}{{{}}}\n\\hline",
                        "l".repeat(t.head.len())
                    );
                    if t.head.iter().any(|h| !h.is_empty()) {
                        let head: Vec<String> = t
                            .head
                            .iter()
                            .map(|h| format!("\\textbf{{{}}}", escape(h)))
                            .collect();
                        let _ = writeln!(tex, "{} \\\\\n\\hline", head.join(" & "));
                    }
                    for row in &t.rows {
                        let cells: Vec<String> = row.iter().map(cell).collect();
                        let _ = writeln!(tex, "{} \\\\", cells.join(" & "));
                    }
                    let _ = writeln!(tex, "\\hline\n\\end{{tabular}}}}\n");
                }
            }
        }
    }
    tex
}

fn cell(c: &Cell) -> String {
    match c {
        Cell::Text(t) => escape(t),
        Cell::Code(t) => format!("\\texttt{{{}}}", escape(t)),
    }
}

/// A paragraph: its `code` spans (between backticks, as in the Markdown) as `\texttt`, the
/// rest escaped.
fn para(p: &str) -> String {
    p.split('`')
        .enumerate()
        .map(|(i, part)| match i % 2 {
            0 => escape(part),
            _ => format!("\\texttt{{{}}}", escape(part)),
        })
        .collect()
}

/// Text with LaTeX's special characters written as the characters themselves.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '$' | '&' | '#' | '_' | '%' => {
                out.push('\\');
                out.push(ch);
            }
            '^' => out.push_str("\\textasciicircum{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '|' => out.push_str("\\textbar{}"),
            '`' => out.push_str("\\textasciigrave{}"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_special_character_is_escaped() {
        assert_eq!(
            escape(r"a_b 50% $x$ {y} #1 & c\d ^ ~ <> | `"),
            "a\\_b 50\\% \\$x\\$ \\{y\\} \\#1 \\& c\\textbackslash{}d \\textasciicircum{} \
             \\textasciitilde{} \\textless{}\\textgreater{} \\textbar{} \\textasciigrave{}"
        );
        assert_eq!(
            para("run `ditto attest --verify F_1` now"),
            "run \\texttt{ditto attest --verify F\\_1} now"
        );
        assert_eq!(
            cell(&Cell::Code("layers.0.weight".into())),
            "\\texttt{layers.0.weight}"
        );
    }
}

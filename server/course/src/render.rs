//! Markdown → HTML for lessons (pulldown-cmark), with what the lesson page needs on top:
//! heading anchors and a table of contents, highlighted code with copy buttons, diagrams as
//! figures, and raw HTML escaped unless it is an allowed SVG figure.
//!
//! Rendering also collects what `lessons check` validates (YAML blocks, sections, word count),
//! so the file is walked once.

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::highlight::{escape, highlight};
use crate::html_figure::sanitize_figure;
use crate::lesson::TocEntry;
use crate::slug::AnchorIds;

/// The HTML of a Markdown body and what was learned while rendering it.
#[derive(Debug, Default, Clone)]
pub struct Rendered {
    pub html: String,
    /// `##` and `###` headings, in order.
    pub toc: Vec<TocEntry>,
    /// Words of prose (code blocks and diagrams excluded).
    pub word_count: usize,
    /// Number of diagrams (```` ```diagram ```` blocks and allowed SVG figures).
    pub diagrams: usize,
    /// ```` ```yaml ```` blocks: (1-based line of the first YAML line within the body, text).
    pub yaml_blocks: Vec<(usize, String)>,
    /// Problems found while rendering: (1-based line within the body, message).
    pub problems: Vec<(usize, String)>,
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES
}

/// Renders a lesson body. Never fails: problems are reported in [`Rendered::problems`] and the
/// offending HTML is shown escaped.
pub fn render_markdown(body: &str) -> Rendered {
    let line_of = LineIndex::new(body);
    let mut out = Rendered::default();
    let mut ids = AnchorIds::default();
    let mut events: Vec<Event<'_>> = Vec::new();

    let mut parser = Parser::new_ext(body, options())
        .into_offset_iter()
        .peekable();
    while let Some((event, range)) = parser.next() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                let mut inner = Vec::new();
                let mut text = String::new();
                for (event, _) in parser.by_ref() {
                    match event {
                        Event::End(TagEnd::Heading(_)) => break,
                        Event::Text(ref t) | Event::Code(ref t) => {
                            text.push_str(t);
                            inner.push(event);
                        }
                        Event::Html(ref t) | Event::InlineHtml(ref t) => {
                            text.push_str(t);
                            inner.push(Event::Text(t.clone()));
                        }
                        other => inner.push(other),
                    }
                }
                out.word_count += count_words(&text);
                let id = ids.next(&text);
                let level_num = level as usize;
                if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                    out.toc.push(TocEntry {
                        level: level_num as u8,
                        id: id.clone(),
                        text: text.trim().to_owned(),
                    });
                }
                let mut inner_html = String::new();
                pulldown_cmark::html::push_html(&mut inner_html, inner.into_iter());
                events.push(Event::Html(CowStr::from(format!(
                    "<h{level_num} id=\"{id}\">{inner_html} <a class=\"anchor\" href=\"#{id}\" aria-label=\"Link to this section\">#</a></h{level_num}>\n"
                ))));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match &kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let mut code = String::new();
                for (event, _) in parser.by_ref() {
                    match event {
                        Event::End(TagEnd::CodeBlock) => break,
                        Event::Text(t) => code.push_str(&t),
                        _ => {}
                    }
                }
                let (lang, rest) = info
                    .trim()
                    .split_once(char::is_whitespace)
                    .map(|(l, r)| (l.to_owned(), r.trim().to_owned()))
                    .unwrap_or_else(|| (info.trim().to_owned(), String::new()));
                let first_code_line = line_of.line(range.start) + 1;
                // The last line's newline would show as an empty line at the end of the <pre>.
                let shown = code.strip_suffix('\n').unwrap_or(&code);
                let html = match lang.as_str() {
                    "diagram" => {
                        out.diagrams += 1;
                        diagram_html(shown, &rest)
                    }
                    _ => {
                        if matches!(lang.as_str(), "yaml" | "yml") {
                            out.yaml_blocks.push((first_code_line, code.clone()));
                        }
                        code_block_html(&lang, shown)
                    }
                };
                events.push(Event::Html(CowStr::from(html)));
            }
            Event::Html(first) => {
                // An HTML block arrives as one event per line: judge the block as a whole.
                let line = line_of.line(range.start);
                let mut block = first.to_string();
                while let Some((Event::Html(_), _)) = parser.peek() {
                    if let Some((Event::Html(more), _)) = parser.next() {
                        block.push_str(&more);
                    }
                }
                if block.trim_start().starts_with("<!--") && block.trim_end().ends_with("-->") {
                    continue; // authors' comments are dropped, as Markdown renderers do
                }
                match sanitize_figure(&block) {
                    Ok(figure) => {
                        out.diagrams += 1;
                        events.push(Event::Html(CowStr::from(figure)));
                    }
                    Err(why) => {
                        out.problems.push((line, why));
                        events.push(Event::Html(CowStr::from(format!(
                            "<pre class=\"raw-html\">{}</pre>",
                            escape(&block)
                        ))));
                    }
                }
            }
            Event::InlineHtml(html) => {
                let line = line_of.line(range.start);
                if !html.starts_with("<!--") {
                    out.problems.push((
                        line,
                        format!("inline HTML `{html}` is not allowed; it is shown as text"),
                    ));
                }
                events.push(Event::Text(html));
            }
            Event::Text(ref text) => {
                out.word_count += count_words(text);
                events.push(event);
            }
            Event::Code(ref text) => {
                out.word_count += count_words(text);
                events.push(event);
            }
            other => events.push(other),
        }
    }
    pulldown_cmark::html::push_html(&mut out.html, events.into_iter());
    out
}

fn count_words(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

fn code_block_html(lang: &str, code: &str) -> String {
    let lang_class = if lang.is_empty() {
        String::new()
    } else {
        format!(" class=\"language-{}\"", escape(lang))
    };
    // Blocks of kubectl commands can be run in the lab terminal (shown on pages with a lab).
    let run = if runs_in_terminal(lang, code) {
        "<button type=\"button\" class=\"run\" aria-label=\"Run in the lab terminal\">Run</button>"
    } else {
        ""
    };
    format!(
        "<div class=\"code-block\">{run}<button type=\"button\" class=\"copy\" aria-label=\"Copy to clipboard\">Copy</button><pre><code{lang_class}>{}</code></pre></div>\n",
        highlight(lang, code)
    )
}

/// A shell block whose commands are all kubectl (what the lab terminal runs). In a `console`
/// session the commands are the `$ ` lines; in a script every line that is not a comment.
fn runs_in_terminal(lang: &str, code: &str) -> bool {
    let commands: Vec<&str> = match lang {
        "console" => code.lines().filter_map(|l| l.strip_prefix("$ ")).collect(),
        "sh" | "shell" | "bash" => code
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect(),
        _ => return false,
    };
    !commands.is_empty()
        && commands
            .iter()
            .all(|c| c.starts_with("kubectl ") || c.starts_with("k "))
}

fn diagram_html(code: &str, caption: &str) -> String {
    let caption_html = if caption.is_empty() {
        String::new()
    } else {
        format!("<figcaption>{}</figcaption>", escape(caption))
    };
    let label = if caption.is_empty() {
        "Diagram"
    } else {
        caption
    };
    format!(
        "<figure class=\"diagram\"><pre role=\"img\" aria-label=\"{}\">{}</pre>{caption_html}</figure>\n",
        escape(label),
        escape(code)
    )
}

/// Byte offset → 1-based line number.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_get_anchors_and_toc_entries() {
        let r = render_markdown("## Why volumes\n\ntext\n\n### emptyDir\n\n## Why volumes\n");
        assert!(r.html.contains(
            "<h2 id=\"why-volumes\">Why volumes <a class=\"anchor\" href=\"#why-volumes\""
        ));
        assert!(r.html.contains("<h2 id=\"why-volumes-2\">"));
        let ids: Vec<_> = r.toc.iter().map(|t| (t.level, t.id.as_str())).collect();
        assert_eq!(
            ids,
            [(2, "why-volumes"), (3, "emptydir"), (2, "why-volumes-2")]
        );
    }

    #[test]
    fn only_blocks_of_kubectl_commands_get_a_run_button() {
        assert!(runs_in_terminal(
            "console",
            "$ kubectl get pods\nNAME\n$ k get pvc\n"
        ));
        assert!(runs_in_terminal("sh", "# list\nkubectl get pods\n"));
        assert!(!runs_in_terminal("console", "$ kubectl get pods\n$ ls\n"));
        assert!(!runs_in_terminal("console", "NAME READY\n"));
        assert!(!runs_in_terminal("yaml", "kubectl: x\n"));
        let r = render_markdown("```console\n$ kubectl get pods\n```\n");
        assert!(r.html.contains("class=\"run\""), "{}", r.html);
    }

    #[test]
    fn yaml_blocks_are_highlighted_collected_and_get_a_copy_button() {
        let r = render_markdown("Intro\n\n```yaml\nkind: Pod\n```\n");
        assert!(r.html.contains("<button type=\"button\" class=\"copy\""));
        assert!(r.html.contains("<span class=\"tok-key\">kind</span>"));
        assert_eq!(r.yaml_blocks, vec![(4, "kind: Pod\n".to_owned())]);
    }

    #[test]
    fn diagrams_become_figures_with_captions() {
        let r = render_markdown("```diagram Pod → PVC\n[pod] --> [pvc]\n```\n");
        assert_eq!(r.diagrams, 1);
        assert!(r.html.contains("<figure class=\"diagram\"><pre role=\"img\" aria-label=\"Pod → PVC\">[pod] --&gt; [pvc]</pre><figcaption>Pod → PVC</figcaption></figure>"));
    }

    #[test]
    fn raw_html_is_escaped_and_reported() {
        let r = render_markdown("<script>alert(1)</script>\n\nok <b>bold</b>\n");
        assert!(!r.html.contains("<script>"));
        assert!(r.html.contains("&lt;script&gt;"));
        assert!(!r.html.contains("<b>"));
        assert_eq!(r.problems.len(), 3, "{:?}", r.problems);
        assert_eq!(r.problems[0].0, 1);
    }

    #[test]
    fn svg_figures_are_kept_and_counted() {
        let r = render_markdown(
            "<figure><svg viewBox=\"0 0 1 1\"><rect width=\"1\" height=\"1\"/></svg></figure>\n",
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.diagrams, 1);
        assert!(r.html.contains("<svg viewBox=\"0 0 1 1\">"));
    }

    #[test]
    fn counts_prose_words_only() {
        let r = render_markdown("One two three.\n\n```yaml\na: b c d e\n```\n\n- four\n");
        assert_eq!(r.word_count, 4);
    }
}

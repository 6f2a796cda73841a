//! `leadscore fmt`: one canonical layout, comments kept, idempotent.
//!
//! Conditions are printed by [`crate::ast::print_condition`], the same code
//! that names unlabelled rules, so a formatted rule keeps its id.

use crate::ast::*;

/// A `#` comment found in the source.
struct Comment {
    start: usize,
    text: String,
}

/// Finds comments outside strings.
fn scan_comments(src: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
        } else if c == b'"' {
            in_string = true;
        } else if c == b'#' {
            let end = src[i..].find('\n').map(|e| i + e).unwrap_or(src.len());
            out.push(Comment {
                start: i,
                text: src[i..end].trim_end().to_string(),
            });
            i = end;
            continue;
        }
        i += 1;
    }
    out
}

struct Printer<'a> {
    src: &'a str,
    comments: Vec<Comment>,
    next_comment: usize,
    out: String,
    /// Where in the source the last thing written ended.
    last: usize,
}

impl Printer<'_> {
    /// Writes, as their own lines, the comments that come before `offset`.
    fn comments_before(&mut self, offset: usize, indent: &str) {
        let mut wrote = false;
        while let Some(c) = self.comments.get(self.next_comment) {
            if c.start >= offset {
                break;
            }
            let (start, end) = (c.start, c.start + c.text.len());
            let text = c.text.clone();
            self.keep_blank_line(start);
            self.out.push_str(indent);
            self.out.push_str(&text);
            self.out.push('\n');
            self.next_comment += 1;
            self.last = end;
            wrote = true;
        }
        if wrote && offset != usize::MAX {
            self.keep_blank_line(offset);
        }
    }

    /// Writes an empty line when the source had one between the last thing
    /// written and `next`.
    fn keep_blank_line(&mut self, next: usize) {
        if !self.out.is_empty()
            && !self.out.ends_with("\n\n")
            && self.blank_line_between(self.last, next)
        {
            self.out.push('\n');
        }
    }

    /// Writes a line for a node; a comment that followed the node on its last
    /// source line stays at the end of the line.
    fn line(&mut self, indent: &str, text: &str, end: usize) {
        self.line_before(indent, text, end, usize::MAX);
    }

    /// Like [`Printer::line`], for a block's opening line: only a comment
    /// before the block's first member (`limit`) belongs to it.
    fn line_before(&mut self, indent: &str, text: &str, end: usize, limit: usize) {
        self.out.push_str(indent);
        self.out.push_str(text);
        self.last = end;
        if let Some(c) = self.comments.get(self.next_comment) {
            let between = self.src.get(end..c.start).unwrap_or("\n");
            if !between.contains('\n') && c.start < limit {
                self.out.push_str("  ");
                self.out.push_str(&c.text);
                self.last = c.start + c.text.len();
                self.next_comment += 1;
            }
        }
        self.out.push('\n');
    }

    /// Was there an empty line between two items in the source?
    fn blank_line_between(&self, prev_end: usize, next_start: usize) -> bool {
        let gap = self.src.get(prev_end..next_start).unwrap_or("");
        let lines: Vec<&str> = gap.split('\n').collect();
        lines.len() > 2
            && lines[1..lines.len() - 1]
                .iter()
                .any(|l| l.trim().is_empty())
    }
}

fn kind(item: &Item) -> u8 {
    match item {
        Item::Lead(_) | Item::Events(_) | Item::Group(_) | Item::Test(_) => 0,
        Item::List(_) => 1,
        Item::Rule(_) => 2,
        Item::Score(_) => 3,
        Item::Stage(_) | Item::Otherwise(_) => 4,
        Item::Disqualify(_) => 5,
    }
}

fn signed_plain(n: &Number) -> String {
    print_literal(&Literal::Number(n.clone()))
}

fn bounds_text(b: &Bounds) -> String {
    let mut s = String::new();
    if let Some(m) = &b.max {
        s.push_str(&format!(" max {}", signed_plain(m)));
    }
    if let Some(m) = &b.min {
        s.push_str(&format!(" min {}", signed_plain(m)));
    }
    s
}

fn type_text(t: &TypeExpr) -> String {
    if t.list_of {
        format!("list of {}", t.name.node)
    } else {
        t.name.node.clone()
    }
}

pub fn rule_text(r: &Rule) -> String {
    let mut s = String::new();
    if let Some(label) = &r.label {
        s.push_str(&escape_string(label));
        s.push_str(": ");
    }
    s.push_str(&print_condition(&r.cond));
    s.push_str(" -> ");
    s.push_str(&print_number_signed(&r.points));
    if r.each.is_some() {
        s.push_str(" each");
    }
    if let Some(m) = &r.max {
        s.push_str(&format!(" max {}", signed_plain(m)));
    }
    s
}

fn list_text(name: &str, items: &[Node<Literal>]) -> Vec<String> {
    let parts: Vec<String> = items.iter().map(|l| print_literal(l)).collect();
    let one_line = format!("list {name} = [{}]", parts.join(", "));
    if one_line.len() <= 100 {
        return vec![one_line];
    }
    let mut lines = vec![format!("list {name} = [")];
    lines.extend(parts.iter().map(|p| format!("  {p},")));
    lines.push("]".into());
    lines
}

pub fn expectation_text(e: &Expectation) -> String {
    match e {
        Expectation::Stage(s) => format!("expect stage {}", s.node),
        Expectation::Score(n) => format!("expect score {}", signed_plain(n)),
        Expectation::Group(g, n) => format!("expect group {} {}", g.node, signed_plain(n)),
        Expectation::Fired(id) => format!("expect fired {}", escape_string(id)),
        Expectation::NotFired(id) => format!("expect not fired {}", escape_string(id)),
        Expectation::Disqualified(None) => "expect disqualified".into(),
        Expectation::Disqualified(Some(r)) => format!("expect disqualified {}", escape_string(r)),
        Expectation::NotDisqualified => "expect not disqualified".into(),
    }
}

/// Formats one parsed file. `src` must be the text `file` was parsed from.
pub fn format_file(src: &str, file: &File) -> String {
    let mut p = Printer {
        src,
        comments: scan_comments(src),
        next_comment: 0,
        out: String::new(),
        last: 0,
    };
    let mut prev: Option<(&Item, usize)> = None;
    for item in &file.items {
        let start = item.span.start as usize;
        let end = item.span.end as usize;
        if let Some((prev_item, prev_end)) = prev {
            let separate = kind(prev_item) == 0
                || kind(&item.node) == 0
                || kind(prev_item) != kind(&item.node)
                || p.blank_line_between(prev_end, start);
            if separate && !p.out.ends_with("\n\n") {
                p.out.push('\n');
            }
        }
        p.comments_before(start, "");
        match &item.node {
            Item::Lead(fields) => {
                let limit = fields.first().map(|f| f.span.start as usize).unwrap_or(end);
                p.line_before("", "lead {", start, limit);
                for f in fields {
                    p.comments_before(f.span.start as usize, "  ");
                    let mut text = format!("{}: {}", f.path.node, type_text(&f.ty));
                    if let Some(from) = &f.from {
                        text.push_str(" from ");
                        text.push_str(&escape_string(&from.node));
                    }
                    p.line("  ", &text, f.span.end as usize);
                }
                p.comments_before(end, "  ");
                p.line("", "}", end);
            }
            Item::Events(ev) => {
                let members: Vec<String> = ev
                    .members
                    .iter()
                    .map(|m| format!("{} from {}", m.member.node, escape_string(&m.from.node)))
                    .collect();
                let members = match members.is_empty() {
                    true => String::new(),
                    false => format!("({}) ", members.join(", ")),
                };
                let head = match &ev.path {
                    Some(path) => format!("events in {} {members}{{", path.node),
                    None => format!("events {members}{{"),
                };
                let limit = ev
                    .types
                    .first()
                    .map(|t| t.span.start as usize)
                    .unwrap_or(end);
                p.line_before("", &head, start, limit);
                for t in &ev.types {
                    p.comments_before(t.span.start as usize, "  ");
                    let mut text = t.name.node.clone();
                    if !t.props.is_empty() {
                        let props: Vec<String> = t
                            .props
                            .iter()
                            .map(|pr| {
                                let mut prop = match &pr.ty {
                                    Some(ty) => format!("{}: {}", pr.name.node, type_text(ty)),
                                    None => pr.name.node.clone(),
                                };
                                if let Some(from) = &pr.from {
                                    prop.push_str(&format!(" from {}", escape_string(&from.node)));
                                }
                                prop
                            })
                            .collect();
                        text.push_str(&format!("({})", props.join(", ")));
                    }
                    if let Some(from) = &t.from {
                        text.push_str(&format!(" from {}", escape_string(&from.node)));
                    }
                    p.line("  ", &text, t.span.end as usize);
                }
                p.comments_before(end, "  ");
                p.line("", "}", end);
            }
            Item::List(l) => {
                let lines = list_text(&l.name.node, &l.items);
                let last = lines.len() - 1;
                for (i, line) in lines.iter().enumerate() {
                    if i == last {
                        p.line("", line, end);
                    } else {
                        p.out.push_str(line);
                        p.out.push('\n');
                    }
                }
            }
            Item::Group(g) => {
                let mut head = format!("group {}{}", g.name.node, bounds_text(&g.bounds));
                if let Some(d) = &g.decay {
                    head.push_str(&format!(
                        " decay {}% every {} {}",
                        d.percent.raw,
                        d.every.amount,
                        d.every.unit.name(d.every.amount)
                    ));
                }
                head.push_str(" {");
                let limit = g
                    .rules
                    .first()
                    .map(|r| r.span.start as usize)
                    .unwrap_or(end);
                p.line_before("", &head, start, limit);
                for r in &g.rules {
                    p.comments_before(r.span.start as usize, "  ");
                    p.line("  ", &rule_text(r), r.span.end as usize);
                }
                p.comments_before(end, "  ");
                p.line("", "}", end);
            }
            Item::Rule(r) => p.line("", &rule_text(r), end),
            Item::Score(b) => p.line("", &format!("score{}", bounds_text(b)), end),
            Item::Stage(s) => {
                let text = format!("stage {} when {}", s.name.node, print_condition(&s.cond));
                p.line("", &text, end)
            }
            Item::Otherwise(name) => p.line("", &format!("otherwise {}", name.node), end),
            Item::Disqualify(q) => {
                let text = format!(
                    "disqualify {} when {}",
                    escape_string(&q.reason),
                    print_condition(&q.cond)
                );
                p.line("", &text, end)
            }
            Item::Test(t) => {
                let limit = t
                    .stmts
                    .first()
                    .map(|s| s.span.start as usize)
                    .unwrap_or(end);
                p.line_before(
                    "",
                    &format!("test {} {{", escape_string(&t.name)),
                    start,
                    limit,
                );
                for s in &t.stmts {
                    p.comments_before(s.span.start as usize, "  ");
                    let text = match &s.node {
                        TestStmt::AsOf(time) => format!("as of {}", time.raw),
                        TestStmt::Lead(json) => format!("lead {}", json.node),
                        TestStmt::Expect(e) => expectation_text(e),
                    };
                    p.line("  ", &text, s.span.end as usize);
                }
                p.comments_before(end, "  ");
                p.line("", "}", end);
            }
        }
        prev = Some((&item.node, end));
    }
    p.comments_before(usize::MAX, "");
    p.out
}

/// Parses and formats text; `None` when it doesn't parse.
pub fn format_text(src: &str) -> Option<String> {
    let file = crate::syntax::parse(crate::source::FileId(0), src).ok()?;
    Some(format_file(src, &file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_comments_and_is_idempotent() {
        let src = "# header\nlead {title: text  # the job title\n}\n\n\n  title = \"CEO\"   ->  +5 # ceo\n# tail\n";
        let once = format_text(src).unwrap();
        assert_eq!(
            once,
            "# header\nlead {\n  title: text  # the job title\n}\n\ntitle = \"CEO\" -> +5  # ceo\n# tail\n"
        );
        assert_eq!(format_text(&once).unwrap(), once);
    }
}

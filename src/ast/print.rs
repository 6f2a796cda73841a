//! Canonical printing of conditions and literals.
//!
//! This is what `leadscore fmt` writes, and an unlabelled rule's id is its
//! condition as printed here, so it must be stable: change it only with care.

use super::*;

/// Binding strength: a child printed inside a parent needs parentheses when
/// it binds more loosely than the parent requires.
fn precedence(c: &Cond) -> u8 {
    match c {
        Cond::Or(_) => 1,
        Cond::And(_) => 2,
        Cond::Not(_) => 3,
        Cond::Test(_) | Cond::Event(_) => 4,
    }
}

pub fn print_condition(c: &Cond) -> String {
    let mut out = String::new();
    write_cond(&mut out, c);
    out
}

fn write_child(out: &mut String, c: &Cond, min_prec: u8) {
    if precedence(c) < min_prec {
        out.push('(');
        write_cond(out, c);
        out.push(')');
    } else {
        write_cond(out, c);
    }
}

fn write_cond(out: &mut String, c: &Cond) {
    match c {
        Cond::Or(parts) | Cond::And(parts) => {
            let (word, min) = if matches!(c, Cond::Or(_)) {
                (" or ", 2)
            } else {
                (" and ", 3)
            };
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(word);
                }
                write_child(out, &p.node, min);
            }
        }
        Cond::Not(inner) => {
            out.push_str("not ");
            write_child(out, &inner.node, 3);
        }
        Cond::Test(t) => write_test(out, t),
        Cond::Event(e) => write_event(out, e),
    }
}

fn write_operand(out: &mut String, o: &Operand) {
    match o {
        Operand::Path(p) => out.push_str(&p.to_string()),
        Operand::Call { func, arg } => {
            out.push_str(&func.node);
            out.push('(');
            write_operand(out, &arg.node);
            out.push(')');
        }
    }
}

fn write_test(out: &mut String, t: &Test) {
    write_operand(out, &t.operand.node);
    out.push(' ');
    match &t.op.node {
        TestOp::Known => out.push_str("is known"),
        TestOp::Missing => out.push_str("is missing"),
        TestOp::Cmp(op, lit) => {
            out.push_str(op.symbol());
            out.push(' ');
            out.push_str(&print_literal(lit));
        }
        TestOp::In { negated, list } => {
            out.push_str(if *negated { "not in " } else { "in " });
            match &list.node {
                ListRef::Named(n) => out.push_str(n),
                ListRef::Inline(items) => out.push_str(&print_list(items)),
            }
        }
        TestOp::Between(lo, hi) => {
            out.push_str("between ");
            out.push_str(&print_literal(lo));
            out.push_str(" and ");
            out.push_str(&print_literal(hi));
        }
        TestOp::Includes(lit) => {
            out.push_str("includes ");
            out.push_str(&print_literal(lit));
        }
        TestOp::Text(op, lit) => {
            out.push_str(op.words());
            out.push(' ');
            out.push_str(&print_literal(lit));
        }
        TestOp::Matches(lit) => {
            out.push_str("matches ");
            out.push_str(&print_literal(lit));
        }
    }
}

fn write_event(out: &mut String, e: &EventCond) {
    out.push_str(&e.verb.node.to_string());
    if let Some(obj) = &e.object {
        out.push(' ');
        match &obj.node {
            EventObject::Ident(name) => out.push_str(name),
            EventObject::Text(text) => out.push_str(&escape_string(text)),
        }
    }
    if let Some(filter) = &e.filter {
        out.push_str(" where ");
        match &filter.node {
            Cond::Test(t) => write_test(out, t),
            other => {
                out.push('(');
                write_cond(out, other);
                out.push(')');
            }
        }
    }
    if let Some(count) = &e.count {
        out.push(' ');
        out.push_str(&print_count(count.node));
    }
    if let Some(w) = &e.window {
        out.push_str(&format!(
            " in the last {} {}",
            w.amount,
            w.unit.name(w.amount)
        ));
    }
}

fn count_words(n: u64) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

pub fn print_count(c: Count) -> String {
    match c {
        Count::Times(n) => count_words(n),
        Count::AtLeast(n) => format!("at least {}", count_words(n)),
        Count::AtMost(n) => format!("at most {}", count_words(n)),
        Count::MoreThan(n) => format!("more than {}", count_words(n)),
        Count::FewerThan(n) => format!("fewer than {}", count_words(n)),
        Count::Never => "never".into(),
    }
}

pub fn print_list(items: &[Node<Literal>]) -> String {
    let parts: Vec<String> = items.iter().map(|l| print_literal(l)).collect();
    format!("[{}]", parts.join(", "))
}

pub fn print_literal(l: &Literal) -> String {
    match l {
        Literal::Text(s) => escape_string(s),
        Literal::Number(n) => {
            if n.value.is_negative() {
                format!("-{}", n.raw)
            } else {
                n.raw.clone()
            }
        }
        Literal::Time(t) => t.raw.clone(),
        Literal::Bool(b) => b.to_string(),
    }
}

/// Points and bounds always show their sign: `+20`, `-15`.
pub fn print_number_signed(n: &Number) -> String {
    if n.value.is_negative() {
        format!("-{}", n.raw)
    } else {
        format!("+{}", n.raw)
    }
}

/// Writes a string literal so that it reads back to the same text. Only `"`
/// and the backslashes that would otherwise be read as an escape are escaped,
/// so a regular expression such as `\b(vp)\b` prints as it was written.
pub fn escape_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => match chars.get(i + 1) {
                None | Some('"') | Some('\\') => out.push_str("\\\\"),
                Some(_) => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

//! The warnings after a run about what no lead held (see
//! [`leadscore::io::unseen`]): a field the rules read, an event list, the key.

use leadscore::check::Model;
use leadscore::io::unseen::{NearEvents, Unseen};

/// The warnings, one line each with its help line when there is one; the
/// fields with nothing to suggest share one line. `csv_alone`: the leads
/// were CSV with no `--events`, where events can only come from that file.
pub fn lines(model: &Model, key: &str, unseen: &[Unseen], csv_alone: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut bare = Vec::new();
    for u in unseen {
        match u {
            Unseen::Key { present, near } => {
                out.push(format!(
                    "warning: no lead had the key `{key}`, so no result says which lead it is"
                ));
                out.push(match (near, present) {
                    (Some(near), _) => format!("  help: the leads have {}", key_help(near)),
                    (None, true) => {
                        format!("  help: `{key}` is in the leads, but empty or null in each")
                    }
                    (None, false) => {
                        "  help: give the path of the leads' key with `--key PATH`".to_string()
                    }
                });
            }
            Unseen::Field {
                field,
                present,
                near,
            } => {
                let f = &model.fields[*field];
                let name = field_name(model, *field);
                let help = if *present {
                    Some(format!(
                        "`{}` is in the leads, but empty, null or not a {} in each",
                        f.data_name(),
                        f.ty.name()
                    ))
                } else {
                    near.as_ref()
                        .map(|near| format!("the leads have {}", field_help(model, *field, near)))
                };
                match help {
                    Some(help) => {
                        out.push(format!(
                            "warning: no lead had a value for {name}, so no test on it held"
                        ));
                        out.push(format!("  help: {help}"));
                    }
                    None => bare.push(name),
                }
            }
            Unseen::Events { source, near } => {
                let path = model.event_sources[*source].join(".");
                out.push(format!(
                    "warning: no lead had an event of a type the model declares at `{path}`, so no event test held"
                ));
                match near {
                    NearEvents::Types(types) => {
                        let example = model
                            .event_types
                            .iter()
                            .find(|t| t.source == *source)
                            .zip(types.first())
                            .map(|(t, data)| {
                                format!(
                                    ", or read a declared type from one of them (`{} from {}`)",
                                    t.name,
                                    serde_json::json!(data)
                                )
                            })
                            .unwrap_or_default();
                        let types: Vec<String> = types.iter().map(|t| format!("`{t}`")).collect();
                        out.push(format!(
                            "  help: the leads' events there have the types {}: declare the ones the rules mean{example}",
                            types.join(", ")
                        ));
                    }
                    NearEvents::List(list) => {
                        out.push(format!("  help: the leads have {}", list_help(list)))
                    }
                    NearEvents::Nothing if csv_alone => out.push(
                        "  help: CSV leads take their events from a second file: `--events FILE`"
                            .to_string(),
                    ),
                    NearEvents::Nothing => {}
                }
            }
        }
    }
    match bare.len() {
        0 => {}
        1 => out.push(format!(
            "warning: no lead had a value for {}, so no test on it held",
            bare[0]
        )),
        _ => out.push(format!(
            "warning: no lead had a value for {}, so no test on them held",
            bare.join(", ")
        )),
    }
    out
}

/// For `explain`: what the rules read that this one lead spells another
/// way, one line each. Only names with a near match are told: one lead
/// lacking a field, or holding only events the model ignores, is ordinary.
pub fn for_one_lead(model: &Model, key: &str, unseen: &[Unseen]) -> Vec<String> {
    let mut out = Vec::new();
    for u in unseen {
        match u {
            Unseen::Key {
                near: Some(near), ..
            } => out.push(format!(
                "no key `{key}`, and the lead has {}",
                key_help(near)
            )),
            Unseen::Field {
                field,
                present: false,
                near: Some(near),
            } => out.push(format!(
                "no value for {}, and the lead has {}",
                field_name(model, *field),
                field_help(model, *field, near)
            )),
            Unseen::Events {
                source,
                near: NearEvents::List(list),
            } => out.push(format!(
                "no events at `{}`, and the lead has {}",
                model.event_sources[*source].join("."),
                list_help(list)
            )),
            Unseen::Key { .. } | Unseen::Field { .. } | Unseen::Events { .. } => {}
        }
    }
    out
}

/// A field as the warnings name it: with the data's name when it differs.
fn field_name(model: &Model, field: usize) -> String {
    let f = &model.fields[field];
    if f.data == f.path {
        format!("`{}`", f.name())
    } else {
        format!("`{}` (read from `{}`)", f.name(), f.data_name())
    }
}

/// How to read a field from the name the data gives it.
fn field_help(model: &Model, field: usize, near: &str) -> String {
    let f = &model.fields[field];
    format!(
        "`{near}` (names match exactly, case included): `{}: {} from {}` reads it",
        f.name(),
        f.ty.name(),
        serde_json::to_string(near).unwrap_or_default()
    )
}

/// How to take the key from the name the data gives it.
fn key_help(near: &str) -> String {
    format!("`{near}`: give it with `--key {}`", shell_word(near))
}

/// How to read events from the list the data has.
fn list_help(list: &str) -> String {
    format!("a list of objects at `{list}`: `events in {list} {{ … }}` reads events from there")
}

/// `word` as a shell takes it: in single quotes when it holds anything but
/// letters, digits and `_.-`.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_key_with_spaces_is_quoted_for_the_shell() {
        assert_eq!(super::shell_word("lead_id"), "lead_id");
        assert_eq!(super::shell_word("Record ID"), "'Record ID'");
        assert_eq!(super::shell_word("it's"), r"'it'\''s'");
    }
}

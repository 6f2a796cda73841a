//! What no lead of a run held. A field the rules read that is missing from
//! every lead is far more often a name the data spells another way (`Title`,
//! `job_title`, `properties.jobtitle`) than a population that truly lacks
//! it, and every test on it then quietly fails. So a run notes which fields,
//! event lists and keys it met at least once, keeps the first few leads as
//! written, and at the end names what it never met together with the
//! nearest name those leads do have.

use crate::check::Model;
use crate::diag::typo_distance;
use crate::eval::{Lead, Value};
use serde_json::{Map, Value as Json};

/// Leads kept as written, at most, to find the data's own names in.
const SAMPLES: usize = 16;
/// Of which one part of a run keeps at most this many.
const SAMPLES_A_PART: usize = 2;
/// Event types quoted from the samples, at most.
const TYPES: usize = 5;

/// What the leads read so far held: per field the rules read, per event
/// list, and the key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    fields: Vec<bool>,
    sources: Vec<bool>,
    key: bool,
    /// How many of the above are still false.
    left: usize,
    samples: Vec<String>,
}

impl Seen {
    /// Nothing seen yet. Fields no rule reads are never looked at (scoring
    /// does not even convert them) and count as seen.
    pub fn new(model: &Model) -> Seen {
        let fields: Vec<bool> = model.fields_read().iter().map(|read| !read).collect();
        let sources = vec![false; model.event_sources.len()];
        let left = fields.iter().filter(|s| !**s).count() + sources.len() + 1;
        Seen {
            fields,
            sources,
            key: false,
            left,
            samples: Vec::new(),
        }
    }

    /// Notes what `lead` holds: a value for a field (not missing), an event
    /// of a declared type in a list, a key.
    #[inline]
    pub fn note(&mut self, model: &Model, lead: &Lead) {
        if self.left > 0 {
            self.note_each(model, lead);
        }
    }

    fn note_each(&mut self, model: &Model, lead: &Lead) {
        for (seen, value) in self.fields.iter_mut().zip(&lead.values) {
            if !*seen && !matches!(value, Value::Missing) {
                *seen = true;
                self.left -= 1;
            }
        }
        for e in &lead.events {
            let Some(seen) = model
                .event_types
                .get(e.ty)
                .and_then(|t| self.sources.get_mut(t.source))
            else {
                continue;
            };
            if !*seen {
                *seen = true;
                self.left -= 1;
            }
        }
        if !self.key && !lead.id.is_null() {
            self.key = true;
            self.left -= 1;
        }
    }

    /// Does this part of the run still keep leads as written?
    #[inline]
    pub fn wants_sample(&self) -> bool {
        self.samples.len() < SAMPLES_A_PART
    }

    /// Keeps a lead as written (a JSON object's text).
    pub fn sample(&mut self, text: String) {
        if self.wants_sample() {
            self.samples.push(text);
        }
    }

    /// Adds what a later part of the run saw.
    pub fn merge(&mut self, other: &Seen) {
        for (a, b) in self.fields.iter_mut().zip(&other.fields) {
            *a |= b;
        }
        for (a, b) in self.sources.iter_mut().zip(&other.sources) {
            *a |= b;
        }
        self.key |= other.key;
        self.left = self.fields.iter().filter(|s| !**s).count()
            + self.sources.iter().filter(|s| !**s).count()
            + usize::from(!self.key);
        let room = SAMPLES.saturating_sub(self.samples.len());
        self.samples
            .extend(other.samples.iter().take(room).cloned());
    }

    /// What one lead lacks (`explain`): [`Seen::unseen`] over it alone,
    /// `written` being its JSON text.
    pub fn in_one_lead(model: &Model, lead: &Lead, written: String, key: &[String]) -> Vec<Unseen> {
        let mut seen = Seen::new(model);
        seen.note(model, lead);
        seen.sample(written);
        seen.unseen(model, key)
    }

    /// What no lead held, with the names the kept leads suggest instead.
    /// `key` is the path of the leads' key.
    pub fn unseen(&self, model: &Model, key: &[String]) -> Vec<Unseen> {
        if self.left == 0 {
            return Vec::new();
        }
        // A list of events keeps their types where its source says.
        let type_key = |path: &str| -> String {
            model
                .event_sources
                .iter()
                .position(|p| p.join(".") == path)
                .map_or("type", |i| model.event_members[i].ty.as_str())
                .to_string()
        };
        let names = Names::of(&self.samples, &type_key);
        // The paths the model already reads are no one else's better name.
        let mut taken: Vec<String> = model.fields.iter().map(|f| f.data_name()).collect();
        taken.push(key.join("."));
        taken.extend(model.event_sources.iter().map(|p| p.join(".")));
        let free = |p: &&String| !taken.contains(p);
        let mut out = Vec::new();
        if !self.key {
            let path = key.join(".");
            let near = names
                .paths
                .iter()
                .filter(free)
                .find(|p| fold(p) == fold(&path))
                .or_else(|| names.paths.iter().filter(free).find(|p| id_like(p)))
                .cloned();
            out.push(Unseen::Key {
                present: names.paths.contains(&path),
                near,
            });
        }
        for (i, seen) in self.fields.iter().enumerate() {
            if *seen {
                continue;
            }
            let path = model.fields[i].data_name();
            out.push(Unseen::Field {
                field: i,
                present: names.paths.contains(&path),
                near: nearest(&path, names.paths.iter().filter(free)),
            });
        }
        for (i, seen) in self.sources.iter().enumerate() {
            if *seen {
                continue;
            }
            let path = model.event_sources[i].join(".");
            let near = match names.arrays.iter().find(|(p, _)| *p == path) {
                Some((_, types)) => {
                    let declared = |t: &String| {
                        model
                            .event_types
                            .iter()
                            .any(|d| d.source == i && d.data == *t)
                    };
                    let others: Vec<String> = types
                        .iter()
                        .filter(|t| !declared(t))
                        .take(TYPES)
                        .cloned()
                        .collect();
                    if others.is_empty() {
                        NearEvents::Nothing
                    } else {
                        NearEvents::Types(others)
                    }
                }
                None => match names
                    .arrays
                    .iter()
                    .map(|(p, _)| p)
                    .find(|p| !taken.contains(p))
                {
                    Some(p) => NearEvents::List(p.clone()),
                    None => NearEvents::Nothing,
                },
            };
            out.push(Unseen::Events { source: i, near });
        }
        out
    }
}

/// Something no lead of the run held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unseen {
    /// No lead had a value (absent, null, empty, or of the wrong type) for
    /// the model's field `field`. `present`: the kept leads have the
    /// field's path, so its values were empty or of the wrong type rather
    /// than named otherwise. `near`: the nearest name they have that the
    /// model does not read.
    Field {
        field: usize,
        present: bool,
        near: Option<String>,
    },
    /// No lead had an event of a declared type in the event list `source`.
    Events { source: usize, near: NearEvents },
    /// No lead had its key (so no result names its lead).
    Key { present: bool, near: Option<String> },
}

/// What the kept leads hold instead of the events a model reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NearEvents {
    Nothing,
    /// The list is there, with events of these undeclared types.
    Types(Vec<String>),
    /// The list is not there; this other list of objects is.
    List(String),
}

/// The names in the kept leads: every member's path (through objects), and
/// every list of objects with the types of its objects (in `type`, or
/// where the model's source at that path keeps them).
#[derive(Default)]
struct Names {
    paths: Vec<String>,
    arrays: Vec<(String, Vec<String>)>,
}

impl Names {
    fn of(samples: &[String], type_key: &dyn Fn(&str) -> String) -> Names {
        let mut names = Names::default();
        for s in samples {
            if let Ok(Json::Object(o)) = serde_json::from_str::<Json>(s) {
                names.walk(&o, "", 0, type_key);
            }
        }
        names
    }

    fn walk(
        &mut self,
        o: &Map<String, Json>,
        prefix: &str,
        depth: usize,
        type_key: &dyn Fn(&str) -> String,
    ) {
        for (k, v) in o {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Json::Object(inner) if depth < 4 => self.walk(inner, &path, depth + 1, type_key),
                Json::Array(items) if items.iter().any(Json::is_object) => {
                    let at = match self.arrays.iter().position(|(p, _)| *p == path) {
                        Some(at) => at,
                        None => {
                            self.arrays.push((path.clone(), Vec::new()));
                            self.arrays.len() - 1
                        }
                    };
                    let types = &mut self.arrays[at].1;
                    let key = type_key(&path);
                    for t in items
                        .iter()
                        .filter_map(|e| crate::io::record::member_of(e, &key)?.as_str())
                    {
                        if !types.iter().any(|x| x == t) {
                            types.push(t.to_string());
                        }
                    }
                }
                _ => {}
            }
            if !self.paths.contains(&path) {
                self.paths.push(path);
            }
        }
    }
}

/// Lower case, letters and digits only: `Job_Title` and `jobtitle` agree.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// `id`, `lead_id`, `leadId`, `Contact-ID`: a name a key goes by.
fn id_like(path: &str) -> bool {
    let l = last(path);
    l.eq_ignore_ascii_case("id")
        || ["_id", "-id", "Id", "ID", "_ID"]
            .iter()
            .any(|end| l.len() > end.len() && l.ends_with(end))
}

fn last(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// The name among `names` most likely meant by `path`: the same but for
/// case and punctuation (`Title`, `company_employees`); the same last
/// part (`properties.title`); a typo of it; one that holds it
/// (`jobtitle`, `numberofemployees`), one that ends with it first, then the
/// shortest.
fn nearest<'a>(path: &str, names: impl Iterator<Item = &'a String> + Clone) -> Option<String> {
    let (whole, tail) = (fold(path), fold(last(path)));
    let same = names.clone().find(|n| fold(n) == whole);
    let same_tail = || names.clone().find(|n| fold(last(n)) == tail);
    let typo = || {
        names
            .clone()
            .filter_map(|n| typo_distance(path, n).map(|d| (d, n)))
            .min_by_key(|(d, _)| *d)
            .map(|(_, n)| n)
    };
    let holds = || {
        names
            .clone()
            .filter(|n| tail.len() >= 4 && fold(last(n)).contains(&tail))
            .min_by_key(|n| (!fold(last(n)).ends_with(&tail), n.len()))
    };
    same.or_else(same_tail)
        .or_else(typo)
        .or_else(holds)
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::{nearest, NearEvents, Seen, Unseen};

    fn near(path: &str, names: &[&str]) -> Option<String> {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        nearest(path, names.iter())
    }

    #[test]
    fn the_nearest_name_is_found_by_case_part_typo_or_containment() {
        assert_eq!(near("title", &["id", "Title"]).as_deref(), Some("Title"));
        assert_eq!(
            near("company.employees", &["company_employees"]).as_deref(),
            Some("company_employees")
        );
        assert_eq!(
            near("title", &["properties.title"]).as_deref(),
            Some("properties.title")
        );
        assert_eq!(near("budget", &["budjet"]).as_deref(), Some("budjet"));
        assert_eq!(
            near(
                "company.employees",
                &["numberofemployees", "employees_band_x"]
            )
            .as_deref(),
            Some("numberofemployees")
        );
        assert_eq!(
            near("title", &["jobtitle", "name"]).as_deref(),
            Some("jobtitle")
        );
        assert_eq!(near("title", &["email", "country"]), None);
        assert_eq!(
            near("age", &["page_views"]),
            None,
            "too short to look inside"
        );
    }

    fn model() -> crate::check::Model {
        crate::load::check_text(
            "m.rules",
            "lead {\n  title: text\n  budget: number\n  note: text\n}\nevents {\n  visited(page)\n}\n\"vp\": title contains \"vp\" -> +1\n\"big\": budget > 10 -> +1\n\"seen\": visited -> +1\n",
        )
        .model
        .unwrap()
    }

    /// Leads as the reader would give them: values in field order.
    fn lead(values: Vec<crate::eval::Value>, id: serde_json::Value) -> crate::eval::Lead {
        crate::eval::Lead {
            id,
            values,
            ..Default::default()
        }
    }

    #[test]
    fn what_no_lead_held_is_named_with_the_datas_own_names() {
        use crate::eval::Value;
        let m = model();
        let mut seen = Seen::new(&m);
        seen.sample(r#"{"lead_id": "a", "Title": "VP", "budget": "lots", "activity": [{"type": "page_view"}]}"#.into());
        seen.note(
            &m,
            &lead(
                vec![Value::Missing, Value::Missing, Value::Missing],
                serde_json::Value::Null,
            ),
        );
        let unseen = seen.unseen(&m, &["id".to_string()]);
        assert_eq!(
            unseen,
            vec![
                Unseen::Key {
                    present: false,
                    near: Some("lead_id".into())
                },
                Unseen::Field {
                    field: 0,
                    present: false,
                    near: Some("Title".into())
                },
                Unseen::Field {
                    field: 1,
                    present: true,
                    near: None
                },
                Unseen::Events {
                    source: 0,
                    near: NearEvents::List("activity".into())
                },
            ],
            "`note` is read by no rule and not named"
        );
        // A later part that met a title and a key leaves the rest.
        let mut later = Seen::new(&m);
        later.note(
            &m,
            &lead(
                vec![Value::text("CFO"), Value::Missing, Value::Missing],
                "b".into(),
            ),
        );
        seen.merge(&later);
        assert_eq!(seen.unseen(&m, &["id".to_string()]).len(), 2);
    }

    #[test]
    fn events_of_undeclared_types_are_quoted() {
        let m = model();
        let mut seen = Seen::new(&m);
        seen.sample(r#"{"id": "a", "events": [{"type": "page_view"}, {"type": "form_fill"}, {"type": "page_view"}]}"#.into());
        let unseen = seen.unseen(&m, &["id".to_string()]);
        assert!(unseen.contains(&Unseen::Events {
            source: 0,
            near: NearEvents::Types(vec!["page_view".into(), "form_fill".into()])
        }));
    }

    /// A source that keeps its events' type elsewhere is quoted from there.
    #[test]
    fn a_renamed_type_is_read_where_the_source_keeps_it() {
        let m = crate::load::check_text(
            "m.rules",
            "events in tracks (type from \"event\") {\n  signed_up\n}\n\"new\": signed_up -> +1\n",
        )
        .model
        .unwrap();
        let mut seen = Seen::new(&m);
        seen.sample(r#"{"id": "a", "tracks": [{"event": "Signed Up", "type": "track"}]}"#.into());
        let unseen = seen.unseen(&m, &["id".to_string()]);
        assert!(
            unseen.contains(&Unseen::Events {
                source: 0,
                near: NearEvents::Types(vec!["Signed Up".into()])
            }),
            "{unseen:?}"
        );
    }
}

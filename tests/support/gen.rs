//! Random models and messy leads for property tests, driven by one seed so
//! that a failure reproduces from the seed proptest prints.
#![allow(dead_code)]

use serde_json::{json, Value as Json};

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The second event source of generated models: product events that keep
/// their type in `event` and their time in `ts`, write the type `used` as
/// `Feature Used` and keep its `feature` in `name`.
pub const APP_EVENTS: &str = r#"
events in app (type from "event", at from "ts") {
  used(feature from "name") from "Feature Used"
}
"#;

/// [`APP_EVENTS`] read inside the events' objects: the time in `meta`, the
/// feature in `props` (as Mixpanel and Segment nest them).
pub const APP_EVENTS_NESTED: &str = r#"
events in app (type from "event", at from "meta.ts") {
  used(feature from "props.name") from "Feature Used"
}
"#;

thread_local! {
    /// Generate models with one event source only ([`model_one_source`]).
    static ONE_SOURCE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Generate models whose second source is [`APP_EVENTS_NESTED`].
    static NESTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A model whose product events are read inside their objects
/// ([`APP_EVENTS_NESTED`]), which only the general reader reads.
pub fn model_nested(r: &mut Rng) -> String {
    NESTED.with(|nested| nested.set(true));
    let text = model(r);
    NESTED.with(|nested| nested.set(false));
    text
}

/// A model with only the `events` source: what joining events from a file
/// on the fast path takes.
pub fn model_one_source(r: &mut Rng) -> String {
    ONE_SOURCE.with(|one| one.set(true));
    let text = model(r);
    ONE_SOURCE.with(|one| one.set(false));
    text
}

pub const HEADER: &str = r#"
lead {
  title: text
  email: text
  country: text from "Country Code"
  company.employees: number
  company.tech: list of text
  scores: list of number
  authority: bool
  created_at: time
  budget: number from "deal.budget amount"
}
events {
  visited(page)
  downloaded(asset, size: number)
  requested(what)
  unsubscribed
}
list dm = ["CEO", "cfo", "VP  Sales", "head of revenue"]
list pages = ["pricing", "/plans"]
list domains = ["gmail.com", "rival.com"]
list nums = [1, 5, 10, 300]
"#;

fn text_test(r: &mut Rng) -> String {
    let operand = *r.pick(&["title", "email", "country", "domain(email)"]);
    let op = match r.below(11) {
        0 => format!(
            "= {}",
            r.pick(&["\"CEO\"", "\" vp sales \"", "\"gmail.com\"", "\"us\""])
        ),
        1 => format!("!= {}", r.pick(&["\"CEO\"", "\"us\""])),
        2 => "in dm".into(),
        3 => "not in [\"us\", \"CA\", \"gmail.com\"]".into(),
        4 => format!("contains {}", r.pick(&["\"vp\"", "\"@\"", "\"o\""])),
        5 => format!("starts with {}", r.pick(&["\"c\"", "\"head\""])),
        6 => format!("ends with {}", r.pick(&["\".com\"", "\"sales\""])),
        7 => format!(
            "matches {}",
            r.pick(&["\"^(vp|head)\\b\"", "\"[0-9]\"", "\"rival\""])
        ),
        8 => "is known".into(),
        9 => "is missing".into(),
        _ => "in domains".into(),
    };
    format!("{operand} {op}")
}

fn number_test(r: &mut Rng) -> String {
    let operand = *r.pick(&["company.employees", "budget", "days_since(created_at)"]);
    let n = *r.pick(&["0", "10", "50", "300", "5000", "10k", "2.5", "-3"]);
    let op = match r.below(9) {
        0 => format!("> {n}"),
        1 => format!(">= {n}"),
        2 => format!("< {n}"),
        3 => format!("<= {n}"),
        4 => format!("= {n}"),
        5 => format!("!= {n}"),
        6 => "between 50 and 5000".into(),
        7 => "in nums".into(),
        _ => "is missing".into(),
    };
    format!("{operand} {op}")
}

fn field_test(r: &mut Rng) -> String {
    match r.below(8) {
        0 | 1 => text_test(r),
        2 | 3 => number_test(r),
        4 => r
            .pick(&[
                "company.tech includes \"salesforce\"",
                "company.tech is known",
                "scores includes 5",
                "scores is missing",
            ])
            .to_string(),
        5 => r
            .pick(&[
                "authority",
                "authority = false",
                "authority is known",
                "authority != true",
            ])
            .to_string(),
        6 => r
            .pick(&[
                "created_at < 2026-06-01",
                "created_at between 2026-01-01 and 2026-10-01T12:00:00Z",
                "created_at >= 2026-10-01",
            ])
            .to_string(),
        _ => text_test(r),
    }
}

fn count(r: &mut Rng) -> String {
    r.pick(&[
        "",
        "",
        " once",
        " twice",
        " thrice",
        " 2 times",
        " at least 3 times",
        " at most 1 time",
        " more than 1 time",
        " fewer than 3 times",
        " never",
    ])
    .to_string()
}

fn window(r: &mut Rng) -> String {
    r.pick(&[
        "",
        "",
        " in the last 30 days",
        " within 2 weeks",
        " in the last 12 hours",
        " in the last month",
        " within 1 day",
    ])
    .to_string()
}

pub fn event_term(r: &mut Rng) -> String {
    let (verb, object, filter) = match r.below(5) {
        0 => (
            "visited",
            *r.pick(&["", " pricing", " pages", " \"/plans\"", " \" Pricing \""]),
            *r.pick(&[
                "",
                " where page starts with \"/\"",
                " where (page contains \"pric\" or page = \"/plans\")",
                " where page is missing",
            ]),
        ),
        1 => (
            "downloaded",
            *r.pick(&["", " ebook", " \"whitepaper\""]),
            *r.pick(&[
                "",
                " where size > 10",
                " where size is known",
                " where (size between 1 and 100 and asset != \"x\")",
            ]),
        ),
        2 => (
            "requested",
            *r.pick(&["", " demo"]),
            *r.pick(&["", " where what contains \"trial\""]),
        ),
        3 => ("unsubscribed", "", ""),
        _ if ONE_SOURCE.with(|one| one.get()) => ("unsubscribed", "", ""),
        _ => (
            "used",
            *r.pick(&["", " export", " \"Reports\""]),
            *r.pick(&["", " where feature starts with \"rep\""]),
        ),
    };
    format!("{verb}{object}{filter}{}{}", count(r), window(r))
}

pub fn condition(r: &mut Rng, depth: u32) -> String {
    if depth == 0 || r.chance(45) {
        return if r.chance(50) {
            field_test(r)
        } else {
            event_term(r)
        };
    }
    match r.below(4) {
        0 => format!(
            "{} and {}",
            condition(r, depth - 1),
            condition(r, depth - 1)
        ),
        1 => format!(
            "({} or {})",
            condition(r, depth - 1),
            condition(r, depth - 1)
        ),
        2 => format!(
            "not {}",
            match r.below(2) {
                0 => field_test(r),
                _ => format!("({})", condition(r, depth - 1)),
            }
        ),
        _ => format!("{} or {}", condition(r, depth - 1), condition(r, depth - 1)),
    }
}

fn points(r: &mut Rng) -> String {
    r.pick(&[
        "+5", "-3", "+2.5", "+0.01", "+0.02", "+7.77", "+10", "-0.5", "+1.25", "+0.333", "+20",
    ])
    .to_string()
}

fn rule(r: &mut Rng, n: usize) -> String {
    let label = if r.chance(50) {
        format!("\"R{n}\": ")
    } else {
        String::new()
    };
    if r.chance(20) {
        let cap = if r.chance(60) {
            format!(" max {}", r.pick(&["15", "4", "0.05"]))
        } else {
            String::new()
        };
        return format!("{label}{} -> {} each{cap}", event_term(r), points(r));
    }
    let cap = if r.chance(15) {
        format!(" max {}", r.pick(&["3", "100"]))
    } else {
        String::new()
    };
    format!("{label}{} -> {}{cap}", condition(r, 2), points(r))
}

/// A random model that uses every construct of the language.
pub fn model(r: &mut Rng) -> String {
    let mut out = String::from(HEADER);
    if NESTED.with(|nested| nested.get()) {
        out.push_str(APP_EVENTS_NESTED);
    } else if !ONE_SOURCE.with(|one| one.get()) {
        out.push_str(APP_EVENTS);
    }
    let mut n = 0;
    let groups = 1 + r.below(3);
    let mut names = Vec::new();
    for g in 0..groups {
        let name = format!("g{g}");
        let mut head = format!("group {name}");
        if r.chance(40) {
            head.push_str(&format!(" max {}", r.pick(&["10", "25", "40.5"])));
        }
        if r.chance(30) {
            head.push_str(&format!(" min {}", r.pick(&["0", "-5"])));
        }
        if r.chance(60) {
            head.push_str(&format!(
                " decay {}% every {}",
                r.pick(&["25", "10", "12.5", "50", "100", "0", "33.3"]),
                r.pick(&["30 days", "1 day", "1 week", "1 month", "48 hours"])
            ));
        }
        out.push_str(&format!("{head} {{\n"));
        for _ in 0..1 + r.below(5) {
            out.push_str(&format!("  {}\n", rule(r, n)));
            n += 1;
        }
        out.push_str("}\n");
        names.push(name);
    }
    for _ in 0..r.below(3) {
        out.push_str(&format!("{}\n", rule(r, n)));
        n += 1;
        if !names.contains(&"general".to_string()) {
            names.push("general".into());
        }
    }
    if r.chance(50) {
        out.push_str(&format!(
            "score max {} min {}\n",
            r.pick(&["100", "30", "12.5"]),
            r.pick(&["0", "-10"])
        ));
    }
    for i in 0..r.below(3) {
        out.push_str(&format!("disqualify \"D{i}\" when {}\n", condition(r, 1)));
    }
    for i in 0..r.below(4) {
        let g = r.pick(&names).clone();
        let cond = match r.below(4) {
            0 => format!("score >= {}", r.pick(&["5", "10.5", "20", "0"])),
            1 => format!("{g} > {}", r.pick(&["1", "5"])),
            2 => format!("score >= 3 and {}", condition(r, 1)),
            _ => condition(r, 1),
        };
        out.push_str(&format!("stage S{i} when {cond}\n"));
    }
    if r.chance(50) {
        out.push_str("otherwise nurture\n");
    }
    out
}

fn maybe(r: &mut Rng, obj: &mut serde_json::Map<String, Json>, key: &str, values: &[Json]) {
    if r.chance(80) {
        obj.insert(key.to_string(), r.pick(values).clone());
    }
}

fn time_text(r: &mut Rng) -> Json {
    let day = r.below(90) as i64 - 75; // mostly before 2026-11-01, some after
    let base = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let date = base + chrono::Duration::days(day);
    let unix = date.and_hms_opt(9, 0, 0).unwrap().and_utc().timestamp();
    match r.below(8) {
        0 => json!(date.format("%Y-%m-%d").to_string()),
        6 if r.chance(50) => json!(unix),
        6 => json!(format!("{unix}000")),
        7 => json!(unix as f64 * 1000.0 + 0.5),
        1 => json!(format!(
            "{}T{:02}:30:00Z",
            date.format("%Y-%m-%d"),
            r.below(24)
        )),
        2 => json!(format!("{}T23:59:59+02:00", date.format("%Y-%m-%d"))),
        3 => json!("2026-10-31T12:00:00Z"),
        4 => json!("not a time"),
        _ => json!(date.format("%Y-%m-%d").to_string()),
    }
}

/// A lead with realistic mess: wrong types, blanks, odd case and spacing.
pub fn lead(r: &mut Rng, id: usize) -> Json {
    let mut o = serde_json::Map::new();
    o.insert("id".into(), json!(format!("L{id}")));
    maybe(
        r,
        &mut o,
        "title",
        &[
            json!("CEO"),
            json!(" vp  sales"),
            json!("Head of Revenue"),
            json!("intern"),
            json!(""),
            Json::Null,
            json!(42),
            json!(true),
            json!("VP Marketing"),
        ],
    );
    maybe(
        r,
        &mut o,
        "email",
        &[
            json!("a@gmail.com"),
            json!("b@RIVAL.com "),
            json!("nobody"),
            json!("x@"),
            json!(5),
            json!("ceo@acme.io"),
        ],
    );
    maybe(
        r,
        &mut o,
        "Country Code",
        &[
            json!("US"),
            json!(" ca "),
            json!("DE"),
            json!(""),
            json!(["US"]),
        ],
    );
    let mut company = serde_json::Map::new();
    maybe(
        r,
        &mut company,
        "employees",
        &[
            json!(10),
            json!(50),
            json!("300"),
            json!("abc"),
            json!(5000.5),
            Json::Null,
            json!(5000),
            json!(" 50 "),
        ],
    );
    maybe(
        r,
        &mut company,
        "tech",
        &[
            json!(["Salesforce", "hubspot"]),
            json!("salesforce;marketo"),
            json!([]),
            json!([1, "x"]),
            json!("x"),
            json!([true]),
            json!([" SalesForce "]),
        ],
    );
    if r.chance(90) {
        o.insert("company".into(), Json::Object(company));
    } else {
        o.insert("company".into(), json!("Acme"));
    }
    maybe(
        r,
        &mut o,
        "scores",
        &[
            json!([1, 5]),
            json!("5;7"),
            json!([]),
            json!(["x"]),
            json!([10, "300"]),
        ],
    );
    maybe(
        r,
        &mut o,
        "authority",
        &[
            json!(true),
            json!(false),
            json!("yes"),
            json!("no"),
            json!("maybe"),
            json!(1),
        ],
    );
    if r.chance(80) {
        let t = time_text(r);
        o.insert("created_at".into(), t);
    }
    // Read `from "deal.budget amount"`.
    let mut deal = serde_json::Map::new();
    maybe(
        r,
        &mut deal,
        "budget amount",
        &[
            json!(20000),
            json!(5000),
            json!("10000"),
            json!("lots"),
            json!(0),
        ],
    );
    if !deal.is_empty() {
        o.insert("deal".into(), Json::Object(deal));
    }
    if r.chance(90) {
        let mut events = Vec::new();
        for _ in 0..r.below(9) {
            let mut e = serde_json::Map::new();
            let ty = *r.pick(&[
                "visited",
                "downloaded",
                "requested",
                "unsubscribed",
                "other",
                "visited",
            ]);
            e.insert("type".into(), json!(ty));
            if r.chance(95) {
                let t = time_text(r);
                e.insert("at".into(), t);
            }
            maybe(
                r,
                &mut e,
                "page",
                &[
                    json!("pricing"),
                    json!("/plans"),
                    json!("/blog/x"),
                    json!(" Pricing "),
                    // The same text as another type's property (`what`):
                    // events of two types must not be taken for each other.
                    json!("demo"),
                    json!(12),
                    Json::Null,
                ],
            );
            maybe(
                r,
                &mut e,
                "asset",
                &[json!("ebook"), json!("Whitepaper"), json!("x")],
            );
            maybe(
                r,
                &mut e,
                "size",
                &[json!(5), json!(50), json!("20"), json!("big")],
            );
            maybe(
                r,
                &mut e,
                "what",
                &[
                    json!("demo"),
                    json!("free trial"),
                    json!("Demo "),
                    json!("pricing"),
                ],
            );
            events.push(Json::Object(e));
        }
        if r.chance(3) {
            events.push(json!("not an event"));
        }
        o.insert("events".into(), Json::Array(events));
    }
    // Product events, their type in `event` and their time in `ts`; some
    // written with `type` and `at`, which this source does not read.
    if r.chance(60) {
        let mut app = Vec::new();
        for _ in 0..r.below(6) {
            let (ty, at) = if r.chance(90) {
                ("event", "ts")
            } else {
                ("type", "at")
            };
            let mut e = serde_json::Map::new();
            // `used` is the model's name for `Feature Used`: not read.
            let name = *r.pick(&["Feature Used", "Feature Used", "signed_in", "used"]);
            e.insert(ty.into(), json!(name));
            // The time and the feature at the top, or inside `meta` and
            // `props` (see `APP_EVENTS_NESTED`), now and then both.
            let mut meta = serde_json::Map::new();
            let mut props = serde_json::Map::new();
            let (top, inside) = (r.chance(60), r.chance(50));
            if r.chance(95) {
                let t = time_text(r);
                if inside {
                    meta.insert("ts".into(), t.clone());
                }
                if top || !inside {
                    e.insert(at.into(), t);
                }
            }
            // The property's own name is not read either.
            let member = if r.chance(85) { "name" } else { "feature" };
            let values = [
                json!("export"),
                json!(" Reports"),
                json!("reports"),
                json!(3),
            ];
            if inside {
                maybe(r, &mut props, member, &values);
            }
            if top || !inside {
                maybe(r, &mut e, member, &values);
            }
            if !meta.is_empty() || r.chance(10) {
                e.insert("meta".into(), Json::Object(meta));
            }
            if !props.is_empty() {
                // Now and then not an object: nothing is read inside.
                let props = if r.chance(10) {
                    json!("x")
                } else {
                    Json::Object(props)
                };
                e.insert("props".into(), props);
            }
            app.push(Json::Object(e));
        }
        o.insert("app".into(), Json::Array(app));
    }
    Json::Object(o)
}

/// An event of the generator's types (see `gen::HEADER`), its values drawn
/// from a few, so that lines repeat them byte for byte: texts that
/// normalise alike, escapes, wrong types, properties left out or given in
/// another order, times before, inside and after the windows.
pub fn messy_event(r: &mut Rng) -> String {
    let at = *r.pick(&[
        "\"2026-10-01\"",
        "\"2026-10-25T10:00:00Z\"",
        "\"2026-11-20\"",
        "\"2024-01-01\"",
        "\"not a time\"",
        "null",
        "1792922400",
        "\"1792922400000\"",
        "1792922400.5",
        "20261025",
    ]);
    let page = *r.pick(&[
        "\"/pricing\"",
        "\"pricing\"",
        "\" Pricing \"",
        "\"/plans\"",
        r#""/pri\u0063ing""#,
        "\"\"",
        "12",
        "null",
        "{\"a\":1}",
    ]);
    let asset = *r.pick(&["\"ebook\"", "\" EBOOK\"", "\"whitepaper\"", "\"x\"", "5"]);
    let size = *r.pick(&["5", "50", "\"12\"", "\"abc\"", "null", "true", "1e2"]);
    let what = *r.pick(&["\"demo\"", "\"free trial\"", "\"Demo\"", "[1]"]);
    match r.below(10) {
        0 | 1 => format!(r#"{{"type":"visited","page":{page},"at":{at}}}"#),
        2 => format!(r#"{{"type":"visited","at":{at}}}"#),
        3 => format!(r#"{{"type":"downloaded","asset":{asset},"size":{size},"at":{at}}}"#),
        4 => format!(r#"{{"type":"downloaded","size":{size},"asset":{asset},"at":{at}}}"#),
        5 => format!(r#"{{"type":"downloaded","asset":{asset},"at":{at}}}"#),
        6 => format!(r#"{{"type":"requested","what":{what},"at":{at}}}"#),
        7 => format!(r#"{{"type":"unsubscribed","at":{at}}}"#),
        8 => format!(r#"{{"type":"clicked","at":{at},"page":{page}}}"#),
        _ => format!(r#"{{ "type": "visited", "page": {page}, "at": {at} }}"#),
    }
}

/// A product event of the `app` source (see [`APP_EVENTS`]), its type in
/// `event` and its time in `ts`, or now and then in `type` and `at`, which
/// that source does not read; now and then the model's own names for the
/// type and its property, which are not read either.
pub fn messy_app_event(r: &mut Rng) -> String {
    let ts = *r.pick(&["\"2026-10-30\"", "1792922400", "\"soon\"", "null"]);
    let feature = *r.pick(&["\"export\"", "\" Reports \"", "7", "null"]);
    match r.below(8) {
        0 | 1 => format!(r#"{{"event":"Feature Used","name":{feature},"ts":{ts}}}"#),
        2 => format!(r#"{{"ts":{ts},"event":"Feature Used"}}"#),
        3 => format!(r#"{{"event":"signed_in","ts":{ts}}}"#),
        4 => format!(r#"{{"type":"Feature Used","name":{feature},"at":{ts}}}"#),
        5 => format!(r#"{{"event":"used","name":{feature},"ts":{ts}}}"#),
        6 => format!(r#"{{"event":"Feature Used","feature":{feature},"ts":{ts}}}"#),
        _ => format!(r#"{{"event":"Feature Used","name":{feature}}}"#),
    }
}

/// A generated lead's line, its events replaced by `events` and its
/// product events by messy ones.
pub fn messy_line(r: &mut Rng, i: usize) -> String {
    let mut lead = lead(r, i);
    if let Some(o) = lead.as_object_mut() {
        o.remove("events");
        o.remove("app");
    }
    let events: Vec<String> = (0..r.below(10)).map(|_| messy_event(r)).collect();
    let app: Vec<String> = (0..r.below(4)).map(|_| messy_app_event(r)).collect();
    let text = lead.to_string();
    format!(
        "{},\"events\":[{}],\"app\":[{}]}}",
        &text[..text.len() - 1],
        events.join(","),
        app.join(",")
    )
}

//! Tests of event templates: which events a template reads, which it must not,
//! the type's shapes, the tree for types that come later, and when learning stops.

use super::*;

/// The role whose slot this is ([`Role::slot`] undone).
fn role_of(slot: usize) -> Option<Role> {
    let role = match slot {
        0 => return None,
        super::super::TYPE_SLOT => Role::Type,
        super::super::AT_SLOT => Role::At,
        _ => Role::Prop(slot - super::super::SLOTS_BEFORE),
    };
    assert_eq!(Role::slot(Some(role)), slot);
    Some(role)
}

fn tok(start: usize, end: usize) -> Tok {
    Tok {
        start,
        end,
        plain: true,
    }
}

/// The templates after learning `{"type":"visited","page":"/a","at":…}`,
/// a type the model knows as `Kind::Model(3)`.
fn visited() -> Templates {
    let learned = br#"{"type":"visited","page":"/a","at":"2026-01-01"}"#;
    let members = [
        (tok(8, 17), Some(Role::Type)),
        (tok(25, 29), Some(Role::Prop(0))),
        (tok(35, 47), Some(Role::At)),
    ];
    let mut t = Templates::default();
    t.learn(learned, 0, learned.len(), &members, |ty| {
        assert_eq!(ty, b"visited");
        Kind::Model(3)
    });
    t
}

#[test]
fn a_template_reads_an_event_of_the_same_shape_and_no_other() {
    let mut t = visited();
    let line = br#"{"type":"visited","page":"/pricing","at":"2026-10-01T00:00:00Z"}"#;
    let mut c = Cursor::new(line);
    let mut found = Vec::new();
    let kind = t.read(&mut c, 1, |slot, tok| {
        found.push((role_of(slot), tok.start, tok.end))
    });
    assert_eq!(kind, Some(Kind::Model(3)));
    assert_eq!(c.i, line.len());
    let roles: Vec<_> = found.iter().map(|&(role, ..)| role).collect();
    assert_eq!(
        roles,
        [Some(Role::Type), Some(Role::Prop(0)), Some(Role::At)]
    );
    let spans: Vec<&[u8]> = found.iter().map(|&(_, a, b)| &line[a..b]).collect();
    assert_eq!(
        spans,
        [
            &b"\"visited\""[..],
            b"\"/pricing\"",
            b"\"2026-10-01T00:00:00Z\""
        ]
    );
    // Another member, another order, or not JSON: no match.
    for other in [
        &br#"{"type":"visited","asset":"/a","at":"2026-01-01"}"#[..],
        br#"{"type":"visited","at":"2026-01-01","page":"/a"}"#,
        br#"{"type":"visited","page":"/a","at":"2026-01-01"x"#,
    ] {
        let mut c = Cursor::new(other);
        assert!(
            t.read(&mut c, 1, |_, _| {}).is_none(),
            "{}",
            String::from_utf8_lossy(other)
        );
    }
}

#[test]
fn a_value_of_another_kind_in_the_same_place_still_matches() {
    let mut t = visited();
    for (line, page, at) in [
        (
            &br#"{"type":"visited","page":null,"at":"2026-10-01"}"#[..],
            "null",
            r#""2026-10-01""#,
        ),
        (br#"{"type":"visited","page":12,"at":null}"#, "12", "null"),
        (
            br#"{"type":"visited","page":{"p":["/a"]},"at":7}"#,
            r#"{"p":["/a"]}"#,
            "7",
        ),
        (
            br#"{"type":"visited","page":"a\"b","at":"x"}"#,
            r#""a\"b""#,
            r#""x""#,
        ),
    ] {
        let mut c = Cursor::new(line);
        let mut found = Vec::new();
        let kind = t.read(&mut c, 1, |slot, tok| {
            found.push((
                role_of(slot),
                String::from_utf8_lossy(&line[tok.start..tok.end]).into_owned(),
            ))
        });
        let shown = String::from_utf8_lossy(line);
        assert_eq!(kind, Some(Kind::Model(3)), "{shown}");
        assert_eq!(c.i, line.len(), "{shown}");
        let expected = [
            (Some(Role::Type), r#""visited""#.to_string()),
            (Some(Role::Prop(0)), page.to_string()),
            (Some(Role::At), at.to_string()),
        ];
        assert_eq!(found, expected, "{shown}");
    }
    // Not JSON in the value's place: no match.
    for other in [
        &br#"{"type":"visited","page":nul,"at":"x"}"#[..],
        br#"{"type":"visited","page":"/a,"at":"x"}"#,
        br#"{"type":null,"page":"/a","at":"x"}"#,
    ] {
        let mut c = Cursor::new(other);
        let kind = t.read(&mut c, 1, |_, _| {});
        assert!(
            kind.is_none() || kind == Some(Kind::Unknown),
            "{}",
            String::from_utf8_lossy(other)
        );
    }
}

#[test]
fn the_type_is_known_only_when_it_is_the_templates_own() {
    let learned = br#"{"type":"visited_page_a","at":"x"}"#;
    let members = [
        (tok(8, 24), Some(Role::Type)),
        (tok(30, 33), Some(Role::At)),
    ];
    let mut t = Templates::default();
    t.learn(learned, 0, learned.len(), &members, |_| Kind::Model(1));
    let read = |t: &mut Templates, line: &[u8]| t.read(&mut Cursor::new(line), 1, |_, _| {});
    assert_eq!(read(&mut t, learned), Some(Kind::Model(1)));
    // Same length and first eight bytes: the template is tried and
    // matches, but the type must be looked up.
    let other = br#"{"type":"visited_page_b","at":"y"}"#;
    assert_eq!(read(&mut t, other), Some(Kind::Unknown));
    // A type the model does not read is known as such.
    let mut t = Templates::default();
    t.learn(learned, 0, learned.len(), &members, |_| Kind::Other);
    assert_eq!(read(&mut t, learned), Some(Kind::Other));
}

/// Reads an event by the templates, as the reader does: the last token
/// reported for each role.
fn read_members(t: &mut Templates, line: &[u8]) -> Option<Vec<(Role, String)>> {
    let mut found: Vec<(Role, Tok)> = Vec::new();
    let mut keep = |slot, tok| {
        let Some(role) = role_of(slot) else {
            return;
        };
        match found.iter_mut().find(|(r, _)| *r == role) {
            Some(kept) => kept.1 = tok,
            None => found.push((role, tok)),
        }
    };
    let mut c = Cursor::new(line);
    if t.read(&mut c, 1, &mut keep).is_none() {
        c.i = 0;
        t.read_others(&mut c, 1, &mut keep)?;
    }
    let text = |tok: Tok| String::from_utf8_lossy(&line[tok.start..tok.end]).into_owned();
    Some(found.into_iter().map(|(r, tok)| (r, text(tok))).collect())
}

#[test]
fn a_type_in_two_shapes_is_read_by_both_templates() {
    // `visited` as one system writes it, and as another does.
    let a = br#"{"type":"visited","page":"/a","at":"2026-01-01"}"#;
    let b = br#"{"type":"visited","at":"2026-01-01","page":"/a","ip":1}"#;
    let mut t = Templates::default();
    let kind = |_: &[u8]| Kind::Model(0);
    t.learn(
        a,
        0,
        a.len(),
        &[
            (tok(8, 17), Some(Role::Type)),
            (tok(25, 29), Some(Role::Prop(0))),
            (tok(35, 47), Some(Role::At)),
        ],
        kind,
    );
    t.learn(
        b,
        0,
        b.len(),
        &[
            (tok(8, 17), Some(Role::Type)),
            (tok(23, 35), Some(Role::At)),
            (tok(43, 47), Some(Role::Prop(0))),
            (tok(53, 54), None),
        ],
        kind,
    );
    let (x, y) = (
        br#"{"type":"visited","page":"/pricing","at":"2026-10-01"}"#,
        br#"{"type":"visited","at":"2026-10-02","page":"/docs","ip":7}"#,
    );
    // In turn, so the shape tried first is sometimes the wrong one:
    // what it found is taken back.
    for _ in 0..3 {
        let got = read_members(&mut t, x).unwrap();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got.contains(&(Role::Prop(0), "\"/pricing\"".into())));
        let got = read_members(&mut t, y).unwrap();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got.contains(&(Role::At, "\"2026-10-02\"".into())));
    }
}

#[test]
fn events_that_keep_missing_stop_the_learning() {
    let learned = br#"{"type":"visited","at":"x"}"#;
    let mut t = Templates::default();
    t.learn(
        learned,
        0,
        learned.len(),
        &[
            (tok(8, 17), Some(Role::Type)),
            (tok(23, 26), Some(Role::At)),
        ],
        |_| Kind::Model(0),
    );
    assert!(t.worth_trying());
    let other = br#"{"type":"visited","when":"x"}"#;
    for _ in 0..65 {
        assert!(t.read(&mut Cursor::new(other), 1, |_, _| {}).is_none());
    }
    assert!(!t.learning() && !t.worth_trying());
}

/// Learns `line` (one event) as the reader does after reading it member
/// by member: each member's role from its name.
fn learn_event(t: &mut Templates, line: &[u8], kind: Kind) {
    let mut members = Vec::new();
    let mut c = Cursor::new(line);
    c.object(1, |key, _, c, depth| {
        let role = match key {
            b"type" => Some(Role::Type),
            b"at" => Some(Role::At),
            b"page" => Some(Role::Prop(0)),
            _ => None,
        };
        members.push((c.skip(depth)?, role));
        Ok(())
    })
    .unwrap();
    t.learn(line, 0, line.len(), &members, |_| kind);
}

#[test]
fn a_value_kept_with_the_template_is_taken_only_when_its_bytes_are_there() {
    let mut t = Templates::default();
    let learned = br#"{"type":"clicked","at":"2026-01-01","meta":{"x":1}}"#;
    learn_event(&mut t, learned, Kind::Other);
    let mut meta = |line: &[u8]| {
        let mut c = Cursor::new(line);
        let mut meta = None;
        let kind = t.read(&mut c, 1, |slot, tok| {
            if slot == 0 {
                meta = Some(String::from_utf8_lossy(&line[tok.start..tok.end]).into_owned());
            }
        });
        kind.map(|_| (meta, c.i == line.len()))
    };
    // The same bytes: the kept value, read to the end of the event.
    let same = br#"{"type":"clicked","at":"2026-02-02","meta":{"x":1}}"#;
    assert_eq!(meta(same), Some((Some(r#"{"x":1}"#.into()), true)));
    // Another value in its place is scanned as usual.
    let other = br#"{"type":"clicked","at":"2026-02-02","meta":{"x":12,"y":[true]}}"#;
    assert_eq!(
        meta(other),
        Some((Some(r#"{"x":12,"y":[true]}"#.into()), true))
    );
    // The kept bytes followed by more are not the kept value: the
    // template does not match, and the event goes to the general scan.
    for bad in [
        &br#"{"type":"clicked","at":"2026-02-02","meta":{"x":1}x}"#[..],
        br#"{"type":"clicked","at":"2026-02-02","meta":{"x":1},}"#,
        br#"{"type":"clicked","at":"2026-02-02","meta":{"x":1"#,
    ] {
        assert_eq!(meta(bad), None, "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn events_with_the_type_later_are_read_by_the_tree() {
    let mut t = Templates::default();
    learn_event(
        &mut t,
        br#"{"at":"x","page":"/a","type":"visited"}"#,
        Kind::Model(3),
    );
    learn_event(&mut t, br#"{"at":"x","type":"bounced"}"#, Kind::Model(5));
    // The same member names as `bounced`: one node of the tree, told
    // apart by the type.
    learn_event(
        &mut t,
        br#"{"at":"x","type":"unsubscribed"}"#,
        Kind::Model(6),
    );
    assert!(t.trie.walkable());
    let read = |t: &mut Templates, line: &[u8]| {
        let mut c = Cursor::new(line);
        let kind = t.read(&mut c, 1, |_, _| {});
        (kind, c.i == line.len())
    };
    // In any order, each by its own shape and with its own kind.
    for _ in 0..2 {
        let visited = br#"{"at":"2026-10-01","page":"/pricing","type":"visited"}"#;
        assert_eq!(
            read_members(&mut t, visited).unwrap(),
            [
                (Role::At, "\"2026-10-01\"".to_string()),
                (Role::Prop(0), "\"/pricing\"".to_string()),
                (Role::Type, "\"visited\"".to_string()),
            ]
        );
        assert_eq!(read(&mut t, visited), (Some(Kind::Model(3)), true));
        let unsubscribed = br#"{"at":null,"type":"unsubscribed"}"#;
        assert_eq!(read(&mut t, unsubscribed), (Some(Kind::Model(6)), true));
        let bounced = br#"{"at":"y","type":"bounced"}"#;
        assert_eq!(read(&mut t, bounced), (Some(Kind::Model(5)), true));
        // Same members, a type no template has: read, and looked up.
        let other = br#"{"at":"y","type":"opened"}"#;
        assert_eq!(read(&mut t, other), (Some(Kind::Unknown), true));
    }
    // Another shape, or not JSON: no template reads it.
    for other in [
        &br#"{"at":"y","type":"visited","page":"/a"}"#[..],
        br#"{"at":"y","page":"/a","type":"visited","ip":1}"#,
        br#"{"at":"y","type":"bounced"x"#,
        br#"{"at":"y,"type":"bounced"}"#,
    ] {
        let mut c = Cursor::new(other);
        let shown = String::from_utf8_lossy(other);
        assert_eq!(t.read(&mut c, 1, |_, _| {}), None, "{shown}");
        assert_eq!(read_members(&mut t, other), None, "{shown}");
    }
}

#[test]
fn a_template_that_makes_way_leaves_the_tree() {
    let mut t = Templates::default();
    learn_event(&mut t, br#"{"at":"x","type":"bounced"}"#, Kind::Model(5));
    // Twice as many shapes as are kept: each slot is taken in turn,
    // the first one's too.
    for i in 0..2 * KEEP {
        let line = format!(r#"{{"at":"x","m{i}":1,"type":"visited"}}"#);
        learn_event(&mut t, line.as_bytes(), Kind::Model(3));
    }
    let bounced = br#"{"at":"y","type":"bounced"}"#;
    assert_eq!(t.read(&mut Cursor::new(bounced), 1, |_, _| {}), None);
    let last = format!(r#"{{"at":"y","m{}":2,"type":"visited"}}"#, 2 * KEEP - 1);
    let kind = t.read(&mut Cursor::new(last.as_bytes()), 1, |_, _| {});
    assert_eq!(kind, Some(Kind::Model(3)));
}

#[test]
fn literals_that_differ_only_by_spacing_stop_the_tree() {
    let mut t = Templates::default();
    learn_event(&mut t, br#"{"at":"x","type":"visited"}"#, Kind::Model(3));
    assert!(t.trie.walkable());
    // `,"type":` and `,"type": ` both hold before a spaced value.
    learn_event(&mut t, br#"{"at":"x","type": "visited"}"#, Kind::Model(3));
    assert!(!t.trie.walkable());
    // Still read, by the template matched last.
    let spaced = br#"{"at":"y","type": "visited"}"#;
    let kind = t.read(&mut Cursor::new(spaced), 1, |_, _| {});
    assert_eq!(kind, Some(Kind::Unknown));
}

#[test]
fn an_event_of_up_to_sixteen_members_is_a_template() {
    // A web tracker's event: the model's three members and more.
    let event = |n: usize, v: &str| {
        let more: String = (3..n).map(|i| format!(r#","m{i:02}":"{v}""#)).collect();
        format!(r#"{{"type":"visited","page":"/a","at":"x"{more}}}"#)
    };
    for (n, kept) in [(9, true), (MEMBERS, true), (MEMBERS + 1, false)] {
        let mut t = Templates::default();
        learn_event(&mut t, event(n, "a").as_bytes(), Kind::Model(3));
        let other = event(n, "b");
        let kind = t.read(&mut Cursor::new(other.as_bytes()), 1, |_, _| {});
        assert_eq!(kind, kept.then_some(Kind::Model(3)), "{n} members");
    }
}

#[test]
fn the_tree_stops_when_it_misses_more_than_it_finds() {
    let mut t = Templates::default();
    let (a, b) = (
        br#"{"at":"x","type":"bounced"}"#,
        br#"{"at":"x","page":"/a","type":"visited"}"#,
    );
    learn_event(&mut t, a, Kind::Model(5));
    learn_event(&mut t, b, Kind::Model(3));
    let read = |t: &mut Templates, line: &[u8]| t.read(&mut Cursor::new(line), 1, |_, _| {});
    assert_eq!(read(&mut t, b), Some(Kind::Model(3)));
    for _ in 0..10 {
        assert_eq!(read(&mut t, a), Some(Kind::Model(5)));
    }
    // 80 misses after 11 hits: more than one a hit past the grace of
    // 64, though within the four a hit that keeps templates in use.
    for _ in 0..80 {
        assert_eq!(read(&mut t, br#"{"at":"x","ip":1,"type":"opened"}"#), None);
    }
    assert!(t.worth_trying());
    // `b` is no longer found by the tree, only `a`, matched last (its
    // type then looked up, as the tree alone knows it).
    assert_eq!(read(&mut t, a), Some(Kind::Unknown));
    assert_eq!(read(&mut t, b), None);
}

#[test]
fn every_order_of_seven_types_members_is_kept() {
    // Five types with a property, two without: 5 × 6 + 2 × 2 orders.
    let mut shapes = Vec::new();
    for (k, ty) in ["visited", "downloaded", "requested", "attended", "replied"]
        .iter()
        .enumerate()
    {
        let members = [
            format!(r#""type":"{ty}""#),
            r#""page":"/a""#.to_string(),
            r#""at":"x""#.to_string(),
        ];
        for [a, b, c] in [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ] {
            let line = format!("{{{},{},{}}}", members[a], members[b], members[c]);
            shapes.push((line, Kind::Model(k)));
        }
    }
    for (k, ty) in ["unsubscribed", "bounced"].iter().enumerate() {
        shapes.push((format!(r#"{{"type":"{ty}","at":"x"}}"#), Kind::Model(5 + k)));
        shapes.push((format!(r#"{{"at":"x","type":"{ty}"}}"#), Kind::Model(5 + k)));
    }
    let mut t = Templates::default();
    for (line, kind) in &shapes {
        learn_event(&mut t, line.as_bytes(), *kind);
    }
    // Each is still read by a template, as the reader tries them: the
    // type's shape matched last, or the tree, then the type's others.
    for (line, kind) in shapes.iter().chain(&shapes) {
        let line = line.replace(r#""x""#, r#""2026-10-01""#);
        let b = line.as_bytes();
        let read = t
            .read(&mut Cursor::new(b), 1, |_, _| {})
            .or_else(|| t.read_others(&mut Cursor::new(b), 1, |_, _| {}));
        assert!(read == Some(*kind) || read == Some(Kind::Unknown), "{line}");
    }
}

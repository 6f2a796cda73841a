//! The event templates of a source as one tree of literals, for events whose
//! type does not come first (see `Templates::read_tree` in
//! [`super::template`]).
//!
//! Exports that write keys in alphabetical order (PostgreSQL's `jsonb`,
//! Snowflake's objects, `jq -S`, Python's `sort_keys`) put `at` before
//! `type`, so the type cannot pick the template. Instead, the templates are
//! kept as a tree: templates that begin with the same literal share its
//! node, and a node's children are the literals that follow its value in
//! one template or another. An event is read by following the one child
//! whose literal the line holds, reading each value once, until a closing
//! literal ends a template. Each literal of the event is compared with its
//! siblings only (two or three member names, in practice), never with every
//! template.
//!
//! Siblings' literals differ, since equal literals share a node. Two
//! siblings can both hold at one place only when one is the other plus
//! white space (`,"a":` and `,"a": `); a tree with such siblings is not
//! walked (see [`Trie::walkable`]), and the caller tries the template it
//! matched last, as for any event whose type does not pick one.
//!
//! A template is added as it is learned, so an event of its shape is read
//! by it from the next one on. A template that makes way for another is
//! taken out of its end; the nodes that led only to it stay until the tree
//! has grown to [`NODES`], when the caller builds it again from the
//! templates it keeps.

use super::scan::{Cursor, Tok};
use super::template::{same_type, value_at, Lit};
use super::Kind;

/// Nodes at most, counting those left by templates taken out; past it (or
/// past the literals' bytes a [`Lit`] can address), [`Trie::full`].
const NODES: usize = 1024;

/// A literal of one or more templates, and what follows it.
#[derive(Debug, Clone)]
struct Node {
    lit: Lit,
    /// Closing a template (else before a value).
    end: bool,
    /// The slot of the value after the literal (unused at an end).
    slot: usize,
    kids: Vec<u32>,
    /// The templates this literal closes: none before a value.
    ends: Vec<End>,
}

/// A template the tree holds, as it was when it was added: the tree reads
/// by its own copy.
#[derive(Debug, Clone, Copy)]
struct End {
    template: usize,
    /// Its type's text (in [`Trie::bytes`]), which value holds it, and
    /// what the type is to the model.
    ty: Option<(Lit, usize, Kind)>,
}

/// One template as the tree takes it: its literals before each value with
/// the value's slot, its closing literal, and its type's text with the
/// index of the value that holds it and what it is to the model.
pub struct Shape<'a> {
    pub segs: Vec<(&'a [u8], usize)>,
    pub tail: &'a [u8],
    pub ty: Option<(&'a [u8], usize, Kind)>,
}

/// See the module's documentation.
#[derive(Debug)]
pub struct Trie {
    bytes: Vec<u8>,
    /// Node 0 is the root (an empty literal).
    nodes: Vec<Node>,
    /// No two siblings can hold at the same place.
    walkable: bool,
    /// Templates held.
    held: usize,
    /// Per template: the node that closes it, if the tree holds it.
    end_of: Vec<Option<u32>>,
}

impl Default for Trie {
    fn default() -> Trie {
        Trie {
            bytes: Vec::new(),
            nodes: vec![Node {
                lit: Lit::new(&[], (0, 0)),
                end: false,
                slot: 0,
                kids: Vec::new(),
                ends: Vec::new(),
            }],
            walkable: true,
            held: 0,
            end_of: Vec::new(),
        }
    }
}

impl Trie {
    /// Has it grown past its bounds (see [`NODES`])? Then it should be
    /// built again from the templates kept.
    pub fn full(&self) -> bool {
        self.nodes.len() >= NODES || self.bytes.len() >= usize::from(u16::MAX) / 2
    }

    /// Can [`Trie::walk`] be used? Not when some siblings' literals differ
    /// only by trailing white space, nor when the tree is empty.
    pub fn walkable(&self) -> bool {
        self.walkable && self.held > 0
    }

    /// Adds template `template` of this shape. Nothing is added when the
    /// literals do not fit (the tree is then [`Trie::full`]).
    pub fn add(&mut self, template: usize, shape: Shape<'_>) {
        let mut at = 0;
        for (lit, slot) in shape.segs {
            let Some(next) = self.child(at, lit, false, slot) else {
                return;
            };
            at = next;
        }
        let Some(end) = self.child(at, shape.tail, true, 0) else {
            return;
        };
        let ty = match shape.ty {
            None => None,
            Some((text, seg, kind)) => {
                let Some(lit) = self.lit(text) else {
                    return;
                };
                Some((lit, seg, kind))
            }
        };
        self.nodes[end].ends.push(End { template, ty });
        self.held += 1;
        if self.end_of.len() <= template {
            self.end_of.resize(template + 1, None);
        }
        self.end_of[template] = Some(end as u32);
    }

    /// Takes template `template` out, if the tree holds it.
    pub fn remove(&mut self, template: usize) {
        let Some(Some(n)) = self.end_of.get_mut(template).map(Option::take) else {
            return;
        };
        let ends = &mut self.nodes[n as usize].ends;
        if let Some(i) = ends.iter().position(|e| e.template == template) {
            ends.remove(i);
            self.held -= 1;
        }
    }

    /// The bytes of `text` kept in the tree, as a literal.
    fn lit(&mut self, text: &[u8]) -> Option<Lit> {
        let a = u16::try_from(self.bytes.len()).ok()?;
        let z = u16::try_from(self.bytes.len() + text.len()).ok()?;
        self.bytes.extend_from_slice(text);
        Some(Lit::new(&self.bytes, (a, z)))
    }

    /// The child of node `at` with this literal (and kind: before a value,
    /// or closing), added if there is none.
    fn child(&mut self, at: usize, text: &[u8], end: bool, slot: usize) -> Option<usize> {
        let bytes = &self.bytes;
        let same =
            |n: &Node| n.end == end && (end || n.slot == slot) && n.lit.bytes_in(bytes) == text;
        let kids = &self.nodes[at].kids;
        if let Some(&k) = kids.iter().find(|&&k| same(&self.nodes[k as usize])) {
            return Some(k as usize);
        }
        for &k in kids {
            let other = self.nodes[k as usize].lit.bytes_in(bytes);
            self.walkable &= !(other.starts_with(text) || text.starts_with(other));
        }
        let lit = self.lit(text)?;
        let k = u32::try_from(self.nodes.len()).ok()?;
        self.nodes.push(Node {
            lit,
            end,
            slot,
            kids: Vec::new(),
            ends: Vec::new(),
        });
        self.nodes[at].kids.push(k);
        Some(k as usize)
    }

    /// Reads the event at the cursor by the tree, reporting each value
    /// with its slot; returns the template it matched and what the event's
    /// type is to the model (unknown when no template with these literals
    /// has the event's type, to be looked up). `None` when the event's
    /// shape is none of the templates' (the cursor is then unspecified).
    #[inline]
    pub fn walk<const N: usize>(
        &self,
        c: &mut Cursor<'_>,
        depth: usize,
        found: &mut impl FnMut(usize, Tok),
    ) -> Option<(usize, Kind)> {
        let b = c.b;
        // Where each value starts, for the type's.
        let mut starts = [0; N];
        let mut at = &self.nodes[0];
        let mut pos = c.i;
        for i in 0..=N {
            let n = at
                .kids
                .iter()
                .map(|&n| &self.nodes[n as usize])
                .find(|n| n.lit.is_at(&self.bytes, b, pos))?;
            let value = pos + n.lit.len();
            if n.end {
                c.i = value;
                // Templates with the same literals differ by their type.
                let typed = n.ends.iter().find_map(|e| {
                    let (lit, seg, kind) = e.ty?;
                    let &at = starts.get(seg)?;
                    same_type(lit, &self.bytes, b, at).then_some((e.template, kind))
                });
                return typed.or(n.ends.first().map(|e| (e.template, Kind::Unknown)));
            }
            let (tok, next) = value_at(c, value, depth + 1)?;
            found(n.slot, tok);
            *starts.get_mut(i)? = tok.start;
            pos = next;
            at = n;
        }
        None
    }
}

//! What differs between the SQL engines: quoting, types, and the spelling of
//! each function the generated query needs. Everything else in `sql` is
//! written once, in terms of these.

use crate::check::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    DuckDb,
    Spark,
    Postgres,
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::DuckDb, Dialect::Spark, Dialect::Postgres];

    /// The engine's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "DuckDB",
            Dialect::Spark => "Spark SQL",
            Dialect::Postgres => "PostgreSQL",
        }
    }

    /// The name on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Spark => "spark",
            Dialect::Postgres => "postgres",
        }
    }

    /// The highest `{n}` the engine's regular expressions take.
    pub fn max_repeat(self) -> u32 {
        match self {
            Dialect::DuckDb => 1000,
            Dialect::Spark => 100_000,
            Dialect::Postgres => 255,
        }
    }

    /// A quoted identifier.
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::DuckDb | Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A string literal. Spark reads backslash escapes in literals; the
    /// others take the text as written.
    pub fn string(self, s: &str) -> String {
        match self {
            Dialect::Spark => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            Dialect::DuckDb | Dialect::Postgres => format!("'{}'", s.replace('\'', "''")),
        }
    }

    pub fn column_type(self, ty: Type) -> &'static str {
        match (self, ty) {
            (Dialect::DuckDb, Type::Text) => "VARCHAR",
            (Dialect::DuckDb, Type::Number) => "DOUBLE",
            (Dialect::DuckDb, Type::Bool) => "BOOLEAN",
            (Dialect::DuckDb, Type::Time) => "TIMESTAMPTZ",
            (Dialect::DuckDb, Type::TextList) => "VARCHAR[]",
            (Dialect::DuckDb, Type::NumberList) => "DOUBLE[]",
            (Dialect::Spark, Type::Text) => "STRING",
            (Dialect::Spark, Type::Number) => "DOUBLE",
            (Dialect::Spark, Type::Bool) => "BOOLEAN",
            (Dialect::Spark, Type::Time) => "TIMESTAMP",
            (Dialect::Spark, Type::TextList) => "ARRAY<STRING>",
            (Dialect::Spark, Type::NumberList) => "ARRAY<DOUBLE>",
            (Dialect::Postgres, Type::Text) => "text",
            (Dialect::Postgres, Type::Number) => "double precision",
            (Dialect::Postgres, Type::Bool) => "boolean",
            (Dialect::Postgres, Type::Time) => "timestamptz",
            (Dialect::Postgres, Type::TextList) => "text[]",
            (Dialect::Postgres, Type::NumberList) => "double precision[]",
        }
    }

    /// A time as whole microseconds since the epoch (a 64-bit integer).
    pub fn epoch_us(self, x: &str) -> String {
        match self {
            Dialect::DuckDb => format!("epoch_us({x})"),
            Dialect::Spark => format!("unix_micros({x})"),
            Dialect::Postgres => format!("CAST(EXTRACT(EPOCH FROM {x}) * 1000000 AS bigint)"),
        }
    }

    /// The query's start time, in microseconds.
    pub fn now_us(self) -> String {
        match self {
            Dialect::DuckDb => self.epoch_us("current_timestamp"),
            Dialect::Spark => self.epoch_us("current_timestamp()"),
            Dialect::Postgres => self.epoch_us("now()"),
        }
    }

    /// Integer division, truncating, of two 64-bit integers.
    pub fn int_div(self, a: &str, b: &str) -> String {
        match self {
            Dialect::DuckDb => format!("(({a}) // ({b}))"),
            Dialect::Spark => format!("(({a}) div ({b}))"),
            Dialect::Postgres => format!("(({a}) / ({b}))"),
        }
    }

    /// An exact integer type wide enough for the decay's tie-breaking.
    pub fn wide_int(self) -> &'static str {
        match self {
            Dialect::DuckDb => "HUGEINT",
            Dialect::Spark => "DECIMAL(38,0)",
            Dialect::Postgres => "numeric",
        }
    }

    /// Truncating division of two exact wide integers, as a 64-bit integer.
    pub fn wide_div(self, a: &str, b: &str) -> String {
        match self {
            Dialect::DuckDb => format!("CAST(({a}) // ({b}) AS BIGINT)"),
            Dialect::Spark => format!("CAST(({a}) div ({b}) AS BIGINT)"),
            Dialect::Postgres => format!("CAST(div({a}, {b}) AS bigint)"),
        }
    }

    /// How many digits the exact decay arithmetic may use (HUGEINT and
    /// DECIMAL(38) hold 38; PostgreSQL's numeric more, but 37 already covers
    /// every value where a rounding tie can occur).
    pub fn wide_digits(self) -> u32 {
        match self {
            Dialect::DuckDb | Dialect::Spark | Dialect::Postgres => 37,
        }
    }

    pub fn double(self, x: f64) -> String {
        let s = format!("{x:?}");
        match self {
            Dialect::Postgres => format!("CAST('{s}' AS double precision)"),
            Dialect::DuckDb | Dialect::Spark => format!("CAST('{s}' AS DOUBLE)"),
        }
    }

    pub fn to_double(self, x: &str) -> String {
        match self {
            Dialect::Postgres => format!("CAST({x} AS double precision)"),
            Dialect::DuckDb | Dialect::Spark => format!("CAST({x} AS DOUBLE)"),
        }
    }

    /// Hundredths (an integer) as an exact two-decimal number.
    pub fn cents(self, x: &str) -> String {
        match self {
            Dialect::Postgres => format!("CAST(CAST({x} AS numeric) / 100 AS numeric(20,2))"),
            Dialect::DuckDb | Dialect::Spark => {
                format!("CAST(CAST({x} AS DECIMAL(18,0)) * 0.01 AS DECIMAL(18,2))")
            }
        }
    }

    /// Does the regular expression (already translated) match anywhere?
    pub fn regex_match(self, v: &str, pattern: &str) -> String {
        let p = self.string(pattern);
        match self {
            Dialect::DuckDb => format!("regexp_matches({v}, {p})"),
            Dialect::Spark => format!("({v} RLIKE {p})"),
            Dialect::Postgres => format!("({v} ~ {p})"),
        }
    }

    fn replace_all(self, v: &str, pattern: &str, with: &str) -> String {
        let p = self.string(pattern);
        let w = self.string(with);
        match self {
            Dialect::Spark => format!("regexp_replace({v}, {p}, {w})"),
            Dialect::DuckDb | Dialect::Postgres => format!("regexp_replace({v}, {p}, {w}, 'g')"),
        }
    }

    /// leadscore's text normalisation: white space folded and trimmed,
    /// lower-cased; empty text is missing (NULL).
    ///
    /// `İ` and `Σ` are mapped first: leadscore lower-cases character by
    /// character with the full mapping (`İ` → `i̇`, `Σ` → `σ` wherever it
    /// stands), where the engines use the one-character mapping or
    /// (Java) the final-sigma rule.
    pub fn normalise(self, x: &str) -> String {
        let ws = super::regex::whitespace_run(self);
        let folded = self.replace_all(x, &ws, " ");
        let trimmed = match self {
            Dialect::Postgres => format!("btrim({folded}, ' ')"),
            Dialect::DuckDb | Dialect::Spark => format!("trim({folded})"),
        };
        let mapped = format!(
            "replace(replace({trimmed}, {}, {}), {}, {})",
            self.string("İ"),
            self.string("i\u{307}"),
            self.string("Σ"),
            self.string("σ")
        );
        format!("nullif(lower({mapped}), '')")
    }

    /// A `list of text` column: entries normalised, empty entries dropped,
    /// an empty list missing.
    pub fn text_list(self, col: &str) -> String {
        match self {
            Dialect::DuckDb => {
                let inner = format!(
                    "list_filter(list_transform({col}, lambda x: {}), lambda x: x IS NOT NULL)",
                    self.normalise("x")
                );
                format!("CASE WHEN len({inner}) > 0 THEN {inner} END")
            }
            Dialect::Spark => {
                let inner = format!(
                    "filter(transform({col}, x -> {}), x -> x IS NOT NULL)",
                    self.normalise("x")
                );
                format!("CASE WHEN size({inner}) > 0 THEN {inner} END")
            }
            Dialect::Postgres => format!(
                "(SELECT array_agg(n) FROM (SELECT {} AS n FROM unnest({col}) AS u(x)) AS s WHERE n IS NOT NULL)",
                self.normalise("u.x")
            ),
        }
    }

    /// A `list of number` column: NULL entries dropped, an empty list missing.
    pub fn number_list(self, col: &str) -> String {
        match self {
            Dialect::DuckDb => {
                let inner = format!("list_filter({col}, lambda x: x IS NOT NULL)");
                format!("CASE WHEN len({inner}) > 0 THEN {inner} END")
            }
            Dialect::Spark => {
                let inner = format!("filter({col}, x -> x IS NOT NULL)");
                format!("CASE WHEN size({inner}) > 0 THEN {inner} END")
            }
            Dialect::Postgres => {
                format!("(SELECT array_agg(u.x) FROM unnest({col}) AS u(x) WHERE u.x IS NOT NULL)")
            }
        }
    }

    pub fn list_contains(self, list: &str, item: &str) -> String {
        match self {
            Dialect::DuckDb => format!("list_contains({list}, {item})"),
            Dialect::Spark => format!("array_contains({list}, {item})"),
            Dialect::Postgres => format!("({item} = ANY({list}))"),
        }
    }

    pub fn contains(self, v: &str, lit: &str) -> String {
        let l = self.string(lit);
        match self {
            Dialect::DuckDb => format!("contains({v}, {l})"),
            Dialect::Spark => format!("(instr({v}, {l}) > 0)"),
            Dialect::Postgres => format!("(strpos({v}, {l}) > 0)"),
        }
    }

    pub fn starts_with(self, v: &str, lit: &str) -> String {
        let l = self.string(lit);
        let n = lit.chars().count();
        match self {
            Dialect::DuckDb => format!("starts_with({v}, {l})"),
            Dialect::Spark | Dialect::Postgres => format!("(left({v}, {n}) = {l})"),
        }
    }

    pub fn ends_with(self, v: &str, lit: &str) -> String {
        let l = self.string(lit);
        let n = lit.chars().count();
        match self {
            Dialect::DuckDb => format!("ends_with({v}, {l})"),
            Dialect::Spark | Dialect::Postgres => format!("(right({v}, {n}) = {l})"),
        }
    }

    /// The part after the last `@`, trimmed; missing when there is none.
    pub fn domain(self, v: &str) -> String {
        let p = self.string("@([^@]*)$");
        match self {
            Dialect::DuckDb | Dialect::Spark => {
                format!("nullif(trim(regexp_extract({v}, {p}, 1)), '')")
            }
            Dialect::Postgres => format!("nullif(btrim(substring({v} from {p}), ' '), '')"),
        }
    }

    /// An array of texts from the non-NULL items, in order.
    pub fn non_null_array(self, items: &[String]) -> String {
        match self {
            Dialect::DuckDb => format!(
                "CAST(list_filter([{}], lambda x: x IS NOT NULL) AS VARCHAR[])",
                items.join(", ")
            ),
            Dialect::Spark => {
                if items.is_empty() {
                    "CAST(array() AS ARRAY<STRING>)".into()
                } else {
                    format!("filter(array({}), x -> x IS NOT NULL)", items.join(", "))
                }
            }
            Dialect::Postgres => {
                format!("array_remove(ARRAY[{}]::text[], NULL)", items.join(", "))
            }
        }
    }

    /// Written before each common table expression's body. PostgreSQL
    /// would otherwise inline every step into the next, repeating each
    /// rule's expression wherever a later step names it.
    pub fn cte_keyword(self) -> &'static str {
        match self {
            Dialect::Postgres => "MATERIALIZED ",
            Dialect::DuckDb | Dialect::Spark => "",
        }
    }

    /// The text type, for casts.
    pub fn text_type(self) -> &'static str {
        self.column_type(Type::Text)
    }
}

//! The declarative oracle as SQL (`joincheck export-sql`): the same definition as this
//! module's parent states, written over a table of trace steps so that a SQL engine computes
//! the expected rows (and the loss against the ideal join) for a log too large for one
//! machine.
//!
//! The input is a table (or view) `steps(i, type, side, key, ts, id)`: one row per trace step,
//! `i` its position (any increasing numbering of the arrival order), the other columns as in
//! the trace format with `ts` in epoch milliseconds. The export's first statement creates it
//! from a JSON-lines trace (DuckDB: `read_json ... WITH ORDINALITY`; Spark:
//! `monotonically_increasing_id`, which increases with the file's order), or from a Parquet
//! file (a path ending in `.parquet`) that has the column `i`; replace it to read a table.
//! Then, as views:
//!
//! ```text
//! jc_arrival   every record before the first `end`, with the join watermark it met:
//!              per side, the running max over the steps strictly before it of
//!              ts - delay (derived; Flink's bounded out-of-orderness: ts - delay - 1) or of the
//!              explicit watermark steps (source = "trace"), combined by min or max
//! jc_admitted  the records that are not late (ts < wm, or ts <= wm)
//! jc_pairs     admitted left x admitted right, same key, right.ts - left.ts in [lo, hi]
//! jc_expected  (type, side, id, left_id, right_id, key): the pairs (or semi rows), the null
//!              rows of padded sides without a pair, the late rows
//! jc_loss      one row: the ideal join's pairs (every record, no lateness), how many are
//!              expected, and how many are lost because the left, the right or both records
//!              were late; for outer joins the ideal null rows, expected and late
//! ```
//!
//! With an actual output (`--actual`), `actual` reads it and `jc_audit` lists the rows
//! `missing` (expected, not emitted) and `extra` (emitted, not expected), as multisets, as
//! `joincheck diff` counts them.
//!
//! Which profiles: those whose `joincheck oracle` is this declarative oracle (`reference`,
//! `canary`, `flink-interval`, `flink-keyed-ttl`, `flink-keyed-fixed`). `spark`,
//! `flink-sql-interval` and `kafka-streams` print their engine's exact prediction (micro-batches,
//! late rows joined), which is not a query over the steps; the export refuses them. Times and
//! delays must stay within ±2^62 ms (the SQL is in 64-bit integers; joincheck saturates).

use crate::model::{JoinKind, JoinSpec, Lateness, Policy, Timing, WatermarkSource, WatermarkSpec};
use std::fmt::Write as _;

/// The SQL engine the export is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// DuckDB (1.x, 2.x).
    DuckDb,
    /// Spark SQL (3.x, 4.x).
    Spark,
}

impl Dialect {
    /// The dialect named `name` (`duckdb`, `spark`).
    pub fn from_name(name: &str) -> Option<Dialect> {
        match name {
            "duckdb" => Some(Dialect::DuckDb),
            "spark" => Some(Dialect::Spark),
            _ => None,
        }
    }

    /// `name` as a quoted identifier.
    fn quote(self, name: &str) -> String {
        match self {
            Dialect::DuckDb => format!("\"{name}\""),
            Dialect::Spark => format!("`{name}`"),
        }
    }

    /// A statement creating the view `name` over the JSON-lines file at `path`: `columns`
    /// with their SQL types, plus `i` (the line's position) when `numbered`.
    fn read_json(self, name: &str, path: &str, columns: &[(&str, &str)], numbered: bool) -> String {
        let quoted = path.replace('\'', "''");
        if path.ends_with(".parquet") {
            // Parquet carries its own types, and the position column `i` when numbered.
            let mut list: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
            if numbered {
                list.insert(0, "i");
            }
            let list = list.join(", ");
            return match self {
                Dialect::DuckDb => {
                    format!(
                        "CREATE OR REPLACE TEMPORARY VIEW {name} AS\nSELECT {list} FROM read_parquet('{quoted}');\n"
                    )
                }
                Dialect::Spark => format!(
                    "CREATE OR REPLACE TEMPORARY VIEW {name} AS\nSELECT {list} FROM parquet.`{}`;\n",
                    path.replace('`', "``")
                ),
            };
        }
        // Quoted: `left` and `right` are keywords.
        let list = columns
            .iter()
            .map(|(c, _)| self.quote(c))
            .collect::<Vec<_>>()
            .join(", ");
        match self {
            Dialect::DuckDb => {
                let types = columns
                    .iter()
                    .map(|(c, t)| format!("'{c}': '{t}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let (i, ordinality) = if numbered {
                    ("ordinality - 1 AS i, ", " WITH ORDINALITY")
                } else {
                    ("", "")
                };
                format!(
                    "CREATE OR REPLACE TEMPORARY VIEW {name} AS\nSELECT {i}{list}\nFROM read_json('{quoted}', \
                     format = 'newline_delimited', columns = {{{types}}}){ordinality};\n"
                )
            }
            Dialect::Spark => {
                // monotonically_increasing_id grows with the file's order (partition index,
                // then row): ranking it numbers the lines.
                let casts = columns
                    .iter()
                    .map(|(c, t)| format!("CAST({q} AS {}) AS {q}", spark_type(t), q = self.quote(c)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let source = format!("SELECT * FROM json.`{}`", path.replace('`', "``"));
                if numbered {
                    format!(
                        "CREATE OR REPLACE TEMPORARY VIEW {name} AS\nSELECT row_number() OVER (ORDER BY jc_mid) - 1 AS i, {casts}\n\
                         FROM (SELECT *, monotonically_increasing_id() AS jc_mid FROM ({source}) t) n;\n"
                    )
                } else {
                    format!("CREATE OR REPLACE TEMPORARY VIEW {name} AS\nSELECT {casts} FROM ({source}) t;\n")
                }
            }
        }
    }
}

/// Spark's name for a column type of the export.
fn spark_type(t: &str) -> &'static str {
    if t == "BIGINT" {
        "BIGINT"
    } else {
        "STRING"
    }
}

/// Why a model cannot be exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotDeclarative(pub String);

/// The SQL of `spec`'s oracle over the trace at `trace` (a JSON-lines file path, as the SQL
/// engine sees it), and with `actual` (an output file) the audit against it.
pub fn export(spec: &JoinSpec, dialect: Dialect, trace: &str, actual: Option<&str>) -> Result<String, NotDeclarative> {
    let p = &spec.params;
    if p.profile.predicts_engine() {
        return Err(NotDeclarative(format!(
            "the {} profile's oracle is its engine's exact prediction, not a query over the steps; \
             export-sql writes the declarative oracle (reference, canary, flink-interval, flink-keyed-ttl, \
             flink-keyed-fixed)",
            p.profile.name()
        )));
    }
    if !p.flushes_at_end() {
        return Err(NotDeclarative(
            "end_of_input = \"nothing\": whether a record's null row is due depends on the last \
             watermarks before the end, which the export does not compute yet; export the model with \
             end_of_input = \"flush\" (the rows differ only in null rows of records still waiting at the end)"
                .to_owned(),
        ));
    }
    let offset = match p.watermark.timing {
        Timing::PerRecord => 0,
        Timing::BoundedOutOfOrderness => 1,
        Timing::SqlPerRow | Timing::PerBatch => unreachable!("only engine-predicting profiles time so"),
    };
    let (lo, hi) = (p.bounds.lowest(), p.bounds.highest());
    let mut sql = String::new();
    let _ = writeln!(
        sql,
        "-- joincheck export-sql: the declarative oracle of model {} ({}).\n-- {}\n-- Input: steps(i, type, side, key, ts, id), \
         one row per trace step in arrival order; ts in epoch milliseconds.",
        spec.name,
        spec.file,
        spec.summary().replace('\n', " ")
    );
    sql += &dialect.read_json("steps", trace, STEP_COLUMNS, true);
    sql += &arrival_sql(&p.watermark, offset, lo, hi);
    sql += &expected_sql(p.kind);
    sql += &loss_sql(spec, lo, hi);
    if let Some(actual) = actual {
        sql += &dialect.read_json("actual", actual, ACTUAL_COLUMNS, false);
        sql += &audit_sql(dialect);
    }
    let _ = writeln!(
        sql,
        "SELECT type, side, id, left_id, right_id, key FROM jc_expected ORDER BY type, left_id, right_id, side, id;"
    );
    Ok(sql)
}

/// The columns of the `steps` table, with their SQL types.
const STEP_COLUMNS: &[(&str, &str)] = &[
    ("type", "VARCHAR"),
    ("side", "VARCHAR"),
    ("key", "VARCHAR"),
    ("ts", "BIGINT"),
    ("id", "VARCHAR"),
];

/// The columns of an actual output file, with their SQL types.
const ACTUAL_COLUMNS: &[(&str, &str)] = &[
    ("type", "VARCHAR"),
    ("side", "VARCHAR"),
    ("id", "VARCHAR"),
    ("left", "VARCHAR"),
    ("right", "VARCHAR"),
    ("key", "VARCHAR"),
];

/// `jc_end`, `jc_arrival`, `jc_admitted` and `jc_pairs`: each record before the end with the
/// join watermark it met (each input's derived one `offset` ms further back), whether that
/// made it late, and the pairs of the admitted ones within `[lo, hi]`.
fn arrival_sql(w: &WatermarkSpec, offset: i64, lo: i128, hi: i128) -> String {
    // A missing input watermark is MIN: under min it holds the join's back, under max it
    // does not count.
    let join_wm = match w.policy {
        Policy::Min => "CASE WHEN wm_left IS NULL OR wm_right IS NULL THEN NULL ELSE least(wm_left, wm_right) END",
        Policy::Max => "greatest(wm_left, wm_right)",
        // Each record against its own input's watermark.
        Policy::PerSide => "CASE WHEN side = 'left' THEN wm_left ELSE wm_right END",
    };
    let late = match w.lateness {
        Lateness::Strict => "wm IS NOT NULL AND ts < wm",
        Lateness::NonStrict => "wm IS NOT NULL AND ts <= wm",
        Lateness::Off => "FALSE",
    };
    format!(
        "CREATE OR REPLACE TEMPORARY VIEW jc_end AS\n\
         SELECT coalesce(min(i), 9223372036854775807) AS end_i FROM steps WHERE type = 'end';\n\
         CREATE OR REPLACE TEMPORARY VIEW jc_arrival AS\n\
         SELECT i, side, key, ts, id, wm, {late} AS late\n\
         FROM (SELECT i, type, side, key, ts, id, {join_wm} AS wm\n\
         \x20     FROM (SELECT i, type, side, key, ts, id, {wl} AS wm_left, {wr} AS wm_right\n\
         \x20           FROM steps WHERE i < (SELECT end_i FROM jc_end)\n\
         \x20           WINDOW w AS (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) s) a\n\
         WHERE type = 'record';\n\
         CREATE OR REPLACE TEMPORARY VIEW jc_admitted AS SELECT * FROM jc_arrival WHERE NOT late;\n\
         CREATE OR REPLACE TEMPORARY VIEW jc_pairs AS\n\
         SELECT l.id AS left_id, r.id AS right_id, l.key AS key\n\
         FROM jc_admitted l JOIN jc_admitted r ON l.key = r.key AND r.ts - l.ts BETWEEN {lo} AND {hi}\n\
         WHERE l.side = 'left' AND r.side = 'right';\n",
        wl = input_wm(w, offset, "left"),
        wr = input_wm(w, offset, "right"),
    )
}

/// The watermark of input `side` at each step: a running max over the steps strictly before.
fn input_wm(w: &WatermarkSpec, offset: i64, side: &str) -> String {
    match w.source {
        WatermarkSource::Derived => {
            let delay = w.delay[if side == "left" { 0 } else { 1 }].as_millis() + offset;
            format!("max(CASE WHEN type = 'record' AND side = '{side}' THEN ts - {delay} END) OVER w")
        }
        WatermarkSource::Trace => {
            format!("max(CASE WHEN type = 'watermark' AND (side = '{side}' OR side IS NULL) THEN ts END) OVER w")
        }
    }
}

/// `jc_expected`: the pairs (or semi rows) of a `kind` join, the null rows of its padded
/// sides' admitted records without a pair, and the late rows.
fn expected_sql(kind: JoinKind) -> String {
    let mut parts: Vec<String> = Vec::new();
    if kind == JoinKind::LeftSemi {
        parts.push(
            "SELECT DISTINCT 'match' AS type, CAST(NULL AS STRING) AS side, CAST(NULL AS STRING) AS id, \
             left_id, CAST(NULL AS STRING) AS right_id, key FROM jc_pairs"
                .into(),
        );
    } else {
        parts.push(
            "SELECT 'match' AS type, CAST(NULL AS STRING) AS side, CAST(NULL AS STRING) AS id, \
             left_id, right_id, key FROM jc_pairs"
                .into(),
        );
    }
    for (side, col) in [("left", "left_id"), ("right", "right_id")] {
        let s = if side == "left" {
            crate::event::Side::Left
        } else {
            crate::event::Side::Right
        };
        if kind.pads(s) {
            parts.push(format!(
                "SELECT 'unmatched', side, id, CAST(NULL AS STRING), CAST(NULL AS STRING), key FROM jc_admitted a\n\
                 \x20   WHERE side = '{side}' AND NOT EXISTS (SELECT 1 FROM jc_pairs p WHERE p.{col} = a.id)"
            ));
        }
    }
    parts.push(
        "SELECT 'late', side, id, CAST(NULL AS STRING), CAST(NULL AS STRING), key FROM jc_arrival WHERE late".into(),
    );
    format!(
        "CREATE OR REPLACE TEMPORARY VIEW jc_expected AS\n{};\n",
        parts.join("\nUNION ALL\n")
    )
}

/// `jc_actual` and `jc_audit`: the actual output's rows in `jc_expected`'s shape, and the
/// rows missing from it or extra in it, as multisets.
fn audit_sql(dialect: Dialect) -> String {
    // Output rows name a semi row "match" without "right"; a null row or late row by side
    // and id.
    let q = |c: &str| dialect.quote(c);
    format!(
        "CREATE OR REPLACE TEMPORARY VIEW jc_actual AS\n\
         SELECT type, CASE WHEN type = 'match' THEN NULL ELSE side END AS side, \
         CASE WHEN type = 'match' THEN NULL ELSE id END AS id, \
         CASE WHEN type = 'match' THEN {l} END AS left_id, CASE WHEN type = 'match' THEN {r} END AS right_id, key\n\
         FROM actual;\n\
         CREATE OR REPLACE TEMPORARY VIEW jc_audit AS\n\
         SELECT 'missing' AS finding, * FROM (SELECT * FROM jc_expected EXCEPT ALL SELECT * FROM jc_actual) m\n\
         UNION ALL\n\
         SELECT 'extra', * FROM (SELECT * FROM jc_actual EXCEPT ALL SELECT * FROM jc_expected) e;\n",
        l = q("left"),
        r = q("right"),
    )
}

/// `jc_loss`: the ideal join's pairs (every record before or after the end, no lateness) and
/// null rows, against the expected ones, by cause.
fn loss_sql(spec: &JoinSpec, lo: i128, hi: i128) -> String {
    let p = &spec.params;
    // Every record, late or not (records after the end are ideal too, and never late).
    let mut sql = format!(
        "CREATE OR REPLACE TEMPORARY VIEW jc_every AS\n\
         SELECT s.i, s.side, s.key, s.ts, s.id, coalesce(a.late, false) AS late, a.wm\n\
         FROM steps s LEFT JOIN jc_arrival a ON s.i = a.i WHERE s.type = 'record';\n\
         CREATE OR REPLACE TEMPORARY VIEW jc_ideal AS\n\
         SELECT l.id AS left_id, r.id AS right_id, l.late AS left_late, r.late AS right_late\n\
         FROM jc_every l JOIN jc_every r ON l.key = r.key AND r.ts - l.ts BETWEEN {lo} AND {hi}\n\
         WHERE l.side = 'left' AND r.side = 'right';\n"
    );
    let pair_counts = pair_counts_sql(p.kind == JoinKind::LeftSemi);
    let padded: Vec<(&str, &str)> = [
        ("left", "left_id", crate::event::Side::Left),
        ("right", "right_id", crate::event::Side::Right),
    ]
    .into_iter()
    .filter(|(_, _, s)| p.kind.pads(*s))
    .map(|(n, c, _)| (n, c))
    .collect();
    let outer = if padded.is_empty() {
        String::new()
    } else {
        null_rows_sql(&padded)
    };
    let _ = writeln!(
        sql,
        "CREATE OR REPLACE TEMPORARY VIEW jc_loss AS\nSELECT {pair_counts}{outer};"
    );
    sql
}

/// `jc_loss`'s columns of pairs (for a left semi join, of left records with a partner):
/// ideal, expected, and lost as late by side.
fn pair_counts_sql(semi: bool) -> &'static str {
    if semi {
        // Per left record with an ideal partner: expected when it and a partner are admitted;
        // lost as late when it, or every partner, was dropped.
        "(SELECT count(*) FROM (SELECT left_id FROM jc_ideal GROUP BY left_id) x) AS ideal,\n\
         \x20 (SELECT count(*) FROM (SELECT left_id FROM jc_ideal GROUP BY left_id \
         HAVING bool_or(NOT left_late AND NOT right_late)) x) AS expected,\n\
         \x20 (SELECT count(*) FROM (SELECT left_id FROM jc_ideal GROUP BY left_id \
         HAVING bool_and(left_late)) x) AS late_left,\n\
         \x20 (SELECT count(*) FROM (SELECT left_id FROM jc_ideal GROUP BY left_id \
         HAVING NOT bool_or(left_late) AND bool_and(right_late)) x) AS late_right,\n\
         \x20 0 AS late_both"
    } else {
        "(SELECT count(*) FROM jc_ideal) AS ideal,\n\
         \x20 (SELECT count(*) FROM jc_ideal WHERE NOT left_late AND NOT right_late) AS expected,\n\
         \x20 (SELECT count(*) FROM jc_ideal WHERE left_late AND NOT right_late) AS late_left,\n\
         \x20 (SELECT count(*) FROM jc_ideal WHERE right_late AND NOT left_late) AS late_right,\n\
         \x20 (SELECT count(*) FROM jc_ideal WHERE left_late AND right_late) AS late_both"
    }
}

/// `jc_loss`'s columns of null rows over the `padded` sides (each a side and its id column):
/// ideal, lost as late, and emitted for records whose match was lost.
fn null_rows_sql(padded: &[(&str, &str)]) -> String {
    let no_ideal = "NOT EXISTS (SELECT 1 FROM jc_ideal x WHERE x.{col} = e.id)";
    format!(
        ",\n\x20 {} AS null_rows_ideal,\n\x20 {} AS null_rows_late,\n\x20 {} AS null_rows_for_lost_matches",
        per_side(padded, "jc_every", no_ideal),
        per_side(padded, "jc_every", &format!("e.late AND {no_ideal}")),
        per_side(
            padded,
            "jc_admitted",
            "EXISTS (SELECT 1 FROM jc_ideal x WHERE x.{col} = e.id) \
             AND NOT EXISTS (SELECT 1 FROM jc_pairs x WHERE x.{col} = e.id)"
        ),
    )
}

/// A count over the `padded` sides of the rows of `from` that meet `cond`, each side's
/// records against its own id column (`{col}` in `cond`).
fn per_side(padded: &[(&str, &str)], from: &str, cond: &str) -> String {
    padded
        .iter()
        .map(|(side, col)| {
            format!(
                "(SELECT count(*) FROM {from} e WHERE e.side = '{side}'{}{})",
                if cond.is_empty() { "" } else { " AND " },
                cond.replace("{col}", col)
            )
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

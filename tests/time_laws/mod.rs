//! Laws of `joincheck::time`, checked with quickcheck.
//!
//! The arbitrary values come from [`Ms`], which picks an extreme (`i64::MIN`, `i64::MAX`, 0,
//! ±1, and their neighbours) a third of the time, a small multiple of a duration unit a third
//! of the time (so that `Duration`'s `h`/`m`/`s`/`d` renderings are exercised), and any `i64`
//! otherwise.

use joincheck::time::{Duration, EventTime, Watermark};
use quickcheck::{Arbitrary, Gen, QuickCheck};

/// How many cases each law runs.
const TESTS: u64 = 5_000;

fn check<A: quickcheck::Testable>(law: A) {
    QuickCheck::new().tests(TESTS).max_tests(TESTS * 10).quickcheck(law);
}

/// An `i64` of milliseconds, biased towards the values where arithmetic goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Ms(i64);

const EXTREMES: [i64; 11] = [
    i64::MIN,
    i64::MIN + 1,
    i64::MIN / 2,
    -1,
    0,
    1,
    i64::MAX / 2,
    i64::MAX - 1,
    i64::MAX,
    // the largest and smallest multiples of one day
    i64::MAX / 86_400_000 * 86_400_000,
    i64::MIN / 86_400_000 * 86_400_000,
];

const UNITS: [i64; 5] = [1, 1000, 60_000, 3_600_000, 86_400_000];

impl Arbitrary for Ms {
    fn arbitrary(g: &mut Gen) -> Ms {
        match u8::arbitrary(g) % 3 {
            0 => Ms(*g.choose(&EXTREMES).expect("not empty")),
            1 => {
                let unit = *g.choose(&UNITS).expect("not empty");
                Ms(i64::from(i16::arbitrary(g)) * unit)
            }
            _ => Ms(i64::arbitrary(g)),
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Ms>> {
        Box::new(self.0.shrink().map(Ms))
    }
}

impl Ms {
    fn t(self) -> EventTime {
        EventTime::from_millis(self.0)
    }

    fn d(self) -> Duration {
        Duration::from_millis(self.0)
    }

    fn w(self) -> Watermark {
        Watermark::at(self.t())
    }
}

/// `v` clamped into `i64`.
fn clamp(v: i128) -> i64 {
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

fn fits(v: i128) -> bool {
    i64::try_from(v).is_ok()
}

#[test]
fn the_generator_reaches_the_extremes() {
    let mut g = Gen::new(100);
    let seen: Vec<i64> = (0..2_000).map(|_| Ms::arbitrary(&mut g).0).collect();
    for v in [i64::MIN, i64::MAX, 0, 1, -1] {
        assert!(seen.contains(&v), "{v} never generated");
    }
}

#[test]
fn saturating_add_is_the_clamped_exact_sum() {
    fn law(t: Ms, d: Ms) -> bool {
        let exact = i128::from(t.0) + i128::from(d.0);
        t.t().saturating_add(d.d()).as_millis() == clamp(exact)
    }
    check(law as fn(Ms, Ms) -> bool);
}

#[test]
fn saturating_sub_is_the_clamped_exact_difference() {
    fn law(t: Ms, d: Ms) -> bool {
        let exact = i128::from(t.0) - i128::from(d.0);
        t.t().saturating_sub(d.d()).as_millis() == clamp(exact)
    }
    check(law as fn(Ms, Ms) -> bool);
}

#[test]
fn saturating_add_is_monotone_in_both_arguments() {
    fn law(t1: Ms, t2: Ms, d1: Ms, d2: Ms) -> bool {
        let (ta, tb) = (t1.min(t2), t1.max(t2));
        let (da, db) = (d1.min(d2), d1.max(d2));
        // in the time, for a fixed duration
        ta.t().saturating_add(d1.d()) <= tb.t().saturating_add(d1.d())
            // in the duration, for a fixed time
            && t1.t().saturating_add(da.d()) <= t1.t().saturating_add(db.d())
            // in both at once
            && ta.t().saturating_add(da.d()) <= tb.t().saturating_add(db.d())
    }
    check(law as fn(Ms, Ms, Ms, Ms) -> bool);
}

#[test]
fn checked_add_is_none_exactly_when_the_sum_leaves_i64() {
    fn law(t: Ms, d: Ms) -> bool {
        let exact = i128::from(t.0) + i128::from(d.0);
        match t.t().checked_add(d.d()) {
            None => !fits(exact),
            Some(sum) => i128::from(sum.as_millis()) == exact,
        }
    }
    check(law as fn(Ms, Ms) -> bool);
}

#[test]
fn checked_sub_is_none_exactly_when_the_difference_leaves_i64() {
    fn law(t: Ms, d: Ms) -> bool {
        let exact = i128::from(t.0) - i128::from(d.0);
        match t.t().checked_sub(d.d()) {
            None => !fits(exact),
            Some(diff) => i128::from(diff.as_millis()) == exact,
        }
    }
    check(law as fn(Ms, Ms) -> bool);
}

#[test]
fn checked_and_saturating_add_agree_when_in_range() {
    fn law(t: Ms, d: Ms) -> bool {
        match t.t().checked_add(d.d()) {
            Some(sum) => t.t().saturating_add(d.d()) == sum,
            None => {
                let s = t.t().saturating_add(d.d());
                s == EventTime::MIN || s == EventTime::MAX
            }
        }
    }
    check(law as fn(Ms, Ms) -> bool);
}

#[test]
fn offset_to_is_the_exact_difference() {
    fn law(a: Ms, b: Ms) -> bool {
        let off = a.t().offset_to(b.t());
        off == i128::from(b.0) - i128::from(a.0)
            // antisymmetric, and zero on the diagonal
            && b.t().offset_to(a.t()) == -off
            && a.t().offset_to(a.t()) == 0
            // and adding it back lands on `b` whenever it fits a Duration
            && i64::try_from(off)
                .map(|o| a.t().checked_add(Duration::from_millis(o)) == Some(b.t()))
                .unwrap_or(true)
    }
    check(law as fn(Ms, Ms) -> bool);
}

#[test]
fn offset_to_orders_like_the_times() {
    fn law(a: Ms, b: Ms) -> bool {
        a.t().offset_to(b.t()).signum() == (b.t().cmp(&a.t()) as i128)
    }
    check(law as fn(Ms, Ms) -> bool);
}

#[test]
fn duration_display_parses_back() {
    fn law(d: Ms) -> bool {
        let text = d.d().to_string();
        text.parse::<Duration>() == Ok(d.d())
    }
    check(law as fn(Ms) -> bool);
}

#[test]
fn duration_display_is_a_descending_decomposition() {
    // "1d1h30m0.250"-style: units strictly descending, each below the next unit up, and the
    // parts add up to the value (the round-trip law checks the sum).
    fn law(d: Ms) -> bool {
        let text = d.d().to_string();
        let body = text.strip_prefix('-').unwrap_or(&text);
        let mut parts = Vec::new();
        let mut rest = body;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let unit_len = rest[digits..].bytes().take_while(u8::is_ascii_alphabetic).count();
            let (Ok(n), unit) = (rest[..digits].parse::<i128>(), &rest[digits..digits + unit_len]) else {
                return false;
            };
            parts.push((n, unit));
            rest = &rest[digits + unit_len..];
        }
        let rank = |u: &str| ["ms", "s", "m", "h", "d"].iter().position(|x| *x == u);
        let limit = |u: &str| match u {
            "ms" => 1000,
            "s" | "m" => 60,
            "h" => 24,
            _ => i128::MAX,
        };
        !parts.is_empty()
            && parts.windows(2).all(|w| rank(w[0].1) > rank(w[1].1))
            && parts
                .iter()
                .all(|(n, u)| rank(u).is_some() && (*n < limit(u)) && (*n > 0 || d.0 == 0))
    }
    check(law as fn(Ms) -> bool);
}

#[test]
fn duration_display_examples() {
    let show = |ms| Duration::from_millis(ms).to_string();
    assert_eq!(show(3_600_000), "1h");
    assert_eq!(show(-300_000), "-5m");
    assert_eq!(show(250), "250ms");
    assert_eq!(show(90_000), "1m30s");
    assert_eq!(show(5_400_000), "1h30m");
    assert_eq!(show(0), "0ms");
    assert_eq!(show(86_400_000), "1d");
    assert_eq!(show(3_600_001), "1h1ms");
    assert_eq!(show(i64::MAX), "106751991167d7h12m55s807ms");
}

#[test]
// Regression: from_str checked the magnitude against i64::MAX before applying the sign.
fn duration_min_display_parses_back() {
    let d = Duration::from_millis(i64::MIN);
    assert_eq!(d.to_string().parse::<Duration>(), Ok(d));
}

#[test]
fn event_time_display_never_panics() {
    fn law(t: Ms) -> bool {
        let text = t.t().to_string();
        !text.is_empty()
            && match t.0 {
                i64::MIN => text == "-inf",
                i64::MAX => text == "+inf",
                v => text.starts_with('-') == (v < 0),
            }
    }
    check(law as fn(Ms) -> bool);
    // and the watermark renders the same way
    fn same(t: Ms) -> bool {
        t.w().to_string() == t.t().to_string()
    }
    check(same as fn(Ms) -> bool);
}

#[test]
fn event_time_display_is_symmetric_around_zero() {
    fn law(t: Ms) -> bool {
        // Times that look like wall-clock times render as dates instead.
        if t.0 <= 0 || t.0 == i64::MAX || EventTime::from_millis(t.0).looks_like_wall_clock() {
            return true;
        }
        EventTime::from_millis(-t.0).to_string() == format!("-{}", t.t())
    }
    check(law as fn(Ms) -> bool);
}

#[test]
fn advance_if_ahead_never_moves_a_watermark_back() {
    fn law(start: Ms, steps: Vec<Ms>) -> bool {
        let mut w = start.w();
        for to in steps {
            let before = w;
            let moved = w.advance_if_ahead(to.w());
            if w < before || w != before.max(to.w()) || moved != (to.w() > before) {
                return false;
            }
        }
        true
    }
    check(law as fn(Ms, Vec<Ms>) -> bool);
}

#[test]
fn advance_to_accepts_every_value_not_behind() {
    fn law(a: Ms, b: Ms) -> bool {
        let (lo, hi) = (a.min(b), a.max(b));
        let mut w = lo.w();
        w.advance_to(hi.w());
        w == hi.w()
    }
    check(law as fn(Ms, Ms) -> bool);
}

#[test]
fn watermark_extremes_are_the_event_time_extremes() {
    assert_eq!(Watermark::MIN.time(), EventTime::MIN);
    assert_eq!(Watermark::MAX.time(), EventTime::MAX);
    fn law(t: Ms) -> bool {
        Watermark::MIN <= t.w() && t.w() <= Watermark::MAX && t.w().time() == t.t()
    }
    check(law as fn(Ms) -> bool);
}

//! Event time, durations and watermarks.
//!
//! Every time-like value is a newtype over `i64` milliseconds. There is no way to add two
//! instants, and no arithmetic here wraps: it is either checked (`Option`) or saturating, and
//! comparisons that involve an offset are done exactly in `i128` (see [`EventTime::offset_to`]).
//! `i64::MIN` and `i64::MAX` are ordinary values of [`EventTime`]; for [`Watermark`] they mean
//! "before any watermark" and "end of input".

use std::fmt;
use std::str::FromStr;

/// An instant in event time: milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventTime(i64);

/// A signed span of time in milliseconds. Join bounds may be negative (a click up to one hour
/// *before* its impression); delays are validated to be non-negative where they are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(i64);

/// A lower bound on the event times still to come on one input, or on the join as a whole.
///
/// Starts at [`Watermark::MIN`] (nothing known) and only moves forward
/// ([`Watermark::advance_to`]); [`Watermark::MAX`] is the final watermark at end of input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Watermark(i64);

/// A reading of the processing-time (wall) clock, in milliseconds. Only TTL'd state looks at
/// it; it is a different clock from event time and never compared with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ProcessingTime(i64);

impl ProcessingTime {
    /// The processing time `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: i64) -> ProcessingTime {
        ProcessingTime(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }
}

impl EventTime {
    /// The earliest representable event time (`i64::MIN` ms); renders as `-inf`.
    pub const MIN: EventTime = EventTime(i64::MIN);
    /// The latest representable event time (`i64::MAX` ms); renders as `+inf`.
    pub const MAX: EventTime = EventTime(i64::MAX);

    /// The event time `ms` milliseconds after the Unix epoch (negative is before it).
    pub const fn from_millis(ms: i64) -> EventTime {
        EventTime(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// `self + d`, or `None` when the result leaves `i64`.
    pub fn checked_add(self, d: Duration) -> Option<EventTime> {
        self.0.checked_add(d.0).map(EventTime)
    }

    /// `self - d`, or `None` when the result leaves `i64`.
    pub fn checked_sub(self, d: Duration) -> Option<EventTime> {
        self.0.checked_sub(d.0).map(EventTime)
    }

    /// `self + d`, clamped to `[EventTime::MIN, EventTime::MAX]`.
    pub fn saturating_add(self, d: Duration) -> EventTime {
        EventTime(self.0.saturating_add(d.0))
    }

    /// `self - d`, clamped to `[EventTime::MIN, EventTime::MAX]`.
    pub fn saturating_sub(self, d: Duration) -> EventTime {
        EventTime(self.0.saturating_sub(d.0))
    }

    /// The exact signed distance `later - self` in milliseconds. `i128` holds every difference
    /// of two `i64`s, so this never overflows and never saturates.
    pub fn offset_to(self, later: EventTime) -> i128 {
        i128::from(later.0) - i128::from(self.0)
    }

    /// An exact time computed in `i128` (a time plus an offset), clamped into the `i64` range:
    /// timers and cleanup times past either end of time sit at that end.
    pub fn clamped(ms: i128) -> EventTime {
        let ms = ms.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
        EventTime(i64::try_from(ms).expect("clamped into the i64 range"))
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);
    /// The longest representable duration (`i64::MAX` ms).
    pub const MAX: Duration = Duration(i64::MAX);

    /// A duration of `ms` milliseconds; may be negative.
    pub const fn from_millis(ms: i64) -> Duration {
        Duration(ms)
    }

    /// The length in milliseconds, signed.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whether the duration is below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self + other`, or `None` when the sum leaves `i64`.
    pub fn checked_add(self, other: Duration) -> Option<Duration> {
        self.0.checked_add(other.0).map(Duration)
    }

    /// `self + other`, clamped to the `i64` range.
    pub fn saturating_add(self, other: Duration) -> Duration {
        Duration(self.0.saturating_add(other.0))
    }
}

impl Watermark {
    /// Before any watermark: every event time is still possible.
    pub const MIN: Watermark = Watermark(i64::MIN);
    /// End of input: no event time is still possible.
    pub const MAX: Watermark = Watermark(i64::MAX);

    /// The watermark that has reached event time `t`.
    pub const fn at(t: EventTime) -> Watermark {
        Watermark(t.0)
    }

    /// The event time the watermark has reached (`EventTime::MIN` / `MAX` at the extremes).
    pub const fn time(self) -> EventTime {
        EventTime(self.0)
    }

    /// The watermark's event time in milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Moves the watermark to `to`.
    ///
    /// # Panics
    /// When `to` is behind the current value: watermarks are monotone, and a caller that
    /// could see a regression must decide what it means (ignore it, or reject the input)
    /// before calling this.
    pub fn advance_to(&mut self, to: Watermark) {
        assert!(to >= *self, "watermark regression: {} -> {}", self.time(), to.time());
        self.0 = to.0;
    }

    /// Moves the watermark to `to` if that is ahead of it; returns whether it moved.
    pub fn advance_if_ahead(&mut self, to: Watermark) -> bool {
        if to > *self {
            self.0 = to.0;
            true
        } else {
            false
        }
    }
}

/// 2000-01-01T00:00:00Z and 2200-01-01T00:00:00Z in ms: event times between them look like
/// wall-clock times and render as dates.
const WALL_CLOCK: std::ops::Range<i64> = 946_684_800_000..7_258_118_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day count since 1970-01-01 (`civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl EventTime {
    /// Reads an RFC 3339 timestamp (`2026-12-01T10:15:00Z`, `2026-12-01T11:15:00.250+01:00`;
    /// `t` and a space are accepted for `T`, `z` for `Z`), exact to the millisecond: more
    /// fractional digits are allowed only as zeros, and leap seconds are refused.
    pub fn parse_rfc3339(text: &str) -> Result<EventTime, TimestampError> {
        use TimestampErrorKind as K;
        let bad = |kind: TimestampErrorKind| TimestampError {
            text: text.to_owned(),
            kind,
        };
        let b = text.as_bytes();
        let num = |from: usize, len: usize| -> Result<i64, TimestampError> {
            let part = b.get(from..from + len).ok_or_else(|| bad(K::TooShort))?;
            if !part.iter().all(u8::is_ascii_digit) {
                return Err(bad(K::MissingDigit));
            }
            Ok(part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
        };
        let sep = |at: usize, ok: &[u8]| match b.get(at) {
            Some(c) if ok.contains(c) => Ok(()),
            _ => Err(bad(K::Separators)),
        };
        let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
        sep(4, b"-")?;
        sep(7, b"-")?;
        // A date alone is its midnight, UTC.
        let date_only = b.len() == 10;
        if !date_only {
            sep(10, b"Tt ")?;
        }
        let (h, mi, sec) = if date_only {
            (0, 0, 0)
        } else {
            let clock = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
            sep(13, b":")?;
            sep(16, b":")?;
            clock
        };
        let days_in_month = match mo {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
            2 => 28,
            _ => return Err(bad(K::NoSuchMonth)),
        };
        if d < 1 || d > days_in_month || h > 23 || mi > 59 || sec > 59 {
            return Err(bad(K::NoSuchDateOrTime));
        }
        if date_only {
            return Ok(EventTime(days_from_civil(y, mo, d) * 86_400_000));
        }
        let mut at = 19;
        let mut millis = 0;
        if b.get(at) == Some(&b'.') {
            let digits = b[at + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return Err(bad(K::EmptyFraction));
            }
            let frac = &b[at + 1..at + 1 + digits];
            for (i, c) in frac.iter().enumerate() {
                let v = i64::from(c - b'0');
                match i {
                    0..=2 => millis = millis * 10 + v,
                    _ if v != 0 => return Err(bad(K::FinerThanMillisecond)),
                    _ => {}
                }
            }
            millis *= [100, 10, 1][digits.min(3) - 1];
            at += 1 + digits;
        }
        let offset_min = match b.get(at) {
            Some(b'Z' | b'z') if at + 1 == b.len() => 0,
            Some(c @ (b'+' | b'-')) if at + 6 == b.len() => {
                sep(at + 3, b":")?;
                let (oh, om) = (num(at + 1, 2)?, num(at + 4, 2)?);
                if oh > 23 || om > 59 {
                    return Err(bad(K::NoSuchOffset));
                }
                let m = oh * 60 + om;
                if *c == b'-' {
                    -m
                } else {
                    m
                }
            }
            _ => return Err(bad(K::NoZone)),
        };
        let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
        Ok(EventTime(secs * 1000 + millis))
    }

    /// The time as an RFC 3339 timestamp in UTC (`2026-12-01T10:15:00Z`, with `.250` when
    /// it has milliseconds), for years 0 to 9999; `None` outside them.
    pub fn rfc3339(self) -> Option<String> {
        let (days, ms) = (self.0.div_euclid(86_400_000), self.0.rem_euclid(86_400_000));
        let (y, mo, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            return None;
        }
        let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        let frac = if milli == 0 {
            String::new()
        } else {
            format!(".{milli:03}")
        };
        Some(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}{frac}Z"))
    }

    /// Whether the time lies between the years 2000 and 2200, where it reads as a wall-clock
    /// time (and renders as a date) rather than as a clock since the epoch.
    pub fn looks_like_wall_clock(self) -> bool {
        WALL_CLOCK.contains(&self.0)
    }
}

impl fmt::Display for EventTime {
    /// Event times render as a clock since the epoch, which is how the seed's traces are
    /// read: `11:50`, `11:50:03.250`, `d2 00:10` (two days in), `-00:05`; times that look like
    /// wall-clock times (years 2000 to 2200) as a UTC date and time, `2026-12-01 10:15`; the
    /// extremes are `-inf` and `+inf`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            i64::MIN => return f.write_str("-inf"),
            i64::MAX => return f.write_str("+inf"),
            _ => {}
        }
        if self.looks_like_wall_clock() {
            let (y, mo, d) = civil_from_days(self.0.div_euclid(86_400_000));
            let clock = EventTime(self.0.rem_euclid(86_400_000));
            return write!(f, "{y:04}-{mo:02}-{d:02} {clock}");
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        let ms = self.0.unsigned_abs();
        let (days, rem) = (ms / 86_400_000, ms % 86_400_000);
        let (h, rem) = (rem / 3_600_000, rem % 3_600_000);
        let (m, rem) = (rem / 60_000, rem % 60_000);
        let (s, milli) = (rem / 1000, rem % 1000);
        f.write_str(sign)?;
        if days > 0 {
            write!(f, "d{days} ")?;
        }
        write!(f, "{h:02}:{m:02}")?;
        if s != 0 || milli != 0 {
            write!(f, ":{s:02}")?;
        }
        if milli != 0 {
            write!(f, ".{milli:03}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Watermark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.time().fmt(f)
    }
}

impl fmt::Display for Duration {
    /// An exact rendering in the units [`Duration::from_str`] reads, largest first: `1h`,
    /// `10m`, `1h1ms`, `1d30m`, `250ms`, `-5m`, `0ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = i128::from(self.0);
        if ms == 0 {
            return f.write_str("0ms");
        }
        if ms < 0 {
            f.write_str("-")?;
        }
        let mut rest = ms.abs();
        for (unit, size) in UNITS.iter().rev() {
            if rest >= *size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

/// Units accepted in durations, smallest first.
const UNITS: [(&str, i128); 5] = [
    ("ms", 1),
    ("s", 1000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

/// Why a text is not an RFC 3339 timestamp that [`EventTime::parse_rfc3339`] reads: the text,
/// and what is wrong with it as a [`TimestampErrorKind`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampError {
    text: String,
    kind: TimestampErrorKind,
}

impl TimestampError {
    /// What is wrong with the text.
    pub fn kind(&self) -> TimestampErrorKind {
        self.kind
    }

    /// The text that was read.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// What is wrong, in words: the kind's, and for a fraction finer than a millisecond the
    /// digit that would be lost.
    fn words(&self) -> String {
        let why = self.kind.why().to_owned();
        if self.kind != TimestampErrorKind::FinerThanMillisecond {
            return why;
        }
        let fraction = self.text.get(20..).unwrap_or_default();
        let digits: Vec<char> = fraction.chars().take_while(char::is_ascii_digit).collect();
        match digits.iter().enumerate().skip(3).find(|(_, d)| **d != '0') {
            Some((i, d)) => format!(
                "{why}: its digit {d} at the {} place after the point would be lost; joincheck reads times to the millisecond",
                ordinal(i + 1)
            ),
            None => why,
        }
    }
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an RFC 3339 timestamp ({}); write e.g. \"2026-12-01T10:15:00Z\", \"2026-12-01\" or integer \
             milliseconds since the epoch",
            self.text,
            self.words()
        )
    }
}

impl std::error::Error for TimestampError {}

/// `1st`, `2nd`, `3rd`, `4th`, …
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// What is wrong with a timestamp's text ([`TimestampError::kind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimestampErrorKind {
    /// It ends before a field does.
    TooShort,
    /// A field has something other than a digit.
    MissingDigit,
    /// The separators are not those of `YYYY-MM-DDTHH:MM:SS`.
    Separators,
    /// The month is not 1 to 12.
    NoSuchMonth,
    /// The day is not in the month, or the time not in a day (leap seconds included).
    NoSuchDateOrTime,
    /// A `.` with no digits after it.
    EmptyFraction,
    /// A fractional digit past the millisecond is not 0.
    FinerThanMillisecond,
    /// The offset's hours or minutes are out of range.
    NoSuchOffset,
    /// No zone: `Z` or `+HH:MM` must end it.
    NoZone,
}

impl TimestampErrorKind {
    /// The kind in words, as the error's message gives it.
    pub fn why(self) -> &'static str {
        match self {
            TimestampErrorKind::TooShort => "too short",
            TimestampErrorKind::MissingDigit => "a digit is missing",
            TimestampErrorKind::Separators => "separators are YYYY-MM-DDTHH:MM:SS",
            TimestampErrorKind::NoSuchMonth => "no such month",
            TimestampErrorKind::NoSuchDateOrTime => "no such date or time of day",
            TimestampErrorKind::EmptyFraction => "a fraction needs digits",
            TimestampErrorKind::FinerThanMillisecond => "finer than a millisecond",
            TimestampErrorKind::NoSuchOffset => "no such offset",
            TimestampErrorKind::NoZone => "it needs a zone: Z or +HH:MM",
        }
    }
}

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The text was empty or only whitespace.
    #[error("empty duration; write e.g. \"250ms\", \"10m\" or \"1h\"")]
    Empty,
    /// The text is not a sequence of integer-and-unit parts (or a lone integer); holds the text.
    #[error("{0:?} is not a duration; write an integer and a unit: \"250ms\", \"90s\", \"10m\", \"1h\", \"1d\"")]
    Malformed(String),
    /// A part's unit is none of `ms`, `s`, `m`, `h`, `d`.
    #[error("unknown unit {unit:?} in {text:?}; units are ms, s, m, h, d")]
    UnknownUnit {
        /// The whole duration text.
        text: String,
        /// The unit that was not recognised.
        unit: String,
    },
    /// The total does not fit in `i64` milliseconds; holds the text.
    #[error("{0:?} does not fit in 64-bit milliseconds")]
    Overflow(String),
    /// A number other than 0 without a unit: seconds and milliseconds are both common, so
    /// joincheck does not guess; holds the text.
    #[error(
        "{0:?} has no unit; write \"{0}ms\" for milliseconds, or \"{0}s\", \"{0}m\"; only 0 may stand without one"
    )]
    NoUnit(String),
}

impl FromStr for Duration {
    type Err = DurationError;

    /// Reads `"250ms"`, `"10m"`, `"1h"`, `"1h30m"`, `"-5m"`, `"0"`. A number needs a unit, but
    /// for 0 (`"1200"` could be seconds or milliseconds: an error with a hint). Fractions and
    /// exponents are rejected rather than rounded.
    fn from_str(text: &str) -> Result<Duration, DurationError> {
        let s = text.trim();
        if s.is_empty() {
            return Err(DurationError::Empty);
        }
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        if body.is_empty() {
            return Err(DurationError::Malformed(text.to_owned()));
        }
        let mut total: i128 = 0;
        let mut rest = body;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(DurationError::Malformed(text.to_owned()));
            }
            let number: i128 = rest[..digits]
                .parse()
                .map_err(|_| DurationError::Overflow(text.to_owned()))?;
            rest = &rest[digits..];
            let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            let unit = &rest[..unit_len];
            rest = &rest[unit_len..];
            let size = if unit.is_empty() {
                // A bare number is only allowed on its own: "1h30" is ambiguous.
                if body.len() != digits {
                    return Err(DurationError::Malformed(text.to_owned()));
                }
                // And only 0: "1200" may mean seconds as well as milliseconds.
                if number != 0 {
                    return Err(DurationError::NoUnit(text.to_owned()));
                }
                1
            } else {
                UNITS
                    .iter()
                    .find(|(name, _)| *name == unit)
                    .map(|(_, size)| *size)
                    .ok_or_else(|| DurationError::UnknownUnit {
                        text: text.to_owned(),
                        unit: unit.to_owned(),
                    })?
            };
            // The magnitude may reach 2^63 when negative: i64::MIN is representable.
            total = number
                .checked_mul(size)
                .and_then(|v| total.checked_add(v))
                .filter(|v| *v <= i128::from(i64::MAX) + 1)
                .ok_or_else(|| DurationError::Overflow(text.to_owned()))?;
        }
        let signed = if negative { -total } else { total };
        // i64 is asymmetric; "-9223372036854775808ms" is representable, its positive is not.
        i64::try_from(signed)
            .map(Duration)
            .map_err(|_| DurationError::Overflow(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_render() {
        for (text, ms) in [
            ("250ms", 250),
            ("10m", 600_000),
            ("1h", 3_600_000),
            ("1h30m", 5_400_000),
            ("-5m", -300_000),
            ("0", 0),
            ("1d", 86_400_000),
        ] {
            let d: Duration = text.parse().unwrap();
            assert_eq!(d.as_millis(), ms, "{text}");
            assert_eq!(d.to_string().parse::<Duration>().unwrap(), d);
        }
        for bad in [
            "",
            "m",
            "1e99h",
            "1.5h",
            "10 minutes",
            "5x",
            "1h30",
            "--5m",
            "99999999999999999999d",
            "1200",
            "-5",
        ] {
            assert!(bad.parse::<Duration>().is_err(), "{bad:?} should be rejected");
        }
        let hint = "1200".parse::<Duration>().unwrap_err().to_string();
        assert!(hint.contains("\"1200ms\"") && hint.contains("\"1200s\""), "{hint}");
    }

    #[test]
    fn rfc3339_timestamps_read_and_render_exactly() {
        for (text, ms, back) in [
            ("1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z"),
            ("2024-01-01T01:00:00Z", 1_704_070_800_000, "2024-01-01T01:00:00Z"),
            (
                "2024-01-01T02:00:00.250+01:00",
                1_704_070_800_250,
                "2024-01-01T01:00:00.250Z",
            ),
            ("2024-02-29t23:59:59.5z", 1_709_251_199_500, "2024-02-29T23:59:59.500Z"),
            ("1969-12-31 23:59:59.999000-00:00", -1, "1969-12-31T23:59:59.999Z"),
            ("2026-12-01T10:15:00-05:30", 1_796_139_900_000, "2026-12-01T15:45:00Z"),
        ] {
            let t = EventTime::parse_rfc3339(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(t.as_millis(), ms, "{text}");
            assert_eq!(t.rfc3339().as_deref(), Some(back), "{text}");
            assert_eq!(EventTime::parse_rfc3339(back), Ok(t));
        }
        for bad in [
            "2024-01-01T01:00:00",
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T01:00:60Z",
            "2024-01-01T01:00:00.0001Z",
            "2024-01-01T01:00:00.Z",
            "2024-01-01T01:00:00+1:00",
            "2024-1-01T01:00:00Z",
            "1704070800000",
        ] {
            assert!(EventTime::parse_rfc3339(bad).is_err(), "{bad:?} should be rejected");
        }
        // The error says what is wrong, as a kind and in its message.
        use TimestampErrorKind as K;
        for (bad, kind) in [
            ("2024-01-01T01:00", K::TooShort),
            ("2024-01-01T01:00:00", K::NoZone),
            ("2024-02-30T00:00:00Z", K::NoSuchDateOrTime),
            ("2024-13-01T00:00:00Z", K::NoSuchMonth),
            ("2024-01-01T01:00:00.0001Z", K::FinerThanMillisecond),
            ("2024-01-01T01:00:00.Z", K::EmptyFraction),
            ("2024-1-01T01:00:00Z", K::MissingDigit),
            ("2024/01/01T01:00:00Z", K::Separators),
            ("2024-01-01T01:00:00+24:00", K::NoSuchOffset),
        ] {
            let e = EventTime::parse_rfc3339(bad).unwrap_err();
            assert_eq!((e.kind(), e.text()), (kind, bad));
            assert!(e.to_string().contains(kind.why()), "{e}");
        }
        // Every day of four centuries renders back to itself.
        for day in (-200 * 366..200 * 366).step_by(7) {
            let t = EventTime::from_millis(day * 86_400_000 + 12_345);
            assert_eq!(EventTime::parse_rfc3339(&t.rfc3339().unwrap()), Ok(t));
        }
    }

    #[test]
    fn dates_and_fractions_read_as_users_write_them() {
        let t = |text| EventTime::parse_rfc3339(text);
        assert_eq!(t("2026-12-01"), t("2026-12-01T00:00:00Z"));
        assert_eq!(t("2026-12-01T10:15:00.250000Z"), t("2026-12-01T10:15:00.250Z"));
        assert_eq!(t("2026-12-01T10:15:00.123000+00:00"), t("2026-12-01T10:15:00.123Z"));
        let e = t("2026-12-01T10:15:00.123456Z").unwrap_err().to_string();
        assert!(
            e.contains("its digit 4 at the 4th place after the point would be lost"),
            "{e}"
        );
        assert!(t("2026-12-1").is_err() && t("2026-02-30").is_err());
    }

    #[test]
    fn wall_clock_times_render_as_dates() {
        let t = |text| EventTime::parse_rfc3339(text).unwrap().to_string();
        assert_eq!(t("2026-12-01T10:15:00Z"), "2026-12-01 10:15");
        assert_eq!(t("2024-01-01T01:00:00.001Z"), "2024-01-01 01:00:00.001");
        assert_eq!(EventTime::from_millis(3_600_000).to_string(), "01:00");
    }

    #[test]
    fn times_render_as_clock() {
        let t = |ms| EventTime::from_millis(ms).to_string();
        assert_eq!(t(0), "00:00");
        assert_eq!(t(11 * 3_600_000 + 50 * 60_000), "11:50");
        assert_eq!(t(3_250), "00:00:03.250");
        assert_eq!(t(2 * 86_400_000 + 600_000), "d2 00:10");
        assert_eq!(t(-300_000), "-00:05");
        assert_eq!(t(i64::MIN), "-inf");
        assert_eq!(t(i64::MAX), "+inf");
    }

    #[test]
    #[should_panic(expected = "watermark regression")]
    fn watermark_regression_is_an_assert() {
        let mut w = Watermark::at(EventTime::from_millis(10));
        w.advance_to(Watermark::at(EventTime::from_millis(9)));
    }
}

"""The join a conformance recording runs, in joincheck's words and in each engine's SQL.

Both real-engine drivers (spark/driver.py, flink/driver.py) take a join as joincheck states it
in a model file, so that what was recorded and what joincheck predicts come from one text:

    --bounds "[0ms, 1h]"      right.ts - left.ts in the window; [ ] inclusive, ( ) exclusive
    --bounds "= 5m"           a time *equality*: right.ts = left.ts + 5m (written by the user
                              as an equality, which Spark plans differently from a range)
    --left-delay 10m --right-delay 10m     each side's watermark delay

Durations use joincheck's syntax: "250ms", "10m", "1h30m", "-5m", "0".  Left is the
impressions side, right the clicks side.
"""

import re

UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_PART = re.compile(r"(\d+)([a-z]*)")


def parse_duration(text):
    """joincheck's duration syntax -> integer milliseconds (ValueError when malformed)."""
    s = text.strip()
    neg = s.startswith("-")
    body = s[1:] if neg or s.startswith("+") else s
    if not body:
        raise ValueError(f"{text!r} is not a duration")
    if body.isdigit():
        return -int(body) if neg else int(body)
    total, pos = 0, 0
    while pos < len(body):
        m = _PART.match(body, pos)
        if not m or m.group(2) not in UNITS:
            raise ValueError(f"{text!r} is not a duration; write e.g. \"250ms\", \"10m\", \"1h30m\"")
        total += int(m.group(1)) * UNITS[m.group(2)]
        pos = m.end()
    return -total if neg else total


def show(ms):
    """Milliseconds in joincheck's duration syntax, largest units first ("1h30m", "-5m", "0ms")."""
    if ms == 0:
        return "0ms"
    sign, rest, parts = ("-" if ms < 0 else ""), abs(ms), []
    for unit in ("d", "h", "m", "s", "ms"):
        n, rest = divmod(rest, UNITS[unit])
        if n:
            parts.append(f"{n}{unit}")
    return sign + "".join(parts)


class Join:
    """A join condition on time plus the two watermark delays."""

    def __init__(self, bounds, left_delay, right_delay):
        self.bounds_text = bounds.strip()
        self.left_delay = parse_duration(left_delay)
        self.right_delay = parse_duration(right_delay)
        if self.left_delay < 0 or self.right_delay < 0:
            raise ValueError("watermark delays cannot be negative")
        b = self.bounds_text
        if b.startswith("="):
            self.equality = True
            self.lower = self.upper = parse_duration(b[1:])
            self.lower_inclusive = self.upper_inclusive = True
        else:
            self.equality = False
            if b[:1] not in "[(" or b[-1:] not in "])" or "," not in b:
                raise ValueError(f"{bounds!r} is not a window; write e.g. \"[0ms, 1h]\" or \"= 0ms\"")
            lo, hi = b[1:-1].split(",", 1)
            self.lower, self.upper = parse_duration(lo), parse_duration(hi)
            self.lower_inclusive, self.upper_inclusive = b[0] == "[", b[-1] == "]"
        if self.lowest > self.highest:
            raise ValueError(f"the window {bounds!r} holds no offset")

    @property
    def lowest(self):
        """The smallest right.ts - left.ts inside the window."""
        return self.lower + (0 if self.lower_inclusive else 1)

    @property
    def highest(self):
        """The largest right.ts - left.ts inside the window."""
        return self.upper - (0 if self.upper_inclusive else 1)

    def matches(self, left_ts, right_ts):
        return self.lowest <= right_ts - left_ts <= self.highest

    def bounds(self):
        """The window in a model file's syntax, normalised."""
        if self.equality:
            return f"= {show(self.lower)}"
        return (f"{'[' if self.lower_inclusive else '('}{show(self.lower)}, "
                f"{show(self.upper)}{']' if self.upper_inclusive else ')'}")

    def describe(self):
        return {
            "bounds": self.bounds(),
            "left_delay": show(self.left_delay),
            "right_delay": show(self.right_delay),
        }

    # --- Spark SQL ----------------------------------------------------------------------------

    def spark_condition(self, left_time="impressionTime", right_time="clickTime"):
        """The time part of the Spark join condition."""
        if self.equality:
            return f"{right_time} = {_spark_plus(left_time, self.lower)}"
        lo_op = ">=" if self.lower_inclusive else ">"
        hi_op = "<=" if self.upper_inclusive else "<"
        return (f"{right_time} {lo_op} {_spark_plus(left_time, self.lower)} AND "
                f"{right_time} {hi_op} {_spark_plus(left_time, self.upper)}")

    @staticmethod
    def spark_delay(ms):
        """A withWatermark delay string, exact to the millisecond."""
        return f"{ms} milliseconds"

    # --- Flink SQL ----------------------------------------------------------------------------

    def flink_condition(self, left="i", right="c"):
        """The time part of the Flink SQL join condition (rowtime columns `ts`)."""
        lt, rt = f"{left}.ts", f"{right}.ts"
        if self.equality:
            return f"{rt} = {_flink_plus(lt, self.lower)}"
        lo_op = ">=" if self.lower_inclusive else ">"
        hi_op = "<=" if self.upper_inclusive else "<"
        return f"{rt} {lo_op} {_flink_plus(lt, self.lower)} AND {rt} {hi_op} {_flink_plus(lt, self.upper)}"

    @staticmethod
    def flink_watermark(ms):
        """A WATERMARK FOR expression on the column `ts`."""
        return "ts" if ms == 0 else f"ts - {_flink_interval(ms)}"


def _spark_plus(column, ms):
    if ms == 0:
        return column
    op = "+" if ms > 0 else "-"
    return f"{column} {op} interval {abs(ms)} milliseconds"


def _flink_interval(ms):
    """A Flink SQL interval literal for a positive whole number of seconds or minutes."""
    if ms % 3_600_000 == 0 and ms // 3_600_000 <= 99:
        return f"INTERVAL '{ms // 3_600_000}' HOUR"
    if ms % 60_000 == 0 and ms // 60_000 <= 99:
        return f"INTERVAL '{ms // 60_000}' MINUTE"
    if ms % 1000 == 0 and ms // 1000 <= 99:
        return f"INTERVAL '{ms // 1000}' SECOND"
    raise ValueError(f"{show(ms)}: the Flink driver takes whole hours, minutes or seconds up to 99")


def _flink_plus(column, ms):
    if ms == 0:
        return column
    op = "+" if ms > 0 else "-"
    return f"{column} {op} {_flink_interval(abs(ms))}"

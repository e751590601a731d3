"""One human sentence per schedule, always naming its time zone.

Crons are described by ``cron_descriptor`` (24-hour clock, terse); intervals
and rrules in our own words. An rrule part we do not put into words makes the
sentence fall back to the rule text itself, so nothing is silently dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect_schedule_mcp.scheduling.durations import format_duration
from prefect_schedule_mcp.scheduling.normalize import cron_days
from prefect_schedule_mcp.scheduling.rrules import rule_parts
from prefect_schedule_mcp.scheduling.spec import ScheduleSpec

_FREQ_UNITS = {
    "YEARLY": "year",
    "MONTHLY": "month",
    "WEEKLY": "week",
    "DAILY": "day",
    "HOURLY": "hour",
    "MINUTELY": "minute",
    "SECONDLY": "second",
}
_DAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_WORDED = {"FREQ", "INTERVAL", "BYDAY", "BYHOUR", "BYMINUTE", "BYSECOND"}
_WORDED |= {"COUNT", "UNTIL", "BYMONTHDAY", "BYMONTH", "WKST"}


def describe(spec: ScheduleSpec) -> str:
    """A sentence such as "At 09:00, Monday through Friday (America/New_York)"."""
    if spec.kind == "cron":
        text = _describe_cron(spec.definition["cron"], spec.definition["day_or"])
    elif spec.kind == "interval":
        interval = timedelta(seconds=spec.definition["interval"])
        text = (
            f"Every {format_duration(interval)} from {spec.definition['anchor_date']}"
        )
    else:
        text = _describe_rrule(spec.definition["rrule"])
    return f"{text} ({spec.timezone})"


def _describe_cron(cron: str, day_or: bool) -> str:
    from cron_descriptor import ExpressionDescriptor, Options

    options = Options()
    options.use_24hour_time_format = True
    options.verbose = False
    try:
        fields = _days_as_run(cron, day_or).split()
        # Prefect's cron library reads a sixth field as seconds, the
        # describer reads seconds first.
        described = " ".join(fields[5:6] + fields[:5])
        text = str(ExpressionDescriptor(described, options).get_description())
    except Exception:  # the describer is cosmetic: never fail a tool on it
        return f"Cron '{cron}'"
    if not day_or and fields[2] != "*" and fields[4] != "*":
        text = text.replace(", or on ", ", but only if it is ")
    return text


def _days_as_run(cron: str, day_or: bool) -> str:
    """The cron with each day field that leaves every day open written ``*``.

    The describer reads ``0-7`` as "Sunday through Sunday" and ``?`` as a
    restriction; what counts is the days Prefect runs on (see
    :func:`.normalize.cron_days`). A field naming every day is ``*``; and
    when day_or joins it to a restricted field, every day runs, so both are.
    """
    days = cron_days(cron)
    fields = cron.split()
    if days.combined and day_or and (days.every_day_of_month or days.every_day_of_week):
        fields[2] = fields[4] = "*"
    if days.every_day_of_month:
        fields[2] = "*"
    if days.every_day_of_week:
        fields[4] = "*"
    elif "," in fields[4]:
        # 7 is Sunday too: "0,7" is one day, not "Sunday and Sunday".
        items = ["0" if item == "7" else item for item in fields[4].split(",")]
        fields[4] = ",".join(dict.fromkeys(items))
    return " ".join(fields)


def _describe_rrule(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    rules = [ln for ln in lines if ln.upper().startswith(("RRULE:", "FREQ="))]
    if len(rules) != 1 or any(
        ln.upper().startswith(("EXRULE", "RDATE")) for ln in lines
    ):
        return "Rule '" + " | ".join(lines) + "'"
    parts = rule_parts(rules[0].split(":", 1)[-1])
    if set(parts) - _WORDED or parts.get("FREQ") not in _FREQ_UNITS:
        return "Rule '" + " | ".join(lines) + "'"

    start = _dtstart(lines)
    unit = _FREQ_UNITS[parts["FREQ"]]
    every = int(parts.get("INTERVAL", "1"))
    words = [f"Every {unit}" if every == 1 else f"Every {every} {unit}s"]
    if "BYMONTH" in parts:
        months = [_MONTHS[int(m) - 1] for m in parts["BYMONTH"].split(",")]
        words.append("in " + _join(months))
    if "BYMONTHDAY" in parts:
        words.append(
            "on day " + _join(parts["BYMONTHDAY"].split(",")) + " of the month"
        )
    if "BYDAY" in parts:
        words.append("on " + _join([_day(d) for d in parts["BYDAY"].split(",")]))
    clock = _clock(parts, start)
    if clock:
        words.append(clock)
    if start is not None:
        words.append(f"starting {start.isoformat(timespec='seconds')}")
    if "COUNT" in parts:
        times = parts["COUNT"]
        words.append(f"{times} time" + ("" if times == "1" else "s"))
    if "UNTIL" in parts:
        words.append(f"until {_stamp(parts['UNTIL'])}")
    if exdates := [ln for ln in lines if ln.upper().startswith("EXDATE")]:
        excluded = sum(len(ln.split(":", 1)[1].split(",")) for ln in exdates)
        words.append(f"except {excluded} date" + ("" if excluded == 1 else "s"))
    return ", ".join(words)


def _day(token: str) -> str:
    code = token[-2:]
    prefix = token[:-2]
    name = _DAYS.get(code, token)
    if prefix and prefix.lstrip("+-").isdigit():
        nth = int(prefix)
        return f"the {_ORDINALS.get(nth, f'{nth}th')} {name}"
    return name


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _dtstart(lines: list[str]) -> datetime | None:
    for line in lines:
        if line.upper().startswith("DTSTART"):
            return _stamp_dt(line.split(":", 1)[1])
    return None


def _stamp_dt(value: str) -> datetime | None:
    value = value.strip().rstrip("Zz")
    for fmt in ("%Y%m%dT%H%M%S", "%Y%m%d"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _stamp(value: str) -> str:
    parsed = _stamp_dt(value)
    if parsed is None:
        return value
    suffix = " UTC" if value.upper().endswith("Z") else ""
    return parsed.isoformat(timespec="seconds") + suffix


def _clock(parts: dict[str, str], start: datetime | None) -> str:
    """'at 09:00' from BYHOUR/BYMINUTE, filling the rest from DTSTART."""
    freq = parts["FREQ"]
    if "BYHOUR" not in parts and freq in ("HOURLY", "MINUTELY", "SECONDLY"):
        if "BYMINUTE" in parts and freq == "HOURLY":
            return "at minute " + _join(parts["BYMINUTE"].split(","))
        return ""
    hours = parts.get("BYHOUR", str(start.hour) if start else None)
    minutes = parts.get("BYMINUTE", str(start.minute) if start else "0")
    if hours is None:
        return ""
    times = [
        f"{int(h):02d}:{int(m):02d}"
        for h in hours.split(",")
        for m in minutes.split(",")
    ]
    return "at " + _join(times)

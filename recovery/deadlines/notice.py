"""Reading a State Council holiday notice as an administrator types it: one day or one range
per line (`2027-10-01`, `2027-10-01..2027-10-07`, `2027-10-01 至 2027-10-07`). Pure."""

import re
from datetime import date, timedelta

_RANGE = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s*(?:(?:\.\.|至|到|~|～|—|--)\s*(\d{4}-\d{1,2}-\d{1,2}))?\s*$"
)
_MAX_RANGE_DAYS = 31


class NoticeError(ValueError):
    """A line that is not a day or a range within the notice's year; `line` counts from 1."""

    def __init__(self, line: int, text: str, reason: str) -> None:
        super().__init__(f"第 {line} 行“{text}”：{reason}")
        self.line = line
        self.text = text
        self.reason = reason


def _day(text: str, line: int, raw: str) -> date:
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError as exc:
        raise NoticeError(line, raw, "日期不存在（no such date）") from exc


def parse_days(text: str, year: int) -> frozenset[date]:
    """Every day listed in `text`, each of which must fall in `year`. Blank lines are skipped;
    `#` starts a comment (for the notice's own wording, e.g. `# 国庆节`)."""
    days: set[date] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        content = raw.split("#", 1)[0].strip()
        if not content:
            continue
        match = _RANGE.match(content)
        if match is None:
            raise NoticeError(
                number, raw.strip(), "应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD（a day or a range）"
            )
        first = _day(match.group(1), number, raw.strip())
        last = _day(match.group(2), number, raw.strip()) if match.group(2) else first
        if last < first:
            raise NoticeError(number, raw.strip(), "结束日早于开始日（range ends before it starts）")
        if (last - first).days >= _MAX_RANGE_DAYS:
            raise NoticeError(number, raw.strip(), "区间超过 31 天（range longer than 31 days）")
        if first.year != year or last.year != year:
            raise NoticeError(number, raw.strip(), f"不在 {year} 年内（not in {year}）")
        day = first
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)

"""Date expressions in an article, resolved against the article's date to a range, a UCDP precision
and the rule that resolved them.

The grammar is a handful of regular expressions over the words reporters use ("on Sunday", "last
week", "over the weekend", "May 10, 2017"); the calendar arithmetic is dateutil's relativedelta.
A date parser such as dateparser reads one string as one date; it neither finds expressions inside
running text nor knows that "last Monday" in a wire report means the Monday of the previous week,
so the finding and the conventions are ours, written once here and listed in docs/assist.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import MO, SU, relativedelta, weekday

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
MONTH_ABBREVIATIONS = {m[:3]: i for i, m in enumerate(MONTHS, start=1)} | {"sept": 9}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a few": 3, "few": 3, "several": 3}


@dataclass(frozen=True)
class DateRange:
    """A resolved date: first and last possible day, UCDP date_prec, and how it was resolved."""

    start: date
    end: date
    precision: int
    rule: str


@dataclass(frozen=True)
class DateMention:
    """A date expression found in a text, with its character offsets and resolution."""

    char_start: int
    char_end: int
    text: str
    resolved: DateRange
    kind: str = ""

    @property
    def deictic(self) -> bool:
        """Words that count from the moment of speaking ('this dawn', 'yesterday'): inside a
        quotation they count from the day the words were said, not the article's date."""
        return self.kind in DEICTIC


# Month and weekday names count only capitalised ("may" is a verb); everything else in any case.
DEICTIC = {"today", "yesterday", "currently"}
_WD = "(?-i:" + "|".join(w.title() for w in WEEKDAYS) + ")"
_MON = "(?-i:" + "|".join(m.title() for m in MONTHS) + "|" + "|".join(rf"{a.title()}\." for a in MONTH_ABBREVIATIONS) + ")"
_NUM = r"a few|few|several|an?|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,2}"
_PART = r"(?:\s+(?:morning|afternoon|evening|night))?"

# One alternative per kind of expression; the named group says which rule resolves it.
PATTERN = re.compile(
    "|".join((
        r"(?P<iso>\b\d{4}-\d{2}-\d{2}\b)",
        rf"(?P<between>\b(?:between|from)\s+(?:(?P<bm1>{_MON})\s+)?(?P<bd1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:and|to|-|–)\s+(?P<bd2>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+(?P<bm2>{_MON}))?(?:,?\s+(?P<by>\d{{4}}))?\b)",
        rf"(?P<wdpair>\b(?:on\s+)?(?P<wd1>{_WD})\s+and\s+(?P<wd2>{_WD})\b)",
        rf"(?P<partmonth>\b(?:(?:in|since|until|by|during)\s+)?(?:the\s+)?(?P<part>early|mid|late|end\s+of|beginning\s+of|start\s+of)[-\s]?(?P<pm>{_MON})(?!\s+\d))",
        rf"(?P<monthonly>\b(?:in|during|until|by|throughout)\s+(?P<mo>{_MON})(?![\w.]|\s+\d))",
        r"(?P<season>\b(?:(?:in|during|over)\s+)?(?:the\s+)?(?:(?P<smod>this|last|early|late)\s+)?(?P<sname>spring|summer|autumn|fall|winter)(?:\s+of\s+(?:(?P<slast>last\s+year)|(?P<syear>\d{4})))?\b)",
        r"(?P<recentmonths>\b(?:in|over|during)\s+(?:recent\s+months|the\s+(?:last|past)\s+(?:few|several|couple\s+of)\s+months)\b)",
        r"(?P<sameday>\b(?:minutes|hours|moments)\s+(?:earlier|later)\b|\b(?:earlier|later)\s+(?:in\s+the|that)\s+day\b|\bthroughout\s+the\s+day\b|\bthe\s+same\s+day\b)",
        rf"(?P<relday>\b(?P<rn>{_NUM})\s+days?\s+(?P<rdir>later|after|earlier|before)\b|\bthe\s+(?P<rnext>next|following|previous)\s+day\b)",
        rf"(?P<mdy>\b(?:on\s+)?(?:(?:{_WD}),?\s+)?(?:{_MON})\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?)",
        rf"(?P<dmy>\b(?:on\s+)?(?:(?:{_WD}),?\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MON})\b(?:,?\s+\d{{4}}\b)?)",
        rf"(?P<month>\b(?:(?:in|since|until|by)\s+)?(?:early\s+|mid-?|late\s+)?(?:{_MON})\s+\d{{4}}\b)",
        rf"(?P<weekday>\b(?:on\s+)?(?:(?P<wmod>last|this|next|early|late)\s+)?(?P<wd>{_WD}){_PART}\b)",
        r"(?P<weekend>\b(?:over|at|during)\s+the\s+weekend\b|\b(?:this|last)\s+weekend\b)",
        r"(?P<today>\b(?:earlier\s+)?(?:today|tonight|this\s+(?:dawn|morning|afternoon|evening))\b)",
        r"(?P<yesterday>\byesterday(?:\s+(?:morning|afternoon|evening))?\b|\blast\s+night\b)",
        r"(?P<currently>\bcurrently\b|\b(?:until|at)\s+this\s+(?:very\s+)?moment\b)",
        r"(?P<lastweek>\blast\s+week\b)",
        r"(?P<thisweek>\b(?:earlier\s+)?this\s+week\b)",
        r"(?P<thismonth>\b(?:earlier\s+)?this\s+month\b)",
        r"(?P<lastmonth>\blast\s+month\b)",
        r"(?P<thisyear>\b(?:earlier\s+)?this\s+year\b)",
        r"(?P<lastyear>\blast\s+year\b)",
        r"(?P<year>\b(?:in\s+)?(?:19|20)\d{2}\b(?!-\d))",
        r"(?P<fewdays>\b(?:in|over|during)\s+the\s+(?:last|past)\s+(?:few|several|couple\s+of)\s+days\b|\bin\s+recent\s+days\b)",
        r"(?P<fewweeks>\b(?:in|over|during)\s+(?:the\s+(?:last|past)\s+(?:few|several|couple\s+of)\s+weeks|recent\s+weeks)\b)",
        rf"(?P<ago>\b(?P<n>{_NUM})\s+(?P<unit>day|week|month|year)s?\s+ago\b)",
        rf"(?P<span>\b(?:the\s+(?:last|past)\s+)?(?P<sn>{_NUM})\s+(?P<sunit>day|week|month)s?\s+of\b)",
    )),
    re.IGNORECASE,
)


def _month(name: str) -> int:
    name = name.lower().rstrip(".")
    return MONTHS.index(name) + 1 if name in MONTHS else MONTH_ABBREVIATIONS[name]


def _number(word: str) -> int:
    word = word.lower()
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _precision(start: date, end: date, wanted: int) -> int:
    """The rule's precision, made consistent with the range's length (UCDP: 1 only for one day)."""
    days = (end - start).days + 1
    if days == 1:
        return 1
    widest = {2: 6, 3: 7, 4: 31, 5: 366}
    precision = max(wanted, 2)
    while precision < 5 and days > widest[precision]:
        precision += 1
    return precision


def _day(d: date, rule: str) -> DateRange:
    return DateRange(d, d, 1, rule)


def _range(start: date, end: date, wanted: int, rule: str) -> DateRange:
    return DateRange(start, end, _precision(start, end, wanted), rule)


def _explicit(text: str, ref: date) -> DateRange | None:
    month = _month(re.search(_MON, text).group(0))
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    year = next((n for n in numbers if n >= 1000), None)
    day = next((n for n in numbers if n < 1000), None)
    if month is None or day is None:
        return None
    try:
        if year is not None:
            return _day(date(year, month, day), "explicit date")
        found = date(ref.year, month, day)
    except ValueError:
        return None
    if found > ref:
        found = found.replace(year=ref.year - 1)
        return _day(found, "explicit day and month; year: the latest such day before the article's date")
    return _day(found, "explicit day and month; year of the article's date")


def resolve(match: re.Match, ref: date) -> DateRange | None:
    """Resolve one PATTERN match against the reference date (the article's date)."""
    kind, text = match.lastgroup, match.group(0)
    if kind == "iso":
        try:
            return _day(date.fromisoformat(text), "explicit ISO date")
        except ValueError:
            return None
    if kind in ("mdy", "dmy"):
        return _explicit(text, ref)
    if kind == "between":
        month = _month(match.group("bm1") or match.group("bm2"))
        year = int(match.group("by")) if match.group("by") else ref.year
        try:
            first, last = date(year, month, int(match.group("bd1"))), date(year, month, int(match.group("bd2")))
        except ValueError:
            return None
        if first > ref and not match.group("by"):
            first, last = first.replace(year=year - 1), last.replace(year=year - 1)
        return _range(first, last, 2, "the days named, in the month named") if first <= last else None
    if kind == "wdpair":
        wd1, wd2 = (WEEKDAYS.index(match.group(g).lower()) for g in ("wd1", "wd2"))
        last = ref + relativedelta(weekday=weekday(wd2)(-1))
        first = last - timedelta(days=(wd2 - wd1) % 7)
        return _range(first, last, 2, "the two weekdays named, the latest before the article's date")
    if kind == "partmonth":
        month = _month(match.group("pm"))
        year = ref.year if month <= ref.month else ref.year - 1
        part = match.group("part").lower().split()[0]
        days = {"early": (1, 10), "beginning": (1, 10), "start": (1, 10), "mid": (11, 20), "late": (21, 31), "end": (21, 31)}[part]
        first = date(year, month, days[0])
        last = min(first + relativedelta(day=days[1]), ref)
        return _range(first, last, 4, f"{part} {MONTHS[month - 1].title()}: days {days[0]}-{days[1]} (convention), the latest such month")
    if kind == "monthonly":
        month = _month(match.group("mo"))
        year = ref.year if month <= ref.month else ref.year - 1
        first = date(year, month, 1)
        return _range(first, min(first + relativedelta(day=31), ref), 4, "the month named, the latest before the article's date")
    if kind == "season":
        name = match.group("sname").lower()
        months = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}[name]
        year = int(match.group("syear")) if match.group("syear") else ref.year - 1 if match.group("slast") or (match.group("smod") or "").lower() == "last" else ref.year
        first = date(year, months, 1)
        if first > ref:
            first = first.replace(year=year - 1)
        last = min(first + relativedelta(months=2, day=31), ref)
        return _range(first, last, 5, f"{name} (three months from {first:%B} {first.year})")
    if kind == "recentmonths":
        return _range(ref - relativedelta(months=3), ref - timedelta(days=1), 5, "the three months before the article's date (convention for 'recent months')")
    if kind == "year":
        year = int(re.search(r"\d{4}", text).group(0))
        return _range(date(year, 1, 1), min(date(year, 12, 31), ref), 5, "the year named")
    if kind == "month":
        month = _month(re.search(_MON, text).group(0))
        year = int(re.search(r"\d{4}", text).group(0))
        first = date(year, month, 1)
        last = first + relativedelta(day=31)
        return _range(first, min(last, ref) if last >= ref >= first else last, 4, "month and year named")
    if kind == "weekday":
        wd = WEEKDAYS.index(match.group("wd").lower())
        mod = (match.group("wmod") or "").lower()
        if mod == "last":
            monday_before = ref + relativedelta(weekday=MO(-1)) - timedelta(days=7)
            return _day(monday_before + timedelta(days=wd), f"{WEEKDAYS[wd].title()} of the calendar week (Monday-Sunday) before the article's week")
        if mod == "next":
            return None
        found = ref + relativedelta(weekday=weekday(wd)(-1))
        rule = "the article's own day" if found == ref else f"the latest {WEEKDAYS[wd].title()} on or before the article's date"
        return _day(found, rule)
    if kind == "weekend":
        if ref.weekday() == 5:
            return _day(ref, "the weekend of the article's date (a Saturday)")
        sunday = ref + relativedelta(weekday=SU(-1))
        return _range(sunday - timedelta(days=1), sunday, 2, "the latest Saturday-Sunday weekend before the article's date")
    if kind == "today":
        return _day(ref, "the article's own day")
    if kind == "currently":
        return _day(ref, "present at the article's date")
    if kind == "yesterday":
        return _day(ref - timedelta(days=1), "the day before the article's date")
    if kind == "lastweek":
        monday = ref + relativedelta(weekday=MO(-1)) - timedelta(days=7)
        return _range(monday, monday + timedelta(days=6), 3, "the calendar week (Monday-Sunday) before the article's week")
    if kind == "thisweek":
        monday = ref + relativedelta(weekday=MO(-1))
        if monday == ref:
            return _range(ref - timedelta(days=6), ref, 3, "the seven days up to the article's date (published on a Monday)")
        return _range(monday, ref, 3, "Monday of the article's week up to the article's date")
    if kind == "thismonth":
        first = ref.replace(day=1)
        earlier = text.lower().startswith("earlier")
        end = ref - timedelta(days=1) if earlier and ref.day > 1 else ref
        return _range(first, end, 4, "first of the article's month up to " + ("the day before the article's date" if earlier else "the article's date"))
    if kind == "lastmonth":
        first = ref.replace(day=1) - relativedelta(months=1)
        return _range(first, first + relativedelta(day=31), 4, "the calendar month before the article's month")
    if kind == "thisyear":
        return _range(ref.replace(month=1, day=1), ref, 5, "first of January up to the article's date")
    if kind == "lastyear":
        return _range(date(ref.year - 1, 1, 1), date(ref.year - 1, 12, 31), 5, "the calendar year before the article's")
    if kind == "fewdays":
        return _range(ref - timedelta(days=3), ref, 2, "the three days before the article's date and that day (convention for 'the last few days')")
    if kind == "fewweeks":
        return _range(ref - timedelta(days=28), ref - timedelta(days=1), 4, "the four weeks before the article's date (convention for 'recent weeks')")
    if kind == "ago":
        n, unit = _number(match.group("n")), match.group("unit").lower()
        vague = match.group("n").lower() in ("a few", "few", "several")
        if unit == "day":
            return _day(ref - timedelta(days=n), f"{n} days before the article's date") if not vague else _range(ref - timedelta(days=6), ref - timedelta(days=2), 2, "a few days before the article's date (2-6 days)")
        if unit == "week":
            monday = ref + relativedelta(weekday=MO(-1)) - timedelta(days=7 * n)
            return _range(monday, monday + timedelta(days=6), 3, f"the calendar week {n} weeks before the article's week")
        if unit == "month":
            first = ref.replace(day=1) - relativedelta(months=n)
            if vague:
                return _range(ref - relativedelta(months=6), ref - relativedelta(months=2), 5, "a few months before the article's date (2-6 months)")
            return _range(first, first + relativedelta(day=31), 4, f"the calendar month {n} months before the article's month")
        return _range(date(ref.year - n, 1, 1), date(ref.year - n, 12, 31), 5, f"the calendar year {n} years before the article's")
    if kind == "span":
        n, unit = _number(match.group("sn")), match.group("sunit").lower()
        start = ref - (relativedelta(days=n) if unit == "day" else relativedelta(weeks=n) if unit == "week" else relativedelta(months=n))
        return _range(start, ref, {"day": 2, "week": 3, "month": 4}[unit], f"{n} {unit}s up to the article's date")
    return None


# The words an expression can begin with. PATTERN is tried only where one of them stands: an
# alternation of this size tried at every character is four times slower.
TRIGGER = re.compile(
    r"\b(?=\d|(?i:on|last|this|next|early|late|mid|over|at|during|earlier|today|tonight|yesterday|currently|until|in|since|by|"
    r"the|an?|one|two|three|four|five|six|seven|eight|nine|ten|few|several|between|from|throughout|minutes|hours|moments|later|"
    r"spring|summer|autumn|fall|winter|end|beginning|start)\b|" + _WD + r"\b|" + _MON + ")")


def _matches(text: str):
    pos = 0
    for trigger in TRIGGER.finditer(text):
        if trigger.start() >= pos:
            match = PATTERN.match(text, trigger.start())
            if match:
                pos = match.end()
                yield match


def find_dates(text: str, ref: date) -> list[DateMention]:
    """Every date expression in `text` that resolves against `ref`, in order of appearance."""
    found = []
    anchor = ref  # the last single day the text named: 'two days later', 'earlier in the day' count from it
    for match in _matches(text):
        resolved = _relative(match, anchor) if match.lastgroup in ("sameday", "relday") else resolve(match, ref)
        if resolved is None or resolved.start > ref:
            continue
        start = match.start()
        since = re.search(r"\b(?:since|from)\s+$", text[max(0, start - 8):start], re.IGNORECASE)
        if since and match.lastgroup not in ("span", "fewdays", "fewweeks", "currently", "today"):
            start -= len(since.group(0))
            resolved = _range(resolved.start, ref, 2, f"from {resolved.rule} up to the article's date")
        found.append(DateMention(start, match.end(), text[start:match.end()], resolved, match.lastgroup))
        if resolved.precision == 1:
            anchor = resolved.start
    return found


def _relative(match: re.Match, anchor: date) -> DateRange:
    """Words that count from the day the text last named: 'earlier in the day' is that day; 'two
    days later' two days after it; 'a day after <something>' dates the something a day before it."""
    if match.lastgroup == "sameday":
        return _day(anchor, "the day the text last named")
    if match.group("rnext"):
        step = -1 if match.group("rnext").lower() == "previous" else 1
    else:
        n = _number(match.group("rn"))
        step = {"later": n, "before": n, "after": -n, "earlier": -n}[match.group("rdir").lower()]
    return _day(anchor + timedelta(days=step), f"{abs(step)} day(s) {'after' if step > 0 else 'before'} the day the text last named ({anchor})")


def resolve_again(mention: DateMention, ref: date, why: str) -> DateMention:
    """The same words resolved against another reference day (the day a quotation was said)."""
    resolved = resolve(PATTERN.fullmatch(mention.text), ref)
    rule = f"{'the day before ' if resolved.start < ref else ''}{why} ({ref.isoformat()})"
    return DateMention(mention.char_start, mention.char_end, mention.text, DateRange(resolved.start, resolved.end, resolved.precision, rule), mention.kind)


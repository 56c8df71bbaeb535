"""Coding rules: the checks that keep each class of miscoding found in the 0.1.0 audit from coming
back (ACLED's one actor pair per row and inter codes, battles with an opponent, statements that are
not events, summaries that say more than their evidence, dates against their words, counted events
that are coded, conflicting claims recorded on both sides, parents of the right kind) and the
retired-rows table that keeps ids stable.

Each rule reads the typed tables and appends located problems; none writes anything. The rules
work on whole columns (merges and group-bys), so they cost little at a million events.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

import numpy as np
import pandas as pd

from badia.dataset.codes import ACLED_INTER, PARENT_KINDS
from badia.dataset.tables import Table
from badia.problems import Problem

PRIMARY_ROLES = ("actor1", "actor2")
# Words by which someone tells of something: an event whose every report is built on one of them
# (and that is not itself a change of activity or a disrupted weapon) is a statement, not an event.
SPEECH = re.compile(r"\b(?:told|tells|said|says|say|announced|announces|announce|warned|warns|stated|states|declared)\b", re.I)
STATEMENT_SUB_TYPES = ("Other",)
# A deed the attribution reports as done ("said they had linked up"), not more words ("has stated").
REPORTED_DEED = re.compile(r"\b(?:had|has|have)\s+(?:\w+\s+)?(?!(?:told|said|announced|warned|stated|declared)\b)\w+(?:ed|en|wn|ot|un|ne|ht)\b", re.I)
# Words of force a summary may use only when one of the event's evidence spans has a word of the
# same kind ("struck" is not "destroyed", "withdrew" is not "was pushed out"): (summary, evidence).
OVERSTATEMENTS = {
    "destroyed": (r"\bdestr(?:oy|uct)\w*", r"\bdestr(?:oy|uct)\w*"),
    "killed": (r"\b(?:kill\w*|dead|died|deaths?|fatalit\w*)\b", r"\b(?:kill\w*|dead|died|deaths?|fatalit\w*|bodies)\b"),
    "wounded": (r"\b(?:wound\w*|injur\w*)", r"\b(?:wound\w*|injur\w*)"),
    "drove out": (r"\b(?:push\w*|drove|driv\w*|forc\w*)\s+(?!(?:north|south|east|west)\w*\b)(?:\w+\s+){0,3}?out\b|\b(?:expel\w*|oust\w*)", r"\b(?:push|drove|driv|forc|expel|oust)\w*"),
    "routed": (r"\b(?:defeat\w*|rout(?:ed|ing)?|overr[au]n\w*|crush\w*)\b", r"\b(?:defeat|rout|overr[au]n|crush|victor)\w*"),
}
# Units of a count claim that counts events: the article says how many there were.
EVENT_COUNT_UNITS = ("strikes", "air strikes", "attacks", "clashes", "battles", "events", "raids")
# A photo caption's line: a credit ("Photo courtesy of ...", "[Name / Agency]", "[file photo-AFP]")
# or a trailing "/May 10, 2017". Captions describe a picture; they are not the evidence of events.
CAPTION_LINE = re.compile(r"photo courtesy|\[[^\]\n]*(?:/|photo)[^\]\n]*\]\s*$|/\s*[A-Z][a-z]+ \d{1,2}, \d{4}\s*$", re.I)
CONFLICT_NOTE = re.compile(r"CONFLICTS with (c[a-z0-9_.-]*[a-z0-9])", re.I)
# A relative date's window against the article's date, as CURATION_NOTES and the annotation guide
# read it (a calendar week is Monday-Sunday). Only expressions whose window is a calendar fact.
WINDOWS = {
    "this week": lambda day: (day - timedelta(days=day.weekday()), day),
    "last week": lambda day: (day - timedelta(days=day.weekday() + 7), day - timedelta(days=day.weekday() + 1)),
    "over the weekend": lambda day: (day, day) if day.weekday() == 5 else _weekend_before(day),
}


def _weekend_before(day):
    """The Saturday-Sunday weekend ending on the latest Sunday on or before `day`."""
    sunday = day - timedelta(days=(day.weekday() + 1) % 7)
    return sunday - timedelta(days=1), sunday


def check_coding(tables: dict[str, Table], texts: Mapping[str, str], problems: list[Problem]) -> None:
    check_captions(tables, texts, problems)
    for rule in (check_actor_pairs, check_battles_have_opponents, check_parent_kinds, check_statements, check_summaries,
                 check_date_windows, check_inferred_precision, check_counted_events, check_conflicts, check_retired_rows):
        rule(tables, problems)


def _col(table: Table, name: str) -> int:
    return table.resource.field_names.index(name) + 1


def _frame(tables: dict[str, Table], *names: str) -> list[Table] | None:
    found = [tables.get(n) for n in names]
    return None if any(t is None for t in found) else found


def check_actor_pairs(tables: dict[str, Table], problems: list[Problem]) -> None:
    """One actor pair per event (a second actor1 or actor2 is a second event), and every actor
    standing as actor1/actor2 has an ACLED inter code (else the event has no interaction code)."""
    found = _frame(tables, "event_actors")
    if found is None:
        return
    (links,) = found
    frame = links.frame
    primary = frame["role"].isin(PRIMARY_ROLES).fillna(False).to_numpy(bool)
    again = frame[primary].duplicated(["event_id", "role"], keep="first")
    for i in np.flatnonzero(primary)[again.to_numpy(bool)]:
        role, event = frame["role"].iloc[i], frame["event_id"].iloc[i]
        problems.append(Problem(links.path, f"event '{event}' has a second {role} ('{frame['actor_id'].iloc[i]}'): ACLED codes one actor pair per event",
                                f"split the event in two (one per opposing actor, same day and place allowed) and retire the old id in data/retired_rows.csv, or make this actor an assoc_actor_{role[-1]}",
                                line=links.line(i), column="role", col=_col(links, "role"), value=role, code="acled.one-pair"))
    actors = tables.get("actors")
    if actors is None:
        return
    no_inter = set(actors.frame.loc[actors.frame["acled_inter"].isna(), "actor_id"].dropna())
    used = frame[primary & frame["actor_id"].isin(no_inter).fillna(False).to_numpy(bool)]
    if used.empty:
        return
    counts = used.groupby("actor_id")["event_id"].nunique()
    codes = ", ".join(f"{k} {v}" for k, v in ACLED_INTER.items())
    for i in np.flatnonzero(actors.frame["actor_id"].isin(counts.index).fillna(False).to_numpy(bool)):
        actor = actors.frame["actor_id"].iloc[i]
        problems.append(Problem(actors.path, f"actor '{actor}' stands as actor1/actor2 in {counts[actor]} event(s) but has no acled_inter, so those events have no interaction code",
                                f"give it its ACLED inter code ({codes}), or code the events with an actor that has one",
                                line=actors.line(i), column="acled_inter", col=_col(actors, "acled_inter"), code="acled.inter-missing"))


def check_battles_have_opponents(tables: dict[str, Table], problems: list[Problem]) -> None:
    """A battle is fought against someone: territory taken with no opponent named is a
    Strategic development (Non-violent transfer of territory), not a battle."""
    found = _frame(tables, "events", "event_actors")
    if found is None:
        return
    events, links = found
    frame = events.frame
    with_actor2 = links.frame.loc[(links.frame["role"] == "actor2").fillna(False), "event_id"]
    lonely = (frame["event_type"] == "Battles").fillna(False).to_numpy(bool) & ~frame["event_id"].isin(set(with_actor2.dropna())).to_numpy(bool)
    for i in np.flatnonzero(lonely):
        problems.append(Problem(events.path, f"event '{frame['event_id'].iloc[i]}' is a battle with no actor2",
                                "add the opponent the text names as actor2 in data/event_actors.csv; if it names none, territory taken is "
                                "'Strategic developments' / 'Non-violent transfer of territory'",
                                line=events.line(i), column="event_type", col=_col(events, "event_type"), value="Battles", code="acled.battle-no-opponent"))


def check_parent_kinds(tables: dict[str, Table], problems: list[Problem]) -> None:
    """A parent must be of a kind that can hold its child (a national command does not belong to
    a multinational coalition; a state belongs to nobody): an inverted parent fails this."""
    actors = tables.get("actors")
    if actors is None:
        return
    frame = actors.frame
    kind_of = dict(zip(frame["actor_id"], frame["actor_kind"]))
    for i, (actor, kind, parent) in enumerate(zip(frame["actor_id"], frame["actor_kind"], frame["parent_actor_id"])):
        if pd.isna(parent) or parent not in kind_of or pd.isna(kind) or kind not in PARENT_KINDS:
            continue
        allowed = PARENT_KINDS[kind]
        if kind_of[parent] not in allowed:
            hint = (f"the parent of a {kind} is one of: {', '.join(allowed)}" if allowed else f"a {kind} has no parent") + \
                   f": check whether the two are the wrong way round (should '{parent}' have '{actor}' as its parent?), or clear parent_actor_id"
            problems.append(Problem(actors.path, f"actor '{actor}' ({kind}) has the parent '{parent}', a {kind_of[parent]}", hint,
                                    line=actors.line(i), column="parent_actor_id", col=_col(actors, "parent_actor_id"), value=parent, code="actor.parent-kind"))


def _evidence_by_event(tables: dict[str, Table]) -> pd.Series | None:
    sources = tables.get("event_sources")
    if sources is None:
        return None
    frame = sources.frame[["event_id", "evidence"]].dropna()
    return frame.groupby("event_id")["evidence"].agg(lambda spans: "\n".join(spans))


def check_statements(tables: dict[str, Table], problems: list[Problem]) -> None:
    """Statements, warnings and announcements are quotes, not events: an 'Other' development whose
    every report is someone telling of it is refused (the event it tells of, if real, is coded
    once, with the statement among its sources)."""
    found = _frame(tables, "events", "event_sources")
    if found is None:
        return
    events, sources = found
    frame = sources.frame[["event_id", "article_id", "evidence"]].dropna()
    spoken = frame["evidence"].str.contains(SPEECH).fillna(False).astype(bool)
    deed = frame["evidence"].str.contains(REPORTED_DEED).fillna(False).astype(bool)
    by_event = pd.DataFrame({"spoken": spoken, "deed": deed}).groupby(frame["event_id"]).agg({"spoken": "all", "deed": "any"})
    said = set(by_event.index[by_event["spoken"] & ~by_event["deed"]])
    # An attribution that reports a deed ("said they had linked up") may be the only report of a
    # real event; it is an announcement beside its event when the same article reports another
    # event at the same place and dates.
    reported = set(by_event.index[by_event["spoken"] & by_event["deed"]])
    if reported:
        keyed = events.frame[["event_id", "date_start", "date_end", "place_id"]].merge(frame[["event_id", "article_id"]].drop_duplicates(), on="event_id")
        twins = keyed.merge(keyed, on=["date_start", "date_end", "place_id", "article_id"])
        said |= set(twins.loc[(twins["event_id_x"] != twins["event_id_y"]) & twins["event_id_x"].isin(reported), "event_id_x"])
    suspect = events.frame["sub_event_type"].isin(STATEMENT_SUB_TYPES).fillna(False).to_numpy(bool) & events.frame["event_id"].isin(said).to_numpy(bool)
    for i in np.flatnonzero(suspect):
        problems.append(Problem(events.path, f"event '{events.frame['event_id'].iloc[i]}' is only someone's statement (every source is an attribution: told, said, announced, warned)",
                                "a statement, warning or announcement is a quote, not an event: remove the event (record it in data/retired_rows.csv) and keep its words in "
                                "data/quotes.csv; if it reports an event that happened, make it a source of that event",
                                line=events.line(i), column="event_id", col=1, value=events.frame["event_id"].iloc[i], code="event.statement"))


def check_captions(tables: dict[str, Table], texts: Mapping[str, str], problems: list[Problem]) -> None:
    """Photo captions are not the evidence of events: an event needs at least one source whose
    span lies outside a caption line of its article."""
    found = _frame(tables, "events", "event_sources")
    if found is None:
        return
    events, sources = found
    frame = sources.frame[["event_id", "article_id", "char_start"]].dropna()
    frame = frame[frame["article_id"].isin(list(texts))]
    if frame.empty:
        return
    lines: dict[str, list[tuple[int, int]]] = {}
    for article in frame["article_id"].unique():
        text = texts[article]
        lines[article] = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if CAPTION_LINE.search(m.group(0))]
    in_caption = np.array([any(a <= start < b for a, b in lines[article]) for article, start in zip(frame["article_id"], frame["char_start"])], bool)
    only = pd.Series(in_caption, index=frame.index).groupby(frame["event_id"]).all()
    captioned = set(only[only].index)
    for i in np.flatnonzero(events.frame["event_id"].isin(captioned).to_numpy(bool)):
        problems.append(Problem(events.path, f"event '{events.frame['event_id'].iloc[i]}' is reported only by a photo caption",
                                "a caption describes a picture, not an event: code the event from the article's text, or remove it (record it in data/retired_rows.csv)",
                                line=events.line(i), column="event_id", col=1, value=events.frame["event_id"].iloc[i], code="event.caption-only"))


def check_summaries(tables: dict[str, Table], problems: list[Problem]) -> None:
    """A summary never says more than its source: a word of destruction, death, injury, expulsion
    or rout needs a word of the same kind in one of the event's evidence spans."""
    events = tables.get("events")
    evidence = _evidence_by_event(tables)
    if events is None or evidence is None:
        return
    frame = events.frame
    by_event = evidence.to_dict()
    spans = pd.Series([by_event.get(e, "") for e in frame["event_id"]], index=frame.index, dtype=object)
    for what, (in_summary, in_evidence) in OVERSTATEMENTS.items():
        says = frame["summary"].str.contains(in_summary, flags=re.I, regex=True).fillna(False).astype(bool)
        backed = spans.str.contains(in_evidence, flags=re.I, regex=True).fillna(False).astype(bool)
        for i in np.flatnonzero((says & ~backed).to_numpy(bool)):
            word = re.search(in_summary, frame["summary"].iloc[i], re.I).group(0)
            problems.append(Problem(events.path, f"summary says '{word}' ({what}) but no evidence span of the event says so",
                                    "follow the most conservative report: use the source's own kind of word (\"struck\" is not \"destroyed\"), or add the evidence span that says it",
                                    line=events.line(i), column="summary", col=_col(events, "summary"), value=frame["summary"].iloc[i], code="event.overstated"))


def _dated_sources(tables: dict[str, Table]) -> pd.DataFrame | None:
    """event_sources with the article's publication date, as Python dates (column 'published')."""
    found = _frame(tables, "event_sources", "articles")
    if found is None:
        return None
    sources, articles = found
    published = dict(zip(articles.frame["article_id"], articles.frame["published_date"]))
    frame = sources.frame[["event_id", "article_id", "date_expression", "date_rule"]].copy()
    frame["published"] = frame["article_id"].map(published)
    return frame


def check_date_windows(tables: dict[str, Table], problems: list[Problem]) -> None:
    """An event dated by 'this week', 'last week' or 'over the weekend' lies inside that calendar
    window of its article's date (a Monday's 'this week' is that Monday: its 'last Tuesday' is in
    the week before)."""
    events = tables.get("events")
    frame = _dated_sources(tables)
    if events is None or frame is None:
        return
    line_of = pd.Series(np.arange(len(events.frame)), index=events.frame["event_id"]).groupby(level=0).first()
    dates = events.frame.set_index("event_id")[["date_start", "date_end"]]
    dates = dates[~dates.index.duplicated()]
    for words, window in WINDOWS.items():
        has = frame["date_expression"].str.contains(rf"\b{words}\b", case=False, regex=True).fillna(False).astype(bool) & frame["published"].notna()
        for event, article, day in frame.loc[has, ["event_id", "article_id", "published"]].itertuples(index=False):
            if event not in dates.index or pd.isna(dates.at[event, "date_start"]) or pd.isna(dates.at[event, "date_end"]):
                continue
            first, last = window(pd.Timestamp(day).date())
            start, end = dates.at[event, "date_start"].date(), dates.at[event, "date_end"].date()
            if start < first or end > last:
                i = int(line_of[event])
                problems.append(Problem(events.path, f"'{words}' in {article} (published {pd.Timestamp(day).date()}) means {first}..{last}, but the event is dated {start}..{end}",
                                        f"date the event inside {first}..{last}, or correct the date_expression in data/event_sources.csv",
                                        line=events.line(i), column="date_start", col=_col(events, "date_start"), value=str(start), code="date.expression-window"))


def check_inferred_precision(tables: dict[str, Table], problems: list[Problem]) -> None:
    """A date whose every dated source says it was inferred (a caption's day without a year) is
    not known to the day: precision 1 says more than the sources."""
    events = tables.get("events")
    frame = _dated_sources(tables)
    if events is None or frame is None:
        return
    dated = frame[frame["date_expression"].notna()]
    inferred = dated["date_rule"].str.contains(r"\binferred\b", case=False, regex=True).fillna(False).astype(bool)
    only_inferred = inferred.groupby(dated["event_id"]).all()
    suspect = set(only_inferred[only_inferred].index)
    exact = (events.frame["date_precision"] == 1).fillna(False).to_numpy(bool) & events.frame["event_id"].isin(suspect).to_numpy(bool)
    for i in np.flatnonzero(exact):
        problems.append(Problem(events.path, f"event '{events.frame['event_id'].iloc[i]}' has date_precision 1 but every source's date is inferred",
                                "widen the range to what the words allow (a day and month without a year: the years the text admits) and set the precision to match",
                                line=events.line(i), column="date_precision", col=_col(events, "date_precision"), value="1", code="date.inferred-exact"))


def check_counted_events(tables: dict[str, Table], problems: list[Problem]) -> None:
    """When an article counts events ('for a third time this week'), each is coded: the events
    whose evidence overlaps the count's span must be at least as many as the count."""
    found = _frame(tables, "claims", "event_sources")
    if found is None:
        return
    claims, sources = found
    frame = claims.frame
    counted = ((frame["property"] == "count") & frame["unit"].isin(EVENT_COUNT_UNITS) & frame["value"].notna()).fillna(False).to_numpy(bool)
    if not counted.any():
        return
    src = sources.frame[["event_id", "article_id", "char_start", "char_end"]].dropna()
    for i in np.flatnonzero(counted):
        row = frame.iloc[i]
        same = src[(src["article_id"] == row["article_id"]) & (src["char_start"] < row["char_end"]) & (src["char_end"] > row["char_start"])]
        coded = same["event_id"].nunique()
        if coded < row["value"]:
            problems.append(Problem(claims.path, f"the article counts {row['value']:g} {row['unit']} here, but only {coded} event(s) have evidence at this span",
                                    f"code each counted event (with this span, offsets {row['char_start']}-{row['char_end']}, as its evidence), or correct the claim",
                                    line=claims.line(i), column="value", col=_col(claims, "value"), value=f"{row['value']:g}", code="claim.count-uncoded"))


def check_conflicts(tables: dict[str, Table], problems: list[Problem]) -> None:
    """A conflict between two claims is recorded on both: a note saying 'CONFLICTS with cX' names
    a claim that exists and whose own note names this one back."""
    claims = tables.get("claims")
    if claims is None:
        return
    frame = claims.frame
    notes = dict(zip(frame["claim_id"], frame["note"].fillna("")))
    for i, (claim, note) in enumerate(zip(frame["claim_id"], frame["note"].fillna(""))):
        for other in CONFLICT_NOTE.findall(note):
            if other not in notes:
                message, hint = f"note says it conflicts with '{other}', which is not in data/claims.csv", "name the conflicting claim's claim_id, or record that claim"
            elif not any(c == claim for c in CONFLICT_NOTE.findall(notes[other])):
                message, hint = f"note says it conflicts with '{other}', whose note does not say it conflicts with '{claim}'", f"add 'CONFLICTS with {claim}' and why to the note of {other}"
            else:
                continue
            problems.append(Problem(claims.path, message, hint, line=claims.line(i), column="note", col=_col(claims, "note"), value=other, code="claim.conflict-unpaired"))


def check_retired_rows(tables: dict[str, Table], problems: list[Problem]) -> None:
    """Ids stay stable: a retired id is not in its live table again, and what replaces it exists."""
    retired = tables.get("retired_rows")
    if retired is None:
        return
    frame = retired.frame
    live_ids: dict[str, set] = {}
    for name in frame["table"].dropna().unique():
        table = tables.get(name)
        if table is not None and len(table.resource.primary_key) == 1:
            live_ids[name] = set(table.frame[table.resource.primary_key[0]].dropna())
    for i, (name, rid, replaced) in enumerate(zip(frame["table"], frame["id"], frame["replaced_by"])):
        if pd.isna(name) or name not in live_ids or pd.isna(rid):
            continue
        live = live_ids[name]
        if rid in live:
            problems.append(Problem(retired.path, f"id '{rid}' is retired but is still (or again) in data/{name}.csv",
                                    "an id is never reused: give the live row a new id, or remove this retired row if the row was never released",
                                    line=retired.line(i), column="id", col=_col(retired, "id"), value=rid, code="retired.live"))
        for other in ([] if pd.isna(replaced) else str(replaced).split(";")):
            if other not in live:
                problems.append(Problem(retired.path, f"'{rid}' is replaced by '{other}', which is not in data/{name}.csv",
                                        f"name the live id(s) of {name} that replace it, or leave replaced_by empty if nothing does",
                                        line=retired.line(i), column="replaced_by", col=_col(retired, "replaced_by"), value=other, code="retired.replacement-missing"))

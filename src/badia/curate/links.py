"""Links from drafted events to the events already in data/: a new report of the 18 May strike is a
new source of that event, not a new event.

Every drafted event is compared with every known event on four things a curator compares: the
dates (ranges that overlap, or days apart), the place (the same, or within a few tens of km), the
type (the same sub-type, or the same type) and the actors (shared, a parent counting for its
child). The score is their weighted sum (0-1); a link is proposed above LINK_THRESHOLD, with the
reasons spelled out. Within one article a known event is linked to one drafted event only: a
second drafted event that matches it best is the same event told again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from badia.curate.knowledge import Knowledge

LINK_THRESHOLD = 0.6
WEIGHTS = {"date": 0.35, "place": 0.25, "type": 0.2, "actors": 0.2}


@dataclass
class Link:
    event_id: str
    score: float
    reasons: str


def _days_apart(a: tuple[date, date], b: tuple[date, date]) -> int:
    if a[0] <= b[1] and b[0] <= a[1]:
        return 0
    return min(abs((a[0] - b[1]).days), abs((b[0] - a[1]).days))


def _km(p: tuple[float, float], q: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*p, *q))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(h))


def _related(k: Knowledge, a: str, b: str) -> bool:
    return a == b or a in k.ancestors(b) or b in k.ancestors(a)


def compare(e, event_id: str, k: Knowledge) -> Link:
    """How well drafted event `e` (an assist.DraftEvent) matches known event `event_id`."""
    known = k.events[event_id]
    score, reasons = 0.0, []
    span = (date.fromisoformat(known["date_start"]), date.fromisoformat(known["date_end"]))
    apart = _days_apart((e.date_range[0], e.date_range[1]), span)
    if apart == 0:
        score += WEIGHTS["date"]
        reasons.append("dates overlap")
    elif apart <= 3:
        score += WEIGHTS["date"] * (1 - apart / 4)
        reasons.append(f"dates {apart} day(s) apart")
    place = e.place.id if e.place else ""
    if place and place == known["place_id"]:
        score += WEIGHTS["place"]
        reasons.append(f"same place {place}")
    elif place and place in k.place_points and known["place_id"] in k.place_points:
        km = _km(k.place_points[place], k.place_points[known["place_id"]])
        if km <= 60:
            score += WEIGHTS["place"] * (0.8 if km <= 25 else 0.5)
            reasons.append(f"places {km:.0f} km apart")
    if e.sub_event_type == known["sub_event_type"]:
        score += WEIGHTS["type"]
        reasons.append(f"same type {e.sub_event_type}")
    elif e.event_type == known["event_type"]:
        score += WEIGHTS["type"] / 2
        reasons.append(f"same type family {e.event_type}")
    ours = [a.id for a in (e.actor1, e.actor2) if a is not None]
    theirs = k.event_actors.get(event_id, [])
    shared = [a for a in ours if any(_related(k, a, b) for b in theirs)]
    if shared:
        score += WEIGHTS["actors"] * len(shared) / max(len(ours), 1)
        reasons.append("shared actors " + ", ".join(shared))
    return Link(event_id, round(score, 2), "; ".join(reasons))


def link_events(events: list, k: Knowledge) -> None:
    """Set each drafted event's `links` (best first, above the threshold), one drafted event per
    known event in the article: the best-scoring pairs are taken first."""
    pairs = []
    for i, e in enumerate(events):
        for event_id in k.events:
            link = compare(e, event_id, k)
            if link.score >= LINK_THRESHOLD:
                pairs.append((link.score, i, link))
    pairs.sort(key=lambda p: -p[0])
    taken: set[str] = set()
    for _, i, link in pairs:
        if link.event_id in taken:
            continue
        events[i].links.append(link)
        if len(events[i].links) == 1:
            taken.add(link.event_id)

"""What the review page shows, as one JSON document: the article's text, every drafted span, the
rows grouped by drafted event (with their suggested links to known events), the rest by table,
and the registry of actors and places to choose from. It is read afresh from drafts/ and data/
on every request: the files are the only state, so a closed tab loses nothing."""

from __future__ import annotations

import re
from pathlib import Path

from badia.curate.decide import DraftFile, confidence, draft_files, read_link_file, seed_text
from badia.dataset.rows import read_rows
from badia.dataset.names import name_key
from badia.dataset.package import Package
from badia.problems import Problem
from badia.validate.drafts import CONFIDENCE, NOTE, REVIEW, draft_folder

# The kind of span a table's rows mark in the text (as on the site's article pages).
SPAN_KIND = {"quotes": "quote", "mentions": "mention", "event_sources": "evidence", "quote_exclusions": "excluded", "claims": "claim"}
EVENT_TABLES = ("events", "event_actors", "event_sources")


def _row(table: str, file: DraftFile, index: int) -> dict:
    row = file.rows[index]
    return {"table": table, "index": index, "line": file.lines[index], "review": file.get(row, REVIEW).strip().lower(),
            "confidence": confidence(file, row), "note": file.get(row, NOTE),
            "values": {name: value for name, value in zip(file.header, row) if name not in (REVIEW, NOTE, CONFIDENCE)}}


def review_state(package: Package, article_id: str) -> dict:
    root = package.root
    files = draft_files(root, article_id)
    rows = {table: [_row(table, file, i) for i in range(len(file.rows))] for table, file in files.items()}
    known_events = {r["event_id"]: r for r in read_rows(root, "events")}
    places = {r["place_id"]: r["name"] for r in read_rows(root, "places")}
    places.update({r["values"]["place_id"]: r["values"]["name"] for r in rows.get("places", [])})
    link_file = read_link_file(draft_folder(root, article_id))
    links = []
    for i, row in enumerate(link_file.rows):
        values = dict(zip(link_file.header, row))
        known = known_events.get(values.get("event_id", ""), {})
        links.append({**values, "index": i, "known": {k: known.get(k, "") for k in ("summary", "date_start", "date_end", "event_type", "sub_event_type")}
                      | {"place": places.get(known.get("place_id", ""), known.get("place_id", ""))}})
    events: dict[str, dict] = {}
    for table in EVENT_TABLES:
        for row in rows.get(table, []):
            event = events.setdefault(row["values"]["event_id"], {"event_id": row["values"]["event_id"], "event": None, "actors": [], "sources": [],
                                                                  "links": [link for link in links if link["draft_event_id"] == row["values"]["event_id"]],
                                                                  "known": row["values"]["event_id"] in known_events})
            if table == "events":
                event["event"] = row
                event["place"] = places.get(row["values"]["place_id"], "")
            else:
                event["actors" if table == "event_actors" else "sources"].append(row)
    spans = [{"start": int(r["values"]["char_start"]), "end": int(r["values"]["char_end"]), "kind": SPAN_KIND[table], "table": table, "index": r["index"],
              "review": r["review"]} for table in SPAN_KIND for r in rows.get(table, []) if _offsets(r)]
    counts = {"pending": 0, "accept": 0, "reject": 0}
    for table_rows in rows.values():
        for r in table_rows:
            counts[r["review"] if r["review"] in counts else "pending"] += 1
    counts["links"] = sum(1 for event in events.values() if event["links"] and not any(link["decision"] for link in event["links"]))
    return {"article_id": article_id, "text": seed_text(package, article_id), "events": list(events.values()),
            "tables": {table: table_rows for table, table_rows in rows.items() if table not in EVENT_TABLES},
            "spans": spans, "counts": counts, "fields": {table: package.resource(table).field_names for table in files}}


def _offsets(row: dict) -> bool:
    values = row["values"]
    return values.get("char_start", "").isdigit() and values.get("char_end", "").isdigit()


def registry(package: Package, article_id: str, kind: str, query: str, limit: int = 12) -> list[dict]:
    """Actors or places whose name, alias, variant or id matches what is typed, with the same
    name folding as the assistant's matcher (al-Tanf finds At-Tanf and Tanf; Qasab finds Qassab);
    the candidates drafted for this article are included."""
    table, names_column = ("actors", "aliases") if kind == "actor" else ("places", "variants")
    id_column = f"{kind}_id"
    entries = {r[id_column]: r for r in read_rows(package.root, table)}
    drafted = draft_files(package.root, article_id).get(table)
    if drafted is not None:
        for row in drafted.rows:
            values = dict(zip(drafted.header, row))
            entries.setdefault(values[id_column], {**values, "drafted": "yes"})
    wanted = [t.lower() for t in name_key(query)]
    found = []
    for entry_id, entry in entries.items():
        forms = [entry.get("name", "")] + [f.strip() for f in re.split(r"[;|]", entry.get(names_column, ""))]
        keys = [[t.lower() for t in name_key(form)] for form in forms if form]
        exact = any(k == wanted for k in keys)
        prefix = exact or any(len(k) >= len(wanted) and all(k[i].startswith(w) for i, w in enumerate(wanted)) for k in keys)
        anywhere = prefix or any(all(any(t.startswith(w) for t in k) for w in wanted) for k in keys) or (query and query.lower() in entry_id)
        if wanted and not anywhere:
            continue
        rank = 0 if exact else 1 if prefix else 2
        found.append((rank, entry.get("name", ""), {"id": entry_id, "name": entry.get("name", ""), "forms": [f for f in forms[1:] if f],
                                                     "kind": entry.get("actor_kind" if kind == "actor" else "place_type", ""),
                                                     "drafted": bool(entry.get("drafted"))}))
    return [entry for _, _, entry in sorted(found, key=lambda f: (f[0], f[1]))[:limit]]


def problem_rows(package: Package, article_id: str, problems: list[Problem]) -> list[dict]:
    """Problems as the page shows them: located in a draft row (table and index) when they are."""
    files = draft_files(package.root, article_id)
    by_line = {(f"drafts/{article_id}/{table}.csv", line): (table, i) for table, file in files.items() for i, line in enumerate(file.lines)}
    out = []
    for p in problems:
        table, index = by_line.get((p.path, p.line), (None, None))
        out.append({"where": p.location(), "table": table, "index": index, "column": p.column, "message": p.sentence()})
    return out


def draft_exists(root: Path, article_id: str) -> bool:
    return draft_folder(root, article_id).is_dir()

"""Draft files: the assistant's proposals laid out for review, applied to data/ once judged.

`drafts/<article_id>/<table>.csv` has the table's columns in the table's order, with `review` first
(empty = not yet reviewed, `accept` or `reject`) and `draft_note` last (the assistant's reasoning).
`dates.csv` beside them lists every date expression found, for reference; it is not a table.
`apply` appends the accepted rows to data/ (each file replaced atomically, its existing bytes
kept) and removes the reviewed rows from the drafts. Reading drafts back and what `badia validate`
reports about them live in badia.validate.drafts.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import shutil
from pathlib import Path

from badia.curate.assist import ArticleDraft, DraftEvent, draft_article, slug
from badia.dataset.corpus import csv_appended, read_seed
from badia.curate.gazetteer import GazetteerUnavailable, open_gazetteer
from badia.curate.knowledge import Knowledge, load_knowledge, published
from badia.dataset.rows import read_rows
from badia.dataset.package import Package, inside, load_package
from badia.files import atomic_write, atomic_write_all, staged_folder
from badia.problems import Problem, Refused
from badia.validate.drafts import CONFIDENCE, LEADING, NOTE, TABLE_ORDER, DraftTable, _confidence, _review, draft_folder, draft_tables, table_cells

SUMMARY_VERBS = {
    "Air/drone strike": "carried out air strikes", "Shelling/artillery/missile attack": "shelled positions",
    "Remote explosive/landmine/IED": "was hit by an explosive device", "Armed clash": "fought",
    "Government regains territory": "took ground", "Non-state actor overtakes territory": "took ground",
    "Disrupted weapons use": "shot down or intercepted a weapon", "Change to group/activity": "announced a new campaign or activity",
    "Agreement": "reached an agreement", "Other": "moved forces or made a strategic move",
}


# How sure the assistant is of a row, by how it was found: a curator accepts the confident rows in
# bulk and reads the others. The reason is the row's draft_note.
SPEAKER_CONFIDENCE = {"named": 0.9, "organisation": 0.75, "back_reference": 0.7, "context": 0.6, "unknown": 0.3}
CANDIDATE_CONFIDENCE = 0.3


def _mention_confidence(m) -> float:
    score = 0.95 if m.exact else 0.8
    if m.rule.startswith("surname") or m.rule.startswith("fuzzy"):
        score = 0.7
    return round(score - (0.2 if m.alternatives else 0), 2)


class DraftError(Refused):
    """A draft cannot be written or applied; carries the located problems."""


# ---------------------------------------------------------------- drafts -> rows

class _Ids:
    """New identifiers in the curated style (q000_01, m000_0001), never one already in use."""

    def __init__(self, root: Path, article_id: str):
        self.short = (re.match(r"[a-z0-9]+", article_id) or re.match(r".", "x")).group(0)[:16]
        self.used: set[str] = set()
        for table, column in (("quotes", "quote_id"), ("mentions", "mention_id"), ("events", "event_id"),
                              ("actors", "actor_id"), ("places", "place_id")):
            self.used |= {r[column] for r in read_rows(root, table)}

    def next(self, prefix: str, width: int) -> str:
        n = 1
        while f"{prefix}{n:0{width}d}" in self.used:
            n += 1
        new = f"{prefix}{n:0{width}d}"
        self.used.add(new)
        return new


def draft_rows(draft: ArticleDraft, root: Path, k: Knowledge, gazetteer=None) -> dict[str, list[dict]]:
    """The draft as rows per table (column -> value, plus draft_note)."""
    aid, text = draft.article_id, draft.text
    ids = _Ids(root, aid)
    rows: dict[str, list[dict]] = {name: [] for name in TABLE_ORDER}

    for d in draft.dates:
        rows.setdefault("dates", []).append({
            "char_start": d.char_start, "char_end": d.char_end, "text": d.text, "date_start": d.resolved.start.isoformat(),
            "date_end": d.resolved.end.isoformat(), "date_precision": d.resolved.precision, "rule": d.resolved.rule})

    for q in draft.quotes:
        if q.heading:
            rows["quote_exclusions"].append({CONFIDENCE: 0.8, "article_id": aid, "char_start": q.span.start, "char_end": q.span.end, "text": q.text,
                                             "reason": "Heading set in quotation marks, not words attributed to anyone.",
                                             NOTE: "; ".join(q.notes)})
            continue
        sp = q.speaker
        note = sp.note if sp and sp.resolution == "unknown" else ""
        rows["quotes"].append({
            CONFIDENCE: SPEAKER_CONFIDENCE[sp.resolution if sp else "unknown"], "quote_id": ids.next(f"q{ids.short}_", 2), "article_id": aid, "char_start": q.span.start, "char_end": q.span.end,
            "text": q.text, "kind": q.kind, "speaker_actor_id": sp.actor_id if sp else "", "speaker_as_written": sp.as_written if sp else "",
            "speaker_resolution": sp.resolution if sp else "unknown", "attribution": q.attribution, "channel": q.channel,
            "said_date": q.said_date.isoformat() if q.said_date else "", "event_id": q.event_id, "note": note,
            NOTE: "; ".join([f"kind: {q.kind}"] + q.notes)})
        if sp and sp.new_name and sp.actor_id not in k.actor_ids and not any(r["actor_id"] == sp.actor_id for r in rows["actors"]):
            rows["actors"].append(_new_actor(sp.actor_id, sp.new_name, "person", "a speaker's name that matches no alias"))

    for m in draft.mentions:
        entity = m.entity
        rows["mentions"].append({
            CONFIDENCE: _mention_confidence(m), "mention_id": ids.next(f"m{ids.short}_", 4), "article_id": aid, "char_start": m.start, "char_end": m.end, "text": m.text,
            "entity_kind": entity.kind, "actor_id": entity.id if entity.kind == "actor" else "",
            "place_id": entity.id if entity.kind == "place" else "",
            NOTE: m.rule + (f"; also could be: {', '.join(f'{e.kind} {e.id}' for e in m.alternatives)}" if m.alternatives else "")})

    for c in draft.candidates:
        new_id = slug(re.sub(r"^(?:al|a|as|at|ad|ar|az|an|el)-", "", c.text, flags=re.IGNORECASE) if c.kind == "place" else c.text)
        if new_id in ids.used and not any(r.get(f"{c.kind}_id") == new_id for r in rows[c.kind + "s"]):
            continue
        table = rows[c.kind + "s"]
        if not any(r.get(f"{c.kind}_id") == new_id for r in table):
            table.append(_new_actor(new_id, c.text, c.actor_kind, c.reason) if c.kind == "actor" else _new_place(new_id, c.text, c.reason, gazetteer))
        rows["mentions"].append({
            CONFIDENCE: CANDIDATE_CONFIDENCE, "mention_id": ids.next(f"m{ids.short}_", 4), "article_id": aid, "char_start": c.start, "char_end": c.end, "text": c.text,
            "entity_kind": c.kind, "actor_id": new_id if c.kind == "actor" else "", "place_id": new_id if c.kind == "place" else "",
            NOTE: f"candidate new {c.kind} ({c.reason}): accept with its {c.kind}s row, or point it at a known id"})
    rows["mentions"].sort(key=lambda r: r["char_start"])

    for e in draft.events:
        _event_rows(e, aid, text, ids, rows)
    return {name: r for name, r in rows.items() if r}


def _new_actor(actor_id: str, name: str, kind: str, reason: str) -> dict:
    return {CONFIDENCE: CANDIDATE_CONFIDENCE, "actor_id": actor_id, "name": name, "actor_kind": kind, "acled_inter": "", "parent_actor_id": "", "side": "unknown",
            "aliases": name, "description": "",
            NOTE: f"candidate new actor ({reason}); fill actor_kind, side and description before accepting"}


def _new_place(place_id: str, name: str, reason: str, gazetteer) -> dict:
    row = {CONFIDENCE: CANDIDATE_CONFIDENCE, "place_id": place_id, "name": name, "variants": name, "place_type": "", "latitude": "", "longitude": "",
           "geo_precision": "", "admin1": "", "country_iso2": "", "geonames_id": "", "wikidata_qid": "", "coord_source": "", "note": ""}
    note = f"candidate new place ({reason}); fill place_type and country_iso2 before accepting"
    hits = gazetteer.lookup(name) if gazetteer is not None else []
    if hits:
        best = hits[0]
        row.update({"place_type": "populated place", "latitude": best.latitude, "longitude": best.longitude, "geo_precision": 1,
                    "country_iso2": best.country_iso2, "geonames_id": best.geonames_id, "coord_source": best.source,
                    "note": f"GeoNames populated place '{best.name}' (admin1 code {best.admin1_code}, population {best.population})."})
        note = f"gazetteer: GeoNames {best.geonames_id} '{best.name}' ({best.country_iso2})"
        if len(hits) > 1:
            note += "; AMBIGUOUS, also: " + ", ".join(f"{h.geonames_id} '{h.name}' {h.country_iso2} {h.latitude},{h.longitude}" for h in hits[1:4])
    elif gazetteer is not None:
        note += "; not in the gazetteer: leave the coordinates empty"
    row[NOTE] = note
    return row


def _event_rows(e: DraftEvent, aid: str, text: str, ids: _Ids, rows: dict[str, list[dict]]) -> None:
    date_note = f"date: {e.date_rule}" if e.date_rule else ""
    if e.existing_event:
        event_id = e.existing_event
    else:
        event_id = ids.next(f"ev_{e.date_range[0]:%Y%m%d}_{ids.short}_", 2)
        actor = e.actor1.name if e.actor1 else "An unnamed actor"
        against = f" against {e.actor2.name}" if e.actor2 and e.sub_event_type in ("Armed clash", "Air/drone strike", "Government regains territory", "Non-state actor overtakes territory") else ""
        where = f" near {e.place.name}" if e.place else ""
        rows["events"].append({
            CONFIDENCE: e.confidence, "event_id": event_id, "date_start": e.date_range[0].isoformat(), "date_end": e.date_range[1].isoformat(),
            "date_precision": e.date_range[2], "event_type": e.event_type, "sub_event_type": e.sub_event_type,
            "place_id": e.place.id if e.place else "", "geo_precision": e.geo_precision,
            "summary": f"{actor} {SUMMARY_VERBS.get(e.sub_event_type, 'acted')}{against}{where}.", "fatalities": "", "note": "",
            NOTE: "; ".join(n for n in [*e.notes, date_note, "summary is generated: rewrite it in your own words"] if n)})
        roles = [("actor1", e.actor1), ("actor2", e.actor2)] + [("assoc_actor_1", a) for a in e.allies]
        for role, actor_entity in roles:
            if actor_entity is not None:
                rows["event_actors"].append({CONFIDENCE: e.confidence, "event_id": event_id, "actor_id": actor_entity.id, "role": role,
                                             NOTE: f"{role}: " + {"actor1": "subject of", "actor2": "first opposing actor after", "assoc_actor_1": "named with actor1 as subject of"}[role] + f" '{e.trigger}'"})
    for link in e.links:
        rows.setdefault("links", []).append({"decision": "", "draft_event_id": event_id, "event_id": link.event_id,
                                             "score": f"{link.score:.2f}", "reasons": link.reasons})
    rows["event_sources"].append({
        CONFIDENCE: e.confidence, "event_id": event_id, "article_id": aid, "char_start": e.start, "char_end": e.end, "evidence": text[e.start:e.end],
        "date_expression": e.date_expression, "date_rule": e.date_rule,
        NOTE: "; ".join(n for n in [f"event sentence: '{e.trigger}'", date_note] + (["reports a curated event"] if e.existing_event else []) if n)})


# ---------------------------------------------------------------- writing

def write_drafts(package: Package, article_id: str, rows: dict[str, list[dict]]) -> Path:
    """Write the draft folder whole (a staging folder renamed into place); refuse to overwrite one."""
    folder = draft_folder(package.root, article_id)
    rel = folder.relative_to(package.root).as_posix()
    if folder.exists():
        raise DraftError([Problem(rel, "a draft of this article already exists",
                                  f"review it and run `badia assist --apply {article_id}`, or delete {rel}/ to draft again", code="draft.exists")])
    with staged_folder(folder) as staging:
        for name, table_rows in rows.items():
            columns = ([*LEADING] + package.resource(name).field_names + [NOTE]) if name in package.resources else list(table_rows[0])
            with (staging / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(columns)
                for row in table_rows:
                    writer.writerow(["" if row.get(c) is None else row.get(c, "") for c in columns])
    return folder


def draft_to_folder(root: Path | str, article_id: str, gazetteer: bool = False) -> tuple[Path, dict[str, int]]:
    """Draft a registered article and write drafts/<article_id>/; returns the folder and row counts."""
    package = load_package(root)
    k = load_knowledge(package.root)
    article = k.articles.get(article_id)
    if article is None:
        raise DraftError([Problem("data/articles.csv", f"no article {article_id!r}", "register it first with `badia add-article PATH --publisher ... --title ... --date ...`", code="draft.no-article")])
    seed = inside(package.root, article["seed_path"])
    try:
        text = read_seed(seed)
    except (OSError, TypeError, UnicodeDecodeError) as e:
        raise DraftError([Problem(article["seed_path"], f"cannot read the seed: {e}", "restore the seed file (git checkout -- seeds/)", code="draft.seed")])
    index = None
    if gazetteer:
        try:
            index = open_gazetteer()
        except GazetteerUnavailable as e:
            raise DraftError([Problem("gazetteer", str(e), "install the optional extra, or draft without --gazetteer", code="draft.gazetteer")])
    draft = draft_article(article_id, text, published(k, article_id), k, article.get("publisher", ""))
    rows = draft_rows(draft, package.root, k, index)
    folder = write_drafts(package, article_id, rows)
    return folder, {name: len(r) for name, r in rows.items()}


# ---------------------------------------------------------------- applying

@dataclasses.dataclass
class Applied:
    added: dict[str, int]
    rejected: int
    waiting: int
    folder_removed: bool


def apply_drafts(package: Package, article_id: str) -> Applied:
    """Append the accepted rows of drafts/<article_id>/ to data/, after checking them against the
    tables' schemas and primary keys; nothing is written if any accepted row is wrong."""
    import numpy as np  # numpy, pandas and pandera: only applying needs them
    import pandas as pd

    from badia.dataset.tables import check_constraints, coerce

    folder = draft_folder(package.root, article_id)
    rel = folder.relative_to(package.root).as_posix()
    if not folder.is_dir():
        raise DraftError([Problem(rel, "no draft for this article", f"draft it first with `badia assist {article_id}`", code="draft.missing")])
    problems: list[Problem] = []
    tables = draft_tables(package, folder, problems)
    if not tables and not problems:
        raise DraftError([Problem(rel, "holds no draft table", f"draft the article with `badia assist {article_id}`; this folder is left as it is",
                                  code="draft.empty")])
    accepted: dict[str, list[list[str]]] = {}
    keep: dict[str, list[list[str]]] = {}
    rejected = 0
    for table in tables:
        resource = package.resource(table.name)
        rows, lines = [], []
        keep[table.name] = []
        for i, row in enumerate(table.rows):
            _confidence(table, i, problems)
            review = _review(table, i, problems)
            if review == "accept":
                rows.append(table_cells(row))
                lines.append(table.lines[i])
            elif review == "reject":
                rejected += 1
            else:
                keep[table.name].append(row)
        if rows:
            draft_resource = dataclasses.replace(resource, path=table.path)
            found: list[Problem] = []
            raw = pd.DataFrame(rows, columns=resource.field_names, dtype=object)
            checked = coerce(draft_resource, raw, np.asarray(lines, dtype=np.int64), found)
            check_constraints(checked, found)
            problems += [dataclasses.replace(p, col=p.col + len(LEADING) if p.col else p.col) for p in found]
            _check_keys(package, table, resource, rows, lines, problems)
            accepted[table.name] = rows
    for table in tables:
        if table.name in accepted:
            _check_references(package, table, accepted, problems)
    if problems:
        raise DraftError(problems)
    # Every data file is written beside itself before any is renamed, so a failure while writing
    # leaves data/ as it was.
    atomic_write_all({package.root / package.resource(name).path: csv_appended(package.root / package.resource(name).path, rows)
                      for name, rows in accepted.items()})
    waiting = sum(len(rows) for rows in keep.values())
    if waiting:
        for table in tables:
            _rewrite(package.root / table.path, table.header, keep[table.name])
    return Applied({name: len(rows) for name, rows in accepted.items()}, rejected, waiting, not waiting and remove_draft(folder))


def remove_draft(folder: Path) -> bool:
    """Remove a finished draft: its own files (the CSV files the assistant writes), then the folder
    if that emptied it. Anything else a contributor put there is kept, with the folder; never a
    recursive delete."""
    for path in folder.glob("*.csv"):
        if path.is_file() and not path.is_symlink():
            path.unlink()
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


def _check_keys(package: Package, table: DraftTable, resource, rows: list[list[str]], lines: list[int], problems: list[Problem]) -> None:
    key = resource.primary_key
    if not key:
        return
    names = resource.field_names
    positions = [names.index(k) for k in key]
    existing = {tuple(r[k] for k in key) for r in read_rows(package.root, resource.name)}
    seen: set[tuple] = set()
    for row, line in zip(rows, lines):
        value = tuple(row[p] for p in positions)
        if value in existing or value in seen:
            problems.append(Problem(table.path, f"{'/'.join(key)} {'/'.join(value)!r} is already in {resource.path}" if value in existing else f"{'/'.join(key)} {'/'.join(value)!r} is accepted twice",
                                    "give the row a new id, or reject it if it is the same as the existing row", line=line,
                                    column=key[0], col=positions[0] + len(LEADING) + 1, value="/".join(value), code="draft.duplicate"))
        seen.add(value)


def _check_references(package: Package, table: DraftTable, accepted: dict[str, list[list[str]]], problems: list[Problem]) -> None:
    """Accepted rows may point only at rows in data/ or accepted in the same draft."""
    resource = package.resource(table.name)
    names = resource.field_names
    accepted_lines = [line for row, line in zip(table.rows, table.lines) if row[0].strip().lower() == "accept"]
    for fk in resource.foreign_keys:
        field_name, target, ref_field = fk.field, package.resource(fk.resource), fk.reference_field
        known = {r[ref_field] for r in read_rows(package.root, target.name)}
        known |= {row[target.field_names.index(ref_field)] for row in accepted.get(target.name, [])}
        position = names.index(field_name)
        for row, line in zip(accepted[table.name], accepted_lines):
            if row[position] and row[position] not in known:
                problems.append(Problem(table.path, f"refers to {ref_field} {row[position]!r}, which is neither in {target.path} nor accepted in this draft",
                                        f"accept the row that adds it, or point {field_name} at an existing {ref_field}", line=line,
                                        column=field_name, col=position + len(LEADING) + 1, value=row[position], code="draft.reference"))


def _rewrite(path: Path, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write(path, out.getvalue().encode("utf-8"))

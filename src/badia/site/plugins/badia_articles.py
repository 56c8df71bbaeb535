"""Datasette plugin: article pages (/articles and /articles/<article_id>) showing each seed text
with its quotes, mentions, evidence, claims and excluded spans highlighted and linked to their
rows, and links from every span's row back to its place in the article."""

from __future__ import annotations

from urllib.parse import quote

from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from badia.site import views as site
from badia.site.serve import safe_url
from badia.site.views import DATABASE, TEXTS_TABLE, Span, highlight_html

SPAN_QUERIES = {
    "evidence": ("event_sources", """SELECT es.event_id, es.article_id, es.char_start, es.char_end, e.summary
        FROM event_sources es JOIN events e USING (event_id) WHERE es.article_id = :article_id"""),
    "claim": ("claims", """SELECT claim_id, char_start, char_end, property, subject FROM claims WHERE article_id = :article_id"""),
    "quote": ("quotes", """SELECT q.quote_id, q.char_start, q.char_end, q.kind, coalesce(a.name, 'unknown speaker') AS speaker
        FROM quotes q LEFT JOIN actors a ON a.actor_id = q.speaker_actor_id WHERE q.article_id = :article_id"""),
    "excluded": ("quote_exclusions", """SELECT article_id, char_start, char_end, reason FROM quote_exclusions WHERE article_id = :article_id"""),
    "mention": ("mentions", """SELECT m.mention_id, m.char_start, m.char_end, m.entity_kind, coalesce(a.name, p.name) AS entity
        FROM mentions m LEFT JOIN actors a ON a.actor_id = m.actor_id LEFT JOIN places p ON p.place_id = m.place_id
        WHERE m.article_id = :article_id"""),
}
KIND_LABEL = {"evidence": "event evidence", "claim": "claims", "quote": "quotes", "excluded": "quoted, not a quote", "mention": "mentions"}


def anchor(kind: str, row) -> str:
    """The id of a span's element on its article page."""
    if kind == "evidence":
        return f"evidence-{row['event_id']}-{row['char_start']}"
    if kind == "excluded":
        return f"excluded-{row['char_start']}"
    return f"{kind}-{row[{'claim': 'claim_id', 'quote': 'quote_id', 'mention': 'mention_id'}[kind]]}"


def span_of(kind: str, row, datasette) -> Span:
    table = SPAN_QUERIES[kind][0]
    keys = {"evidence": ("event_id", "article_id", "char_start"), "excluded": ("article_id", "char_start")}.get(kind)
    row_path = ",".join(tilde_encode(str(row[k])) for k in keys) if keys else tilde_encode(row[0])
    title = {
        "evidence": lambda: f"evidence of event {row['event_id']}: {row['summary']}",
        "claim": lambda: f"claim {row['claim_id']} ({row['property']}): {row['subject']}",
        "quote": lambda: f"quote {row['quote_id']} ({row['kind']}) by {row['speaker']}",
        "excluded": lambda: f"quoted but not a quote: {row['reason']}",
        "mention": lambda: f"{row['entity_kind']} {row['entity']} (mention {row['mention_id']})",
    }[kind]()
    return Span(row["char_start"], row["char_end"], kind, anchor(kind, row), datasette.urls.row(DATABASE, table, row_path), title)


async def article_page(datasette, request):
    article_id = request.url_vars["article_id"]
    db = datasette.get_database(DATABASE)
    found = (await db.execute("SELECT * FROM articles WHERE article_id = ?", [article_id])).rows
    if not found:
        raise NotFound(f"no article {article_id}")
    spans: list[Span] = []
    for kind, (_, sql) in SPAN_QUERIES.items():
        spans.extend(span_of(kind, row, datasette) for row in (await db.execute(sql, {"article_id": article_id})).rows)
    text_rows = (await db.execute(f"SELECT text FROM [{TEXTS_TABLE}] WHERE article_id = ?", [article_id])).rows if await db.table_exists(TEXTS_TABLE) else []
    counts = {kind: sum(1 for s in spans if s.kind == kind) for kind in SPAN_QUERIES}
    context = {
        # An address that is not http(s) never becomes a link (a relaxed schema pattern could let one in).
        "article": {**dict(found[0]), "url": safe_url(found[0]["url"]) or ""},
        "article_url": datasette.urls.row(DATABASE, "articles", tilde_encode(article_id)),
        "body": Markup(highlight_html(text_rows[0]["text"], spans)) if text_rows else None,
        "spans": sorted(spans, key=lambda s: (s.start, s.end)),
        "legend": [(kind, KIND_LABEL[kind], counts[kind]) for kind in SPAN_QUERIES],
        "license": datasette.metadata("license") or "",
    }
    return Response.html(await datasette.render_template("badia_article.html", context, request=request))


async def articles_index(datasette, request):
    db = datasette.get_database(DATABASE)
    rows = (await db.execute("SELECT article_id, publisher, published_date, title FROM articles ORDER BY published_date, article_id")).rows
    return Response.html(await datasette.render_template("badia_articles.html", {"articles": [dict(r) for r in rows]}, request=request))


async def stylesheet():
    return Response((site.STATIC_DIR / "badia.css").read_text(encoding="utf-8"), content_type="text/css; charset=utf-8")


@hookimpl
def extra_css_urls(datasette):
    return [datasette.urls.path("/-/badia.css")]


@hookimpl
def register_routes():
    return [
        (r"^/-/badia\.css$", stylesheet),
        (r"^/articles$", articles_index),
        (r"^/articles/(?P<article_id>[a-z0-9][a-z0-9_.-]{0,79})$", article_page),
    ]


# Which rows point at a span, and the kind of span they point at.
ROW_SPAN_KIND = {"quotes": "quote", "quotes_with_speakers": "quote", "mentions": "mention", "claims": "claim",
                 "event_sources": "evidence", "event_reports": "evidence", "quote_exclusions": "excluded"}


# Views and canned queries have no foreign keys for Datasette to link: these columns are linked here.
# Events, places and actors have a reader's page (plugins/badia_pages.py): their ids link there, in
# every table, view and query (instead of Datasette's link to the bare row).
PAGE_COLUMNS = {"event_id": "events", "subject_event_id": "events", "place_id": "places", "subject_place_id": "places",
                "reference_place_id": "places", "actor_id": "actors", "speaker_actor_id": "actors", "claimant_actor_id": "actors",
                "parent_actor_id": "actors"}
ID_COLUMNS = {"quote_id": "quotes", "claim_id": "claims", "claim_a": "claims", "claim_b": "claims"}
VIEWS = {view.name for view in site.VIEWS}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """char_start links to the span in its article; an article's seed_path links to its page; in
    views and canned queries, identifiers link to their rows and article_id to the article page."""
    if database != DATABASE or value is None or value == "":
        return None
    if (table, column) in site.CODE_LABELS:
        return escape(site.code_label(table, column, value))
    keys = row.keys()
    if column == "char_start" and table in ROW_SPAN_KIND and "article_id" in keys:
        href = datasette.urls.path(f"/articles/{row['article_id']}#{anchor(ROW_SPAN_KIND[table], row)}")
        return Markup(f'<a href="{escape(href)}" title="show this span in its article">{escape(value)}</a>')
    if column == "seed_path" and table == "articles":
        href = datasette.urls.path(f"/articles/{row['article_id']}")
        return Markup(f'<a href="{escape(href)}" title="read the article with its spans highlighted">{escape(value)}</a>')
    if column in PAGE_COLUMNS:
        href = datasette.urls.path(f"/{PAGE_COLUMNS[column]}/{quote(str(value), safe='')}")
        return Markup(f'<a href="{escape(href)}" title="its page">{escape(value)}</a>')
    if table in VIEWS or table is None:
        if column in ("article_id", "article_a", "article_b"):
            return Markup(f'<a href="{escape(datasette.urls.path("/articles/" + str(value)))}">{escape(value)}</a>')
        if column in ID_COLUMNS:
            href = datasette.urls.row(DATABASE, ID_COLUMNS[column], tilde_encode(str(value)))
            return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
    return None


@hookimpl
def extra_body_script(view_name):
    """On table pages, fold the list of column descriptions into a <details> that a reader opens."""
    if view_name != "table":
        return None
    return """document.querySelectorAll("dl.column-descriptions").forEach(function (dl) {
  var details = document.createElement("details"), summary = document.createElement("summary");
  summary.textContent = "What the " + dl.querySelectorAll("dt").length + " columns mean";
  dl.parentNode.insertBefore(details, dl); details.appendChild(summary); details.appendChild(dl);
});"""

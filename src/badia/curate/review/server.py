"""`badia review ARTICLE_ID`: the review page, served by Datasette (the stack the site is served
with: its ASGI app, plugin routes and Jinja templates) on 127.0.0.1 by default.

It writes only drafts/ARTICLE_ID/ (through badia.curate.decide, one atomic rewrite per decision)
and, when the curator presses apply, data/ through the same code as `badia assist --apply`.
Guards, because a page that writes files must not be writable by other sites:
- a non-loopback bind is refused unless asked for (`--allow-remote`);
- the Host header must name the address served (a DNS-rebinding page cannot reach it);
- every write is a JSON POST carrying the session's token in an `X-Review-Token` header: a token
  made at start, given only in the page. A cross-site form cannot set the header, a cross-site
  script cannot read the page, and a cross-site fetch with the header needs a CORS preflight that
  is never granted. Datasette's own CSRF check (a cookie the form must echo) lets requests with no
  cookies through, which is why these routes use the header token instead (skip_csrf);
- the page's Content-Security-Policy allows only its own script and style files.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import secrets
import socket
import sys
from pathlib import Path

from datasette import hookimpl

from badia.curate import decide
from badia.curate.apply import apply_drafts, apply_problems
from badia.curate.drafts import DraftError
from badia.curate.review.state import problem_rows, registry, review_state
from badia.dataset.corpus import ID_PATTERN
from badia.dataset.package import load_package
from badia.problems import Problem

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
                    "cache-control": "no-store"}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ReviewPlugin:
    """The review page's routes for one article of one dataset, with this session's token."""

    __name__ = "badia_review"  # Datasette lists plugins by their module's name

    def __init__(self, root: Path, article_id: str, token: str, hosts: set[str] | None):
        self.root, self.article_id, self.token, self.hosts = Path(root), article_id, token, hosts
        self.write_lock = asyncio.Lock()  # one decision at a time: each rewrites a whole file
        # One check of the would-be dataset at a time, and only the latest asked for: a check after
        # every click would otherwise pile up validations on a busy machine.
        self.check_lock = asyncio.Lock()
        self.checks_asked = 0

    # ------------------------------------------------------------ hooks

    @hookimpl
    def register_routes(self, datasette):
        base = rf"^/review/(?P<article_id>{ID_PATTERN.pattern})"
        return [
            (r"^/$", self.home),
            (base + r"$", self.page),
            (base + r"/state\.json$", self.state),
            (base + r"/problems\.json$", self.problems),
            (base + r"/registry\.json$", self.registry),
            (base + r"/decide$", self.decide),
            (base + r"/apply$", self.apply),
            (r"^/review/-/(?P<name>review\.(?:js|css))$", self.static),
        ]

    @hookimpl
    def skip_csrf(self, datasette, scope):
        return scope.get("path", "").startswith("/review/")  # checked by the header token instead (see the module's docstring)

    @hookimpl
    def asgi_wrapper(self, datasette):
        hosts = self.hosts

        def wrap(app):
            async def checked(scope, receive, send):
                if scope["type"] == "http" and hosts is not None:
                    host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
                    if host not in hosts:
                        await _plain(send, 421, f"badia review answers only to {', '.join(sorted(hosts))}, not to Host {host!r}")
                        return
                await app(scope, receive, send)
            return checked
        return wrap

    # ------------------------------------------------------------ views

    def _package(self):
        return load_package(self.root)

    def _check(self, request) -> None:
        from datasette.utils.asgi import Forbidden, NotFound

        if request.url_vars.get("article_id") != self.article_id:
            raise NotFound(f"this session reviews {self.article_id}")
        if request.method == "POST":
            sent = request.headers.get("x-review-token", "")
            if not hmac.compare_digest(sent, self.token):
                raise Forbidden("a write needs this session's token (open the page again from the address badia review printed)")
            origin = request.headers.get("origin")
            if origin is not None and origin != f"{request.scheme}://{request.host}":
                raise Forbidden(f"cross-site request from {origin} refused")
            if not request.headers.get("content-type", "").startswith("application/json"):
                raise Forbidden("a write is a JSON request")

    async def home(self, request):
        from datasette.utils.asgi import Response

        return Response.redirect(f"/review/{self.article_id}")

    async def page(self, datasette, request):
        from datasette.utils.asgi import Response

        self._check(request)
        html = await datasette.render_template("badia_review.html", {"article_id": self.article_id, "token": self.token, "threshold": decide.DEFAULT_THRESHOLD}, request=request)
        return Response.html(html, headers=SECURITY_HEADERS)

    async def static(self, request):
        from datasette.utils.asgi import Response

        path = STATIC_DIR / request.url_vars["name"]
        return Response(path.read_text(encoding="utf-8"), content_type=STATIC_TYPES[path.suffix], headers=SECURITY_HEADERS)

    async def state(self, request):
        self._check(request)
        if not (self.root / "drafts" / self.article_id).is_dir():  # applied whole: the draft is done
            return _json({"done": True})
        return _json(review_state(self._package(), self.article_id))

    async def problems(self, request):
        self._check(request)
        self.checks_asked += 1
        mine = self.checks_asked
        async with self.check_lock:
            if mine != self.checks_asked:
                return _json({"stale": True})  # a later decision asked for a newer check
            package = self._package()
            if not (self.root / "drafts" / self.article_id).is_dir():
                return _json({"problems": []})
            found = await asyncio.to_thread(_problems_or_refusal, package, self.article_id)
            return _json({"problems": problem_rows(package, self.article_id, found)})

    async def registry(self, request):
        self._check(request)
        kind = request.args.get("kind", "actor")
        return _json({"entries": registry(self._package(), self.article_id, "place" if kind == "place" else "actor", request.args.get("q", ""))})

    async def decide(self, request):
        self._check(request)
        try:
            body = json.loads(await request.post_body() or b"{}")
        except ValueError:
            return _json({"error": "the request is not JSON"}, 400)
        async with self.write_lock:
            try:
                result = decide_action(self._package(), self.article_id, body)
            except DraftError as refused:
                return _json({"error": "; ".join(p.sentence() for p in refused.problems)}, 400)
            except (KeyError, TypeError, ValueError) as e:
                return _json({"error": f"a decision needs {e}"}, 400)
        return _json({"ok": True, **(result or {})})

    async def apply(self, request):
        self._check(request)
        async with self.write_lock:
            package = self._package()
            try:
                done = await asyncio.to_thread(apply_drafts, package, self.article_id)
            except DraftError as refused:
                return _json({"applied": False, "problems": problem_rows(package, self.article_id, refused.problems)}, 409)
        return _json({"applied": True, "added": done.added, "rejected": done.rejected, "linked": done.linked, "waiting": done.waiting,
                      "folder_removed": done.folder_removed, "undo": f"badia assist --undo {self.article_id}"})


def _problems_or_refusal(package, article_id: str) -> list[Problem]:
    try:
        return apply_problems(package, article_id)
    except DraftError as refused:
        return refused.problems


def decide_action(package, article_id: str, body: dict) -> dict | None:
    """One decision of the page, by its `action`; every write goes through badia.curate.decide."""
    root, action = package.root, body["action"]
    if action == "review":
        table, index, value = body["table"], int(body["index"]), body["value"]
        decide.set_review(root, article_id, table, index, value)
        if table == "events" and value:
            return {"also": cascade_event(root, article_id, index, value)}
    elif action == "edit":
        decide.edit_cell(root, article_id, body["table"], int(body["index"]), body["column"], str(body["value"]))
    elif action == "many":
        return {"decided": decide.decide_many(root, article_id, body["value"], body["which"], float(body.get("threshold", decide.DEFAULT_THRESHOLD)))}
    elif action == "link":
        return {"accepted": decide.link(package, article_id, body["draft_event_id"], body.get("event_id") or None)}
    elif action == "add":
        return add_span(package, article_id, body)
    elif action == "new_entity":
        return new_entity(package, article_id, body)
    else:
        raise ValueError(f"a known action, not {action!r}")
    return None


def cascade_event(root: Path, article_id: str, index: int, value: str) -> int:
    """Accepting or rejecting a drafted event decides its undecided actor and evidence rows the same
    way: one click per event instead of one per row."""
    files = decide.draft_files(root, article_id)
    event_id = files["events"].get(files["events"].rows[index], "event_id")
    decided = 0
    for table in ("event_actors", "event_sources"):
        file = files.get(table)
        if file is None:
            continue
        changed = False
        for row in file.rows:
            if file.get(row, "event_id") == event_id and not file.get(row, "review").strip():
                row[file.col("review")] = value
                decided += 1
                changed = True
        if changed:
            file.save()
    return decided


def add_span(package, article_id: str, body: dict) -> dict:
    """A span selected in the page: its offsets come from the selection, its text from the seed."""
    text = decide.seed_text(package, article_id)
    start, end = int(body["start"]), int(body["end"])
    if not 0 <= start < end <= len(text):
        raise ValueError("offsets inside the text")
    words = text[start:end]
    kind = body["kind"]
    if kind == "quote":
        values = {"char_start": start, "char_end": end, "text": words, "kind": body.get("quote_kind") or "partial",
                  "speaker_actor_id": body.get("speaker", ""), "speaker_resolution": speaker_resolution(body)}
        decide.add_row(package, article_id, "quotes", values)
        return {"added": values["quote_id"]}
    if kind == "evidence":
        decide.add_row(package, article_id, "event_sources", {"event_id": body["event_id"], "char_start": start, "char_end": end, "evidence": words})
        return {"added": f"evidence of {body['event_id']}"}
    if kind == "mention":
        entity_kind, entity_id = body["entity_kind"], body["entity_id"]
        values = {"char_start": start, "char_end": end, "text": words, "entity_kind": entity_kind,
                  "actor_id": entity_id if entity_kind == "actor" else "", "place_id": entity_id if entity_kind == "place" else ""}
        decide.add_row(package, article_id, "mentions", values)
        return {"added": values["mention_id"]}
    raise ValueError(f"kind quote, evidence or mention, not {kind!r}")


def speaker_resolution(body: dict) -> str:
    """A speaker chosen by hand is named when a person, else an organisation speaks."""
    if not body.get("speaker"):
        return "unknown"
    return "named" if body.get("speaker_kind") == "person" else "organisation"


def new_entity(package, article_id: str, body: dict) -> dict:
    """A new actor or place for the registry, added (accepted) to this article's draft."""
    from badia.curate.assist import slug

    kind, name = body["kind"], body["name"].strip()
    if kind not in ("actor", "place") or not name:
        raise ValueError("kind actor or place and a name")
    new_id = slug(name)
    if kind == "actor":
        values = {"actor_id": new_id, "name": name, "actor_kind": body.get("actor_kind", ""), "side": body.get("side", "unknown"), "aliases": name}
    else:
        values = {"place_id": new_id, "name": name, "variants": name, "place_type": body.get("place_type", ""), "country_iso2": body.get("country_iso2", "")}
    decide.add_row(package, article_id, kind + "s", values)
    return {"id": new_id}


def _json(data, status: int = 200):
    from datasette.utils.asgi import Response

    return Response(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8", headers=SECURITY_HEADERS)


async def _plain(send, status: int, message: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": message.encode("utf-8")})


def allowed_hosts(host: str, port: int) -> set[str] | None:
    """The Host headers a browser sends for this address (None: any, for --allow-remote)."""
    if not is_loopback(host):
        return None
    return {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}


def make_app(root: Path, article_id: str, host: str, port: int, token: str):
    """The Datasette ASGI app of the review page (no database: the drafts are files)."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    name = "badia_review"
    if pm.get_plugin(name) is not None:
        pm.unregister(name=name)
    pm.register(ReviewPlugin(root, article_id, token, allowed_hosts(host, port)), name=name)
    datasette = Datasette([], template_dir=str(TEMPLATES_DIR), settings={"default_allow_sql": False})
    return datasette.app()


def review(root: Path | str, article_id: str, host: str = "127.0.0.1", port: int = 8002, allow_remote: bool = False) -> int:
    import uvicorn

    root = Path(root).resolve()
    if not is_loopback(host) and not allow_remote:
        print(f"badia review: refusing to serve on {host}: anyone who can reach it could write the drafts. "
              "Serve on 127.0.0.1 (the default), or pass --allow-remote if that is what you want.", file=sys.stderr)
        return 2
    if not ID_PATTERN.fullmatch(article_id) or not (root / "drafts" / article_id).is_dir():
        print(f"badia review: no draft for {article_id!r}: draft it first with `badia assist {article_id}`", file=sys.stderr)
        return 1
    token = secrets.token_urlsafe(24)
    app = make_app(root, article_id, host, port, token)
    shown = f"[{host}]" if ":" in host else host
    print(f"reviewing {article_id} on http://{shown}:{port}/review/{article_id} (writes only drafts/{article_id}/; Ctrl-C to stop)", flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    except (OSError, socket.error) as e:
        print(f"badia review: cannot listen on {host}:{port}: {e}", file=sys.stderr)
        return 2
    return 0

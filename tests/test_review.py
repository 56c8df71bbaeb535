"""`badia review`: a real server on a disposable copy of the dataset, driven by headless Chromium
as a curator would: accept the confident rows, confirm a link to a known event, add a quotation
the assistant missed by selecting its words, fix its speaker, reject the rest, apply; then
`badia validate` passes and `badia assist --undo` restores every byte. Writes from another site
and a non-loopback bind are refused.

The fixture article was written for the tests; the confidences and the suggested link are written
here (as the assistant would write them) so that the test decides the same rows whatever the
assistant's scores are. Screenshot: build/screenshots/review.png (copied to docs/images/).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, copy_dataset, run_badia
from test_apply import read_csv, tree, write_csv
from test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, missing_browser

pytestmark = pytest.mark.e2e  # the review server as a subprocess and a real browser

FIXTURES = ROOT / "tests" / "fixtures" / "assist"
ARTICLE = "fx1_wire_tanf"
MISSED = "Our aim is to reach al-Bukamal before the regime does"
SPEAKER = "ahmed_abdo_martyrs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(root: Path) -> dict:
    """Register and draft the fixture article; score its rows (known ids sure, the rest not);
    drop the drafted quotation MISSED (the assistant 'missed' it); suggest a link for the first
    drafted event to the first event of data/events.csv."""
    result = run_badia("add-article", str(FIXTURES / "seeds" / "fx1_wire_tanf.txt"), "--publisher", "Fixture Wire", "--title",
                       "U.S.-backed rebels say army assault near Tanf repelled", "--date", "2017-06-08", "--id", ARTICLE, root=root)
    assert result.returncode == 0, result.stderr
    assert run_badia("assist", ARTICLE, root=root).returncode == 0
    folder = root / "drafts" / ARTICLE
    known = {r[0] for name in ("actors", "places") for r in read_csv(root / "data" / f"{name}.csv")[1:]}
    for path in folder.glob("*.csv"):
        if path.stem in ("dates", "links"):
            continue
        rows = read_csv(path)
        if "confidence" not in rows[0]:
            rows = [[rows[0][0], "confidence", *rows[0][1:]]] + [[r[0], "", *r[1:]] for r in rows[1:]]
        header, c = rows[0], rows[0].index("confidence")
        keep = []
        for row in rows[1:]:
            record = dict(zip(header, row))
            if path.stem == "quotes" and (MISSED in record["text"] or record["text"] in MISSED):
                continue
            ids = [record.get(k, "") for k in ("speaker_actor_id", "actor_id", "place_id")]
            sure = path.stem in ("quotes", "mentions") and all(not i or i in known for i in ids) and any(ids)
            row[0], row[c] = "", "0.95" if sure else "0.30"
            keep.append(row)
        write_csv(path, [header, *keep])
    draft_event = read_csv(folder / "events.csv")[1][header_index(folder / "events.csv", "event_id")]
    known_event = read_csv(root / "data" / "events.csv")[1][0]
    write_csv(folder / "links.csv", [["decision", "draft_event_id", "event_id", "score", "reasons"],
                                     ["", draft_event, known_event, "0.72", "same area; dates overlap"]])
    return {"draft_event": draft_event, "known_event": known_event}


def header_index(path: Path, column: str) -> int:
    return read_csv(path)[0].index(column)


class Server:
    def __init__(self, root: Path, *extra: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        self.proc = subprocess.Popen([sys.executable, "-m", "badia", "--root", str(root), "review", ARTICLE, "--port", str(self.port), *extra],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(300):
            if self.proc.poll() is not None:
                pytest.fail("badia review exited: " + self.proc.stdout.read())
            try:
                urllib.request.urlopen(f"{self.base}/review/-/review.css", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        pytest.fail("badia review did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    """The whole curation in the browser; yields what the tests check afterwards."""
    reason = missing_browser()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    root = copy_dataset(tmp_path_factory.mktemp("review") / "dataset")
    plan = prepare(root)
    server = Server(root)
    errors: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{server.base}/review/{ARTICLE}")
            page.wait_for_selector("#counts:has-text('to review')")

            # 1. every confident row in one click
            page.click("#accept-confident")
            page.wait_for_selector("#message:has-text('confident row(s)')")
            # 2. the first drafted event is the known event
            page.click(f"#event-{plan['draft_event']} .link button.confirm")
            page.wait_for_selector(f"#event-{plan['draft_event']} .link.confirm")
            # 3. a missed quotation, by selecting its words in the text
            page.evaluate("""words => {
                const box = document.getElementById("text");
                const nodes = [], walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
                let all = "";
                while (walker.nextNode()) { nodes.push([walker.currentNode, all.length]); all += walker.currentNode.data; }
                const from = all.indexOf(words), to = from + words.length;
                const at = offset => { const [node, start] = nodes.filter(([n, s]) => s <= offset).pop(); return [node, offset - start]; };
                const range = document.createRange();
                range.setStart(...at(from)); range.setEnd(...at(to - 1)); range.setEnd(range.endContainer, range.endOffset + 1);
                const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
                box.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
            }""", MISSED)
            page.wait_for_selector("#add-panel:not([hidden])")
            assert page.inner_text("#add-words") == MISSED
            page.click("#add-quote")
            page.wait_for_selector("#add-panel[hidden]", state="attached")
            page.wait_for_selector(f"#table-quotes .card:has-text('{MISSED}')")
            # 4. its speaker, found by typing part of an alias
            added = page.locator(f"#table-quotes .card:has-text('{MISSED}')")
            added.locator("input.search-actor").fill("Ahmed Abdo")
            added.locator(f"button.pick[data-id='{SPEAKER}']").click()
            page.wait_for_selector(f"#table-quotes .card:has-text('{MISSED}') .speaker b:has-text('{SPEAKER}')")
            # 5. everything left is rejected; the page says the accepted rows pass every check
            page.click("#reject-rest")
            page.wait_for_selector("#message:has-text('rejected')")
            page.wait_for_selector("#valid, .problem-list", timeout=240_000)  # validation twice, on a shared machine
            problems = page.inner_text("#problems")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "review.png"))
            before_apply = tree(root, "data", "drafts")
            page.click("#apply")
            page.wait_for_selector("#message.applied, #message.error", timeout=240_000)
            message = page.inner_text("#message")
            browser.close()
    finally:
        server.stop()
    yield {"root": root, "plan": plan, "problems": problems, "message": message, "before_apply": before_apply, "errors": errors}


def test_a_curator_takes_an_article_to_valid_data_in_the_browser(curated):
    root, plan = curated["root"], curated["plan"]
    assert "pass every check" in curated["problems"], curated["problems"]
    assert curated["message"].startswith("applied: added"), curated["message"]
    assert not curated["errors"], curated["errors"]
    assert not (root / "drafts" / ARTICLE).exists()
    result = run_badia("validate", root=root)
    assert result.returncode == 0, result.stdout
    quotes = [dict(zip(read_csv(root / "data" / "quotes.csv")[0], r)) for r in read_csv(root / "data" / "quotes.csv")[1:]]
    seed = (root / "seeds" / f"{ARTICLE}.txt").read_text(encoding="utf-8")
    added = [q for q in quotes if q["article_id"] == ARTICLE and q["text"] == MISSED]
    assert len(added) == 1
    assert (int(added[0]["char_start"]), int(added[0]["char_end"])) == (seed.index(MISSED), seed.index(MISSED) + len(MISSED))
    assert (added[0]["speaker_actor_id"], added[0]["speaker_resolution"]) == (SPEAKER, "organisation")
    sources = [dict(zip(read_csv(root / "data" / "event_sources.csv")[0], r)) for r in read_csv(root / "data" / "event_sources.csv")[1:]]
    assert plan["known_event"] in {s["event_id"] for s in sources if s["article_id"] == ARTICLE}
    assert plan["draft_event"] not in (root / "data" / "events.csv").read_text(encoding="utf-8")


def test_undo_after_the_page_applied_restores_every_byte(curated):
    root = curated["root"]
    result = run_badia("assist", "--undo", ARTICLE, root=root)
    assert result.returncode == 0, result.stderr
    assert tree(root, "data", "drafts") == curated["before_apply"]


# ---------------------------------------------------------------- what the server refuses

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = copy_dataset(tmp_path_factory.mktemp("guarded") / "dataset")
    prepare(root)
    server = Server(root)
    yield root, server
    server.stop()


def request(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {}), timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_a_write_without_the_session_token_or_from_another_site_is_refused(served):
    root, server = served
    before = tree(root, "data", "drafts")
    url = f"{server.base}/review/{ARTICLE}/decide"
    body = json.dumps({"action": "many", "value": "accept", "which": "all"}).encode()
    page = request(f"{server.base}/review/{ARTICLE}")[1]
    token = page.split('name="review-token" content="')[1].split('"')[0]
    attempts = [
        {"Content-Type": "application/json"},                                                      # no token
        {"Content-Type": "application/json", "X-Review-Token": "guessed"},                         # a wrong token
        {"Content-Type": "text/plain", "X-Review-Token": token},                                   # a form-like body
        {"Content-Type": "application/json", "X-Review-Token": token, "Origin": "http://evil.example"},  # another site
    ]
    for headers in attempts:
        status, _ = request(url, body, headers)
        assert status == 403, headers
    status, _ = request(url, b"decision=accept", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403
    status, text = request(f"{server.base}/review/{ARTICLE}", headers={"Host": f"rebound.example:{server.port}"})
    assert status == 421 and "answers only to" in text
    assert tree(root, "data", "drafts") == before
    status, _ = request(url, body, {"Content-Type": "application/json", "X-Review-Token": token, "Origin": server.base})
    assert status == 200 and tree(root, "data", "drafts") != before  # the same request with the token is accepted


def test_a_non_loopback_bind_is_refused_unless_asked_for(dataset):
    result = run_badia("review", ARTICLE, "--host", "0.0.0.0", root=dataset)
    assert result.returncode == 2 and "refusing to serve on 0.0.0.0" in result.stderr and "--allow-remote" in result.stderr
    assert "Traceback" not in result.stderr

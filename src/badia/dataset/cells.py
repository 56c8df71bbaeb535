"""A typed cell as the text the curated CSV holds: '' for missing, ISO dates, true/false, and the
shortest text that reads back as the same number. The built CSV files and the data dictionary's
examples write cells this way."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from badia.dataset.package import Field
from badia.dataset.tables import Table


def cell_strings(table: Table) -> dict[str, list[str]]:
    """Each column as the strings the curated CSV uses: '' for missing, ISO dates, true/false."""
    return {name: values.to_pylist() for name, values in cell_arrays(table.resource.fields, table.frame).items()}


def cell_arrays(fields: list[Field], frame: pd.DataFrame) -> dict[str, pa.Array]:
    """cell_strings as Arrow string arrays, made with pyarrow compute (numbers excepted: their
    shortest round-trip text is Python's repr, which Arrow's float-to-string cast does not promise)."""
    out = {}
    for fdef in fields:
        name, ftype = fdef.name, fdef.type
        col = frame[name]
        if ftype == "number":
            values = pa.array([None if pd.isna(v) else format_number(float(v)) for v in col], type=pa.large_string())
        else:
            values = pa.array(col, from_pandas=True)
            if ftype == "date":
                values = values.cast(pa.date32())  # Arrow writes dates as ISO 8601, YYYY-MM-DD
            elif ftype == "boolean":
                values = pc.if_else(values, "true", "false")
            values = values.cast(pa.large_string())
        out[name] = values.fill_null("")
    return out


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float, without a trailing '.0' (100, 33.5058)."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text

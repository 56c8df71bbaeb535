"""Publishing: the build (CSV, Parquet, SQLite), figures, the data dictionary and releases."""

"""The Datasette site: its tables and metadata made at build time, plugins, templates, serving."""

"""badia: an open, validated dataset of the 2017 campaign in the Syrian desert.

The data's journey, one module per stage:
corpus (seed texts) -> assist (drafts) -> tables (CSV + schemas) -> validate -> build -> serve.
"""

__version__ = "0.1.0"

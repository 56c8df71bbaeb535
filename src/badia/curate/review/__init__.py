"""The review page of `badia review ARTICLE_ID`: see server.py."""

"""Curation: the assistant that drafts rows from an article, applying drafts, evaluation, offset repair."""

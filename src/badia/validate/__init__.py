"""Validation: every check of the curated tables, the seeds and pending drafts, full or incremental."""

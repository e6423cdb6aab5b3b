"""Ingesting: reports from files and JSONL, feeds (RSS, Atom, OPML) and pages, fetched safely."""

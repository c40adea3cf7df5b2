"""Metric charts in Markdown: which links are charts, and fetching their data (no Qt here)."""

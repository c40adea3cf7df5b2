"""Outward integrations (mail, Slack, Zoom, Prometheus, Grafana), each small and replaceable.
Imports no Qt."""

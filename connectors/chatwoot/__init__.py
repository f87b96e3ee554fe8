"""Chatwoot: its webhooks (signed or with a URL secret) in, replies out through its REST API."""

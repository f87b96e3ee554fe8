"""Chat transcripts from any chat tool, posted signed like the web forms (Standard Webhooks)."""

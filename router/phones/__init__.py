"""Phones and texts: calls and numbers, routing, click-to-call, texts both ways, quiet hours."""

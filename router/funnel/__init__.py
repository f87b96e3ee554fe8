"""The funnel after the inquiry: per-lead stages from real events, conversion, and reconciliation checks."""

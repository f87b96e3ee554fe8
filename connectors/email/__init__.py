"""Email out: managers' escalation alerts over SMTP."""

"""Who may see and do what, the PHI audit log, sign-in and sessions, key rotation, break-glass."""

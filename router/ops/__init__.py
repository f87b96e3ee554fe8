"""Running the service: when each part last did its job, the operator's status checks, backups."""

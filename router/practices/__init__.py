"""A practice's configuration: settings, business hours of its locations, and the SLA clock."""

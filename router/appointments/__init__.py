"""Appointments: the visits booked for leads (when, at which office, with whom, booked by whom and where)."""

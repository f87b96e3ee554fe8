"""Appointment reminders: when each goes out, and what a patient's reply to one means."""

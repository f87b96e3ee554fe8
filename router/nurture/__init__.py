"""Nurture: follow-up sequences per treatment, the patient email and SMS outbox, staff call tasks."""

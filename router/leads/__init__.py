"""Working a lead: board actions, first contact, claims, escalation, alerts, overflow, timeline."""

"""Twilio Voice and Messaging: signed webhooks in, TwiML and REST calls out (one account, typed config)."""

"""Web-form inquiries signed by the Standard Webhooks scheme."""

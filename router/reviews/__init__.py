"""Review requests after a new patient's first visit, and the complaint flag that stops them."""

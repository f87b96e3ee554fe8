"""Marketing data: touchpoint journeys, first-party tracking, ad spend, attribution runs."""

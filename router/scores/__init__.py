"""Lead-score models in the product: registry and promotion, scoring history, explanations."""

"""Lead-to-patient matching: probabilistic record linkage, its thresholds, the review queue's rules."""

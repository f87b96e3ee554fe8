"""The intake pipeline: normalize, match the person, score, assign, store a new inquiry."""

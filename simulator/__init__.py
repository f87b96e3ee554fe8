"""The practice simulator: one seeded generative model of inquiries, used by demo, training and benchmarks."""

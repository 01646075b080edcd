"""Synthetic demo data sets with known truth, generated offline and deterministic by seed."""

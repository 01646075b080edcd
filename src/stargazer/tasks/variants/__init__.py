"""Variant tools: bcftools (pysam) and accuracy against a truth set."""

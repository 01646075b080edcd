"""General-purpose tools: BWA-MEM (pybwa) and samtools (pysam)."""

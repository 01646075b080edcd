"""Code a generated test uses to write a tiny valid asset file of each type."""

from __future__ import annotations

#: The asset types a generated test knows how to build tiny inputs for.
ASSET_TYPES = ("Alignment", "AnnData", "Reads", "Reference", "Table", "Variants")


# Code that writes a tiny valid file into the test's `workspace` and registers it as the
# asset; `PARAM` is replaced by the parameter's name. (builder, modules it imports)
ASSET_BUILDERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Reference": (
        """
        PARAM_fasta = workspace / "PARAM.fa"
        PARAM_fasta.write_text(">chr1\\n" + "ACGT" * 20 + "\\n")
        PARAM = asyncio.run(
            Reference.create(
                str(PARAM_fasta), build="test", parents=[], tool="user", tool_version=""
            )
        )
        """,
        (),
    ),
    "Reads": (
        """
        PARAM_fastq = workspace / "PARAM_R1.fastq.gz"
        with gzip.open(PARAM_fastq, "wt") as handle:
            for number in range(4):
                handle.write(f"@r{number}\\nACGTACGTACGTACGT\\n+\\nIIIIIIIIIIIIIIII\\n")
        PARAM = asyncio.run(
            Reads.create(
                str(PARAM_fastq), sample_id="s1", paired=False, parents=[], tool="user",
                tool_version="",
            )
        )
        """,
        ("gzip",),
    ),
    "Alignment": (
        """
        PARAM_bam = workspace / "PARAM.bam"
        header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 80}]}
        with pysam.AlignmentFile(str(PARAM_bam), "wb", header=header) as out:
            for number in range(4):
                read = pysam.AlignedSegment(out.header)
                read.query_name = f"r{number}"
                read.query_sequence = "ACGTACGTACGTACGT"
                read.flag = 0
                read.reference_id = 0
                read.reference_start = number * 4
                read.mapping_quality = 60
                read.cigarstring = "16M"
                read.query_qualities = pysam.qualitystring_to_array("I" * 16)
                out.write(read)
        pysam.index(str(PARAM_bam))
        PARAM = asyncio.run(
            Alignment.create(
                str(PARAM_bam), companions={"bai": f"{PARAM_bam}.bai"}, sample_id="s1",
                reference_id="", sorted=True, duplicates_marked=False, parents=[],
                tool="user", tool_version="",
            )
        )
        """,
        ("pysam",),
    ),
    "Variants": (
        """
        PARAM_vcf = workspace / "PARAM.vcf"
        PARAM_vcf.write_text(
            "##fileformat=VCFv4.2\\n##contig=<ID=chr1,length=80>\\n"
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\\n'
            "#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER\\tINFO\\tFORMAT\\ts1\\n"
            "chr1\\t5\\t.\\tA\\tG\\t50\\tPASS\\t.\\tGT\\t0/1\\n"
        )
        PARAM_vcf_gz = pysam.tabix_index(str(PARAM_vcf), preset="vcf", force=True)
        PARAM = asyncio.run(
            Variants.create(
                PARAM_vcf_gz, companions={"tbi": PARAM_vcf_gz + ".tbi"}, sample_id="s1",
                caller="test", parents=[], tool="user", tool_version="",
            )
        )
        """,
        ("pysam",),
    ),
    "AnnData": (
        """
        PARAM_h5ad = workspace / "PARAM.h5ad"
        counts = numpy.random.default_rng(0).poisson(1.0, size=(30, 12)).astype("float32")
        anndata.AnnData(counts).write_h5ad(PARAM_h5ad)
        PARAM = asyncio.run(
            AnnData.create(
                str(PARAM_h5ad), sample_id="s1", stage="raw", parents=[], tool="user",
                tool_version="",
            )
        )
        """,
        ("anndata", "numpy"),
    ),
    "Table": (
        """
        PARAM_tsv = workspace / "PARAM.tsv"
        PARAM_tsv.write_text("gene\\tcount\\nA\\t1\\nB\\t2\\n")
        PARAM = asyncio.run(
            Table.create(
                str(PARAM_tsv), name="test", sample_id="s1", format="tsv", parents=[],
                tool="user", tool_version="",
            )
        )
        """,
        (),
    ),
}

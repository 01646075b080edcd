"""Task environments and settings.

`gatk_env` runs alignment and variant calling (pysam, pybwa); `scrna_env` runs single-cell
work (scanpy, anndata). Each declares the image a cluster builds, the resources a task gets and
the cache policy. Locally the image is ignored and tasks run in this process.
"""

from __future__ import annotations

import flyte

#: The image a remote cluster builds for Stargazer tasks: pip packages only.
STARGAZER_IMAGE = flyte.Image.from_debian_base(name="stargazer").with_pip_packages(
    "stargazer", "pysam==0.24.1", "pybwa==2.3.2", "scanpy==1.11.5", "anndata==0.12.19"
)

gatk_env = flyte.TaskEnvironment(
    name="gatk_env",
    description="Alignment and germline variant calling with pysam and pybwa.",
    image=STARGAZER_IMAGE,
    resources=flyte.Resources(cpu=2, memory="4Gi"),
    cache="auto",
)

scrna_env = flyte.TaskEnvironment(
    name="scrna_env",
    description="Single-cell RNA analysis with scanpy and anndata.",
    image=STARGAZER_IMAGE,
    resources=flyte.Resources(cpu=2, memory="8Gi"),
    cache="auto",
)

__all__ = ["STARGAZER_IMAGE", "gatk_env", "scrna_env"]

"""Task environments and settings.

`gatk_env` runs alignment and variant calling (pysam, pybwa); `scrna_env` runs single-cell
work (scanpy, anndata). Each declares the image a cluster builds, the resources a task gets and
the cache policy. Locally the image is ignored and tasks run in this process.
"""

from __future__ import annotations

import flyte

from stargazer.caching import cache_policy

#: The image a remote cluster builds for Stargazer tasks: pip packages only.
STARGAZER_IMAGE = flyte.Image.from_debian_base(name="stargazer").with_pip_packages(
    "stargazer", "pysam==0.24.1", "pybwa==2.3.2", "scanpy==1.11.5", "anndata==0.12.19"
)

#: Alignment and variant calling need only pysam (samtools, bcftools) and pybwa (BWA-MEM).
GATK_IMAGE = flyte.Image.from_debian_base(name="stargazer-gatk").with_pip_packages(
    "stargazer", "pysam==0.24.1", "pybwa==2.3.2", "numpy"
)

#: The packages gatk_env's tasks run: they and their whole dependency closure are in the key.
GATK_PACKAGES = ("pysam", "pybwa", "numpy")

#: Cached by `stargazer.caching.cache_policy`: input content (asset digests; `threads` left
#: out), the code the process imported (task module and every project module it reaches), the
#: versions of GATK_PACKAGES' dependency closure and Python, and the asset store's id.
gatk_env = flyte.TaskEnvironment(
    name="gatk_env",
    description="Alignment and germline variant calling with pysam and pybwa.",
    image=GATK_IMAGE,
    resources=flyte.Resources(cpu=2, memory="8Gi", disk="50Gi"),
    cache=cache_policy(*GATK_PACKAGES),
)

#: The single-cell stack, pinned to a combination that works (pynndescent 0.7.0 breaks scanpy
#: 1.11.5 `neighbors`; leiden needs igraph; seurat_v3 HVG needs scikit-misc).
SCRNA_IMAGE = (
    flyte.Image.from_debian_base(name="stargazer-scrna")
    .with_pip_packages(
        "stargazer",
        "scanpy==1.11.5",
        "anndata==0.12.19",
        "igraph==1.0.0",
        "leidenalg==0.12.0",
        "pynndescent==0.6.0",
        "scikit-misc==0.5.3",
        "scikit-image==0.25.2",
    )
    .with_env_vars({"NUMBA_CACHE_DIR": "/opt/stargazer/numba-cache"})
    .with_commands(
        # Compile pynndescent's import-time numba code into the image, so no pod pays it.
        [
            "python -c 'from stargazer.tasks.scrna.common import enable_numba_cache as e; "
            "e(); import umap'"
        ]
    )
)

#: The packages scrna_env's tasks run: they and their whole dependency closure are in the key.
SCRNA_PACKAGES = (
    "scanpy",
    "anndata",
    "igraph",
    "leidenalg",
    "pynndescent",
    "scikit-misc",
    "scikit-image",
    "umap-learn",
)

#: Sized for an AnnData held in memory (about 1 GiB per 100k cells x 2k genes, several copies
#: during PCA and UMAP). Cached like gatk_env (`stargazer.caching.cache_policy`) with the
#: scientific stack's dependency closure (scanpy, pandas, h5py, numba, ...). pynndescent's
#: and UMAP's numba code is cached on disk (`stargazer.tasks.scrna.common.enable_numba_cache`;
#: in the image, compiled at build time), so a fresh process or pod does not compile it again
#: (15-40 s).
scrna_env = flyte.TaskEnvironment(
    name="scrna_env",
    description="Single-cell RNA analysis with scanpy and anndata.",
    image=SCRNA_IMAGE,
    resources=flyte.Resources(cpu=2, memory="16Gi", disk="20Gi"),
    cache=cache_policy(*SCRNA_PACKAGES),
)

__all__ = [
    "GATK_IMAGE",
    "GATK_PACKAGES",
    "SCRNA_IMAGE",
    "SCRNA_PACKAGES",
    "STARGAZER_IMAGE",
    "cache_policy",
    "gatk_env",
    "scrna_env",
]

"""Task environments and settings.

`gatk_env` runs alignment and variant calling (pysam, pybwa); `scrna_env` runs single-cell
work (scanpy, anndata). Each declares the image a cluster builds, the resources a task gets and
the cache policy. Locally the image is ignored and tasks run in this process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import flyte

from stargazer import pins
from stargazer.caching import cache_policy

#: A checkout of this workspace (pyproject.toml beside src/): image specs that are built copy
#: its code in. In a wheel install (an image, a pod) there is none, and nothing is built there.
WORKSPACE = Path(__file__).resolve().parents[2]

#: Where the workspace's sources go in an image while its wheel is built and installed.
_SOURCES = "/opt/stargazer/source"
_PROJECT_FILES = ("pyproject.toml", "README.md")

#: What every task image needs to import `stargazer.tasks` and run a task: Flyte itself, the CLI
#: and store libraries, the data frame stack, and pysam (`stargazer.tasks` imports every task
#: module, and the alignment ones import pysam at module level). Names only; the versions come
#: from pyproject.toml. `tests/stargazer/test_images.py` checks the list against what importing
#: the tasks and workflows loads.
CORE_PACKAGES = (
    "flyte",
    "click",
    "rich",
    "numpy",
    "pandas",
    "obstore",
    "botocore",
    "packaging",
    "pysam",
)


#: Task images are built for x86-64 nodes (one architecture: half the build time and size).
PLATFORMS: tuple[Literal["linux/amd64", "linux/arm64"], ...] = ("linux/amd64",)


def _has_checkout() -> bool:
    return (WORKSPACE / "pyproject.toml").is_file() and (WORKSPACE / "src" / "stargazer").is_dir()


def workspace_image(name: str, *packages: str) -> flyte.Image:
    """An image holding this workspace: pinned dependencies plus its own code as a normal install.

    The base is Flyte's Debian image without a preinstalled Flyte (`install_flyte=False`), so
    Flyte's version is the pin in pyproject.toml like every other package. `packages` (and
    `CORE_PACKAGES`) are names from pyproject.toml's `[project] dependencies`, installed at the
    version pinned there (`stargazer.pins`). The workspace itself is built from its sources
    into a wheel inside the image and installed without dependencies, so nothing named
    `stargazer` is ever fetched from a package index (that name on PyPI is another project).

    Args:
        name: The image name (`stargazer`, `stargazer-gatk`, ...).
        *packages: Dependency names beyond `CORE_PACKAGES`.

    Returns:
        The image spec; Flyte builds it on deploy (`flyte deploy`, `flyte build`).
    """
    wanted = tuple(dict.fromkeys((*CORE_PACKAGES, *packages)))
    image = flyte.Image.from_debian_base(
        python_version=(3, 11), install_flyte=False, name=name, platform=PLATFORMS
    ).with_pip_packages(*pins.requirements(*wanted))
    if _has_checkout():
        image = (
            image.with_dockerignore(WORKSPACE / ".dockerignore")
            .with_source_file([WORKSPACE / name for name in _PROJECT_FILES], f"{_SOURCES}/")
            .with_source_folder(WORKSPACE / "src", f"{_SOURCES}/src")
            .with_commands(
                [
                    f"uv pip install --python $UV_PYTHON --no-deps --no-cache {_SOURCES}"
                    f" && rm -rf {_SOURCES}"
                ]
            )
        )
    return image


#: Every runtime dependency: the hosted notebook app (`stargazer.app`) runs any notebook.
STARGAZER_IMAGE = workspace_image("stargazer", *pins.dependencies())

#: The packages gatk_env's tasks run: they and their whole dependency closure are in the key,
#: and its image installs them at the versions pinned in pyproject.toml.
GATK_PACKAGES = ("pysam", "pybwa", "numpy")

#: Alignment and variant calling need only pysam (samtools, bcftools) and pybwa (BWA-MEM).
GATK_IMAGE = workspace_image("stargazer-gatk", *GATK_PACKAGES)

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

#: The packages scrna_env's tasks run: they and their whole dependency closure (umap-learn,
#: numba, h5py, ...) are in the key. Pinned in pyproject.toml to a combination that works
#: (pynndescent 0.7.0 breaks scanpy 1.11.5 `neighbors`; leiden needs igraph; seurat_v3 HVG
#: needs scikit-misc).
SCRNA_PACKAGES = (
    "scanpy",
    "anndata",
    "igraph",
    "leidenalg",
    "pynndescent",
    "scikit-misc",
    "scikit-image",
)

#: Where the scRNA image keeps numba's compiled code (readable and writable by the task user).
NUMBA_CACHE_DIR = "/opt/stargazer/numba-cache"

#: The single-cell image; the numba code of every step is compiled at build time
#: (`stargazer.tasks.scrna.warm_up`), so no pod pays it.
SCRNA_IMAGE = (
    workspace_image("stargazer-scrna", *SCRNA_PACKAGES)
    .with_env_vars({"NUMBA_CACHE_DIR": NUMBA_CACHE_DIR})
    .with_commands(
        [
            f"mkdir -p {NUMBA_CACHE_DIR} && python -m stargazer.tasks.scrna.warm_up"
            f" && chmod -R a+rwX {NUMBA_CACHE_DIR}"
        ]
    )
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
    "CORE_PACKAGES",
    "GATK_IMAGE",
    "GATK_PACKAGES",
    "SCRNA_IMAGE",
    "SCRNA_PACKAGES",
    "STARGAZER_IMAGE",
    "WORKSPACE",
    "cache_policy",
    "gatk_env",
    "scrna_env",
    "workspace_image",
]

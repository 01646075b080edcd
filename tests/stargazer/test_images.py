"""The cluster images hold this workspace: pinned names from pyproject.toml plus our own code.

`make image-check` builds the gatk_env and scrna_env images and runs a task in each; these
tests check the specs themselves, without an engine: what each image installs, where its
versions come from (`stargazer.pins`), and that nothing is fetched under the package-index
name `stargazer` (another project's).
"""

from __future__ import annotations

import importlib.metadata
import tomllib

import pytest
from flyte._image import CodeBundleLayer, Commands, CopyConfig, PipPackages, Requirements, UVProject
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from stargazer import config, pins
from stargazer.app import APP_IMAGE, marimo_env
from stargazer.testing import checkout_root

REPO_ROOT = checkout_root()
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
DECLARED = {
    canonicalize_name(Requirement(r).name): Requirement(r) for r in PYPROJECT["dependencies"]
}
IMAGES = {
    "stargazer": config.STARGAZER_IMAGE,
    "stargazer-gatk": config.GATK_IMAGE,
    "stargazer-scrna": config.SCRNA_IMAGE,
    "app": APP_IMAGE,
}


def _pip_packages(image) -> list[str]:
    return [p for layer in image._layers if isinstance(layer, PipPackages) for p in layer.packages]


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_every_pip_package_is_a_pyproject_dependency_at_its_pin(name):
    packages = _pip_packages(IMAGES[name])
    assert packages, f"{name} installs no pip packages"
    for text in packages:
        requirement = Requirement(text)
        key = canonicalize_name(requirement.name)
        assert key in DECLARED, f"{name} installs {text}, which pyproject.toml does not declare"
        assert requirement.specifier == DECLARED[key].specifier, (text, str(DECLARED[key]))
        assert key != "stargazer", f"{name} would fetch the package-index `stargazer`"


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_the_workspace_code_comes_from_its_own_sources(name):
    image = IMAGES[name]
    layers = image._layers
    assert not [layer for layer in layers if isinstance(layer, Requirements | UVProject)]
    copied = {layer.src for layer in layers if isinstance(layer, CopyConfig)}
    assert REPO_ROOT / "src" in copied and REPO_ROOT / "pyproject.toml" in copied
    commands = [c for layer in layers if isinstance(layer, Commands) for c in layer.commands]
    installs = [c for c in commands if "pip install" in c]
    assert len(installs) == 1 and "--no-deps" in installs[0], installs
    assert "stargazer" not in installs[0].replace("/opt/stargazer/", "")
    assert not [layer for layer in layers if isinstance(layer, CodeBundleLayer)]
    assert image.python_version == (3, 11)


def test_flyte_itself_is_the_pinned_version_not_a_preinstalled_base():
    for name, image in IMAGES.items():
        assert image.base_image == "python:3.11-slim-bookworm", name
        assert pins.requirement("flyte") in _pip_packages(image), name


def test_task_images_install_what_their_cache_keys_cover():
    gatk = {canonicalize_name(Requirement(p).name) for p in _pip_packages(config.GATK_IMAGE)}
    scrna = {canonicalize_name(Requirement(p).name) for p in _pip_packages(config.SCRNA_IMAGE)}
    assert {canonicalize_name(p) for p in config.GATK_PACKAGES} <= gatk
    assert {canonicalize_name(p) for p in config.SCRNA_PACKAGES} <= scrna
    assert not {"scanpy", "anndata"} & gatk, "the alignment image carries the single-cell stack"


def test_the_app_image_has_every_runtime_dependency_and_the_notebooks():
    installed = {canonicalize_name(Requirement(p).name) for p in _pip_packages(APP_IMAGE)}
    assert installed == set(DECLARED)
    notebooks = [layer for layer in APP_IMAGE._layers if isinstance(layer, CopyConfig)]
    assert (REPO_ROOT / "notebooks", "./notebooks") in {(n.src, n.dst) for n in notebooks}
    assert marimo_env.image is APP_IMAGE


def test_scrna_image_compiles_numba_code_at_build_time():
    commands = [
        c
        for layer in config.SCRNA_IMAGE._layers
        if isinstance(layer, Commands)
        for c in layer.commands
    ]
    assert any("python -m stargazer.tasks.scrna.warm_up" in c for c in commands)


def test_pins_read_pyproject_in_a_checkout():
    assert pins.requirement("pysam") == f"pysam{DECLARED['pysam'].specifier}"
    assert pins.pinned_version("flyte") == str(DECLARED["flyte"].specifier).removeprefix("==")
    assert pins.pinned_version("numpy") is None  # a range, not a pin
    assert set(pins.dependencies()) == set(DECLARED)


def test_pins_refuse_a_name_pyproject_does_not_declare():
    with pytest.raises(KeyError, match="not in \\[project\\] dependencies"):
        pins.requirement("tensorflow")


def test_pins_come_from_installed_metadata_without_a_pyproject(monkeypatch, tmp_path):
    """In a wheel install (an image, a pod) there is no pyproject.toml: Requires-Dist is used."""
    monkeypatch.setattr(pins, "PYPROJECT", tmp_path / "pyproject.toml")
    pins.dependencies.cache_clear()
    try:
        from_metadata = pins.dependencies()
    finally:
        pins.dependencies.cache_clear()
    declared = importlib.metadata.requires("stargazer")
    runtime = [r for r in declared if "extra ==" not in r.replace("'", '"')]
    assert set(from_metadata) == {canonicalize_name(Requirement(r).name) for r in runtime}
    assert "pytest" not in from_metadata  # dev extras are not runtime dependencies
    assert str(from_metadata["flyte"].specifier) == "==2.12.1"


IMPORTED = r"""
import importlib.metadata as md, json, sys
before = {m.split(".")[0] for m in sys.modules}
import stargazer.tasks, stargazer.workflows
names = {m.split(".")[0] for m in sys.modules} - before
dists = md.packages_distributions()
print(json.dumps(sorted({d for n in names for d in dists.get(n, [])})))
"""


def test_core_packages_cover_what_importing_the_tasks_loads():
    """A pod imports `stargazer.tasks` before any task: every image must hold what that needs."""
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", IMPORTED], capture_output=True, text=True, check=True
    )
    loaded = {canonicalize_name(name) for name in json.loads(result.stdout)}
    needed = (loaded & set(DECLARED)) - {"stargazer"}
    assert needed <= {canonicalize_name(p) for p in config.CORE_PACKAGES}, needed

"""Inside a task image: what a Flyte pod is handed and what it hands back, for one task.

`scripts/task_images.py` mounts a scratch folder at /work and runs this with the image's
Python before and after the pod entrypoint (`a0 ...`) runs the task:

    python /work/pod_io.py inputs TASK     register a tiny real input in the store
                                           ($STARGAZER_HOME) and write /work/inputs.pb
    python /work/pod_io.py outputs TASK    read /work/outputs/outputs.pb, check the asset
    python /work/pod_io.py versions        installed versions of the pinned dependencies,
                                           from this image's stargazer metadata (JSON)

Only the standard library, flyte and stargazer are used: it runs on the image as built.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import sys
import tempfile
from pathlib import Path

WORK = Path("/work")


def _task(name: str):
    if name == "prepare_reference":
        from stargazer.tasks.general.reference import prepare_reference

        return prepare_reference
    if name == "normalize":
        from stargazer.tasks.scrna.normalize import normalize

        return normalize
    raise SystemExit(f"pod_io.py: no input recipe for task {name!r}")


async def _fasta():
    from stargazer.types import Reference

    path = Path(tempfile.mkdtemp()) / "tiny.fa"
    bases = "ACGTTGCAAGCTTCGATCGGATCCTAGGCTAACGTACGATCGTAGCTAGCTAGGATCCATGCAT"
    path.write_text(f">chr1\n{bases * 4}\n>chr2\n{bases[::-1] * 3}\n")
    return {"reference": await Reference.create(path, build="tiny")}


async def _h5ad():
    import anndata
    import numpy as np
    import pandas as pd

    from stargazer.types import AnnData

    rng = np.random.default_rng(0)
    counts = rng.poisson(2.0, size=(40, 30)).astype(np.float32)
    adata = anndata.AnnData(
        X=counts,
        obs=pd.DataFrame(index=[f"cell{i}" for i in range(40)]),
        var=pd.DataFrame(index=[f"gene{i}" for i in range(30)]),
    )
    path = Path(tempfile.mkdtemp()) / "tiny.h5ad"
    adata.write_h5ad(path)
    asset = await AnnData.create(
        path, sample_id="tiny", stage="qc", n_obs=adata.n_obs, n_vars=adata.n_vars
    )
    return {"data": asset}


async def inputs(task_name: str) -> None:
    """Register the task's input and write the inputs file a pod reads (`--inputs`)."""
    from flyte._internal.runtime.convert import convert_from_native_to_inputs

    task = _task(task_name)
    kwargs = await (_fasta() if task_name == "prepare_reference" else _h5ad())
    converted = await convert_from_native_to_inputs(task.native_interface, **kwargs)
    (WORK / "inputs.pb").write_bytes(converted.proto_inputs.SerializeToString())
    print(f"inputs for {task_name}: {', '.join(f'{k}={v.id}' for k, v in kwargs.items())}")


async def outputs(task_name: str) -> None:
    """Read the outputs file the pod wrote and check the asset it names."""
    from flyte._internal.runtime.convert import Outputs, convert_outputs_to_native
    from flyteidl2.task import common_pb2

    task = _task(task_name)
    error = WORK / "outputs" / "error.pb"
    if error.exists():
        raise SystemExit(f"the pod wrote an error: {error.read_bytes()[:2000]!r}")
    proto = common_pb2.Outputs()
    proto.ParseFromString((WORK / "outputs" / "outputs.pb").read_bytes())
    result = await convert_outputs_to_native(task.native_interface, Outputs(proto_outputs=proto))
    await result.fetch()
    if task_name == "prepare_reference":
        roles = ("fai", "dict", "amb", "ann", "bwt", "pac", "sa")
        missing = [role for role in roles if role not in result.files]
        assert not missing, f"prepared reference lacks {missing}"
    else:
        assert result.stage == "normalized", result.stage
        assert (result.n_obs, result.n_vars) == (40, 30), (result.n_obs, result.n_vars)
    files = ", ".join(sorted(result.files))
    print(f"{task_name} output: {type(result).__name__} {result.id} ({files})")


def versions() -> None:
    """Installed version of every pinned dependency, with the pin this image's metadata holds."""
    from stargazer import pins

    found = {}
    for name, requirement in pins.dependencies().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        found[name] = {"pin": str(requirement.specifier), "installed": installed}
    dist = importlib.metadata.distribution("stargazer")
    found["stargazer"] = {"pin": "(this workspace)", "installed": dist.version}
    print(json.dumps(found))


def main() -> None:
    """Dispatch the subcommand (see the module docstring)."""
    command, *args = sys.argv[1:] or ["?"]
    if command == "inputs":
        asyncio.run(inputs(*args))
    elif command == "outputs":
        asyncio.run(outputs(*args))
    elif command == "versions":
        versions()
    else:
        raise SystemExit("usage: pod_io.py inputs TASK | outputs TASK | versions")


if __name__ == "__main__":
    main()

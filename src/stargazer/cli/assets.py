"""`stargazer assets`: add, list, show and export the assets in the store.

The commands that keep the store sound (verify, reindex, gc, rm) live in `assets_upkeep`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from stargazer.cli.errors import reported

#: Companion role by file-name ending, for `--companion PATH` without `ROLE=`.
ROLE_BY_SUFFIX = {
    ".fai": "fai",
    ".dict": "dict",
    ".amb": "amb",
    ".ann": "ann",
    ".bwt": "bwt",
    ".pac": "pac",
    ".sa": "sa",
    ".bai": "bai",
    ".tbi": "tbi",
}


def _types() -> dict[str, Any]:
    from stargazer.types.base import REGISTRY

    return REGISTRY


def _pairs(values: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not key=value", param_hint=option)
        pairs.append((key.strip(), text))
    return pairs


def _companion_roles(kind: str, values: tuple[str, ...]) -> dict[str, Path]:
    """`ROLE=PATH` or a bare PATH whose role follows from the type and the file name."""
    roles = _types()[kind].roles
    companions: dict[str, Path] = {}
    for value in values:
        role, sep, rest = value.partition("=")
        if sep and role in roles:
            path = Path(rest)
        elif kind == "reads":
            role, path = "r2", Path(value)
        else:
            path = Path(value)
            role = next((r for s, r in ROLE_BY_SUFFIX.items() if value.endswith(s)), "")
            if role not in roles:
                raise click.BadParameter(
                    f"cannot tell the role of {value} for a {kind} asset: write ROLE=PATH "
                    f"with ROLE one of {', '.join(roles) or 'none'}",
                    param_hint="--companion",
                )
        if role in companions:
            raise click.BadParameter(f"two files for role {role!r}", param_hint="--companion")
        companions[role] = path
    return companions


@click.group()
def assets() -> None:
    """Typed assets in the content-addressed store.

    The store is `$STARGAZER_HOME`, else `.stargazer/` at the workspace root, else (outside any
    workspace) a per-user store, said once; with `STARGAZER_STORE=s3://bucket/prefix` it is
    remote and the local folder is a cache.
    """


@assets.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--type",
    "kind",
    required=True,
    type=click.Choice(["reference", "reads", "alignment", "variants", "anndata", "table"]),
    help="What the file is.",
)
@click.option(
    "--companion",
    "companions",
    multiple=True,
    metavar="[ROLE=]PATH",
    help="A companion file (R2 for reads; .fai/.dict/.bai/.tbi/BWA index by its suffix).",
)
@click.option("--meta", multiple=True, metavar="KEY=VALUE", help="A metadata field.")
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="KEY=VALUE",
    help="A free-form label (batch=b1, tissue=lung); repeatable. Find it with "
    "`ls --where label.KEY=VALUE`.",
)
@click.option("--parent", "parents", multiple=True, metavar="ID", help="An asset it came from.")
@click.option("--tool", default="user", show_default=True, help="What made the file.")
@click.option("--tool-version", default="", help="The version of --tool.")
def add(
    path: Path,
    kind: str,
    companions: tuple[str, ...],
    meta: tuple[str, ...],
    labels: tuple[str, ...],
    parents: tuple[str, ...],
    tool: str,
    tool_version: str,
) -> None:
    """Validate PATH (with its companions), store it and print the new asset id.

    Paired reads: `stargazer assets add R1.fastq.gz --companion R2.fastq.gz --type reads`.
    """
    cls = _types()[kind]
    pairs = dict(_pairs(meta, "--meta"))
    tags: dict[str, str] = {}
    for key, value in _pairs(labels, "--label"):
        if key in tags:
            raise click.BadParameter(f"label {key!r} given twice", param_hint="--label")
        tags[key] = value
    with reported(ValueError, OSError):
        metadata = cls.parse_metadata(pairs)
        asset = cls.create_sync(
            path,
            companions=_companion_roles(kind, companions),
            parents=list(parents),
            tool=tool,
            tool_version=tool_version,
            labels=tags,
            **metadata,
        )
    click.echo(asset.id)


def _summary(manifest: dict[str, Any]) -> str:
    shown = {k: v for k, v in manifest["metadata"].items() if v not in ("", 0, False)}
    shown.update({f"label.{k}": v for k, v in manifest.get("labels", {}).items()})
    meta = " ".join(f"{k}={v}" for k, v in shown.items())
    return f"{manifest['id']}  {manifest['names']['primary']}  {meta}".rstrip()


@assets.command(name="ls")
@click.option("--type", "kind", default=None, help="Only this kind (reads, alignment, ...).")
@click.option(
    "--where",
    multiple=True,
    metavar="KEY=VALUE",
    help="Metadata filter, or label.KEY=VALUE for a label; repeat a key for any-of.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the manifests as JSON.")
def list_assets(kind: str | None, where: tuple[str, ...], as_json: bool) -> None:
    """List assets, oldest first.

    `--where KEY=VALUE` matches a typed field (sample_id, build, ...; a misspelt one is
    refused); `--where label.KEY=VALUE` matches a free-form label given with `add --label`.
    """
    from stargazer.types import assemble

    filters: dict[str, list[str]] = {}
    for key, value in _pairs(where, "--where"):
        filters.setdefault(key, []).append(value)
    with reported(ValueError, OSError):
        found = assemble(kind=kind, **filters)
    manifests = []
    for asset in found:
        try:
            manifests.append(asset.manifest())
        except ValueError as err:  # one damaged manifest never hides the others
            click.echo(f"warning: skipped {asset.id}: {err}", err=True)
    if as_json:
        click.echo(json.dumps(manifests, indent=2, sort_keys=True))
        return
    for manifest in manifests:
        click.echo(_summary(manifest))


@assets.command()
@click.argument("asset_id")
def show(asset_id: str) -> None:
    """Print the manifest of one asset (files, metadata, lineage)."""
    from stargazer.types import Asset

    with reported(ValueError, OSError):
        manifest = Asset.load(asset_id).manifest()
    click.echo(json.dumps(manifest, indent=2, sort_keys=True))


@assets.command()
@click.argument("asset_id")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def export(asset_id: str, dest: Path) -> None:
    """Copy an asset's files into the folder DEST, under their names (never overwrites).

    Each file is checked against its digest while it is copied: a corrupted object is
    refused and nothing is left in DEST. Copies are never more readable than the stored file.
    """
    from stargazer.store import open_store
    from stargazer.types import Asset

    with reported(ValueError, OSError):
        asset = Asset.load(asset_id)
        written = open_store().export(asset.files, asset.names, dest)
    for target in written:
        click.echo(str(target))


def _register_upkeep() -> None:
    from stargazer.cli.assets_upkeep import gc, reindex, remove, verify

    for command in (verify, reindex, gc, remove):
        assets.add_command(command)


_register_upkeep()

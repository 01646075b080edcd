"""`stargazer assets`: add, list, show, export and check the assets in the store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import click

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


def _store_errors() -> tuple[type[Exception], ...]:
    from stargazer.errors import InvalidAssetError

    return (InvalidAssetError, KeyError, ValueError, FileNotFoundError, OSError)


@click.group()
def assets() -> None:
    """Typed assets in the content-addressed store.

    The store is `$STARGAZER_HOME` (default `.stargazer/` at the workspace root); with
    `STARGAZER_STORE=s3://bucket/prefix` it is remote and the local folder is a cache.
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
@click.option("--parent", "parents", multiple=True, metavar="ID", help="An asset it came from.")
@click.option("--tool", default="user", show_default=True, help="What made the file.")
@click.option("--tool-version", default="", help="The version of --tool.")
def add(
    path: Path,
    kind: str,
    companions: tuple[str, ...],
    meta: tuple[str, ...],
    parents: tuple[str, ...],
    tool: str,
    tool_version: str,
) -> None:
    """Validate PATH (with its companions), store it and print the new asset id.

    Paired reads: `stargazer assets add R1.fastq.gz --companion R2.fastq.gz --type reads`.
    """
    cls = _types()[kind]
    pairs = dict(_pairs(meta, "--meta"))
    try:
        metadata = cls.parse_metadata(pairs)
        asset = cls.create_sync(
            path,
            companions=_companion_roles(kind, companions),
            parents=list(parents),
            tool=tool,
            tool_version=tool_version,
            **metadata,
        )
    except _store_errors() as err:
        raise click.ClickException(str(err).strip("'\"")) from err
    click.echo(asset.id)


def _summary(manifest: dict[str, Any]) -> str:
    shown = {k: v for k, v in manifest["metadata"].items() if v not in ("", 0, False)}
    meta = " ".join(f"{k}={v}" for k, v in shown.items())
    return f"{manifest['id']}  {manifest['names']['primary']}  {meta}".rstrip()


@assets.command(name="ls")
@click.option("--type", "kind", default=None, help="Only this kind (reads, alignment, ...).")
@click.option(
    "--where",
    multiple=True,
    metavar="KEY=VALUE",
    help="Metadata filter; repeat a key for any-of.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the manifests as JSON.")
def list_assets(kind: str | None, where: tuple[str, ...], as_json: bool) -> None:
    """List assets, oldest first."""
    from stargazer.types import assemble

    filters: dict[str, list[str]] = {}
    for key, value in _pairs(where, "--where"):
        filters.setdefault(key, []).append(value)
    try:
        found = assemble(kind=kind, **filters)
        manifests = [asset.manifest() for asset in found]
    except _store_errors() as err:
        raise click.ClickException(str(err).strip("'\"")) from err
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

    try:
        manifest = Asset.load(asset_id).manifest()
    except _store_errors() as err:
        raise click.ClickException(str(err).strip("'\"")) from err
    click.echo(json.dumps(manifest, indent=2, sort_keys=True))


@assets.command()
@click.argument("asset_id")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def export(asset_id: str, dest: Path) -> None:
    """Copy an asset's files into the folder DEST, under their names (never overwrites)."""
    from stargazer.types import Asset

    try:
        asset = Asset.load(asset_id)
        folder = asset.path.parent
    except _store_errors() as err:
        raise click.ClickException(str(err).strip("'\"")) from err
    targets = [dest / name for name in sorted(asset.names.values())]
    clashes = [str(t) for t in targets if t.exists()]
    if clashes:
        raise click.ClickException(
            f"{', '.join(clashes)} already exist; export into an empty folder or move them"
        )
    dest.mkdir(parents=True, exist_ok=True)
    for target in targets:
        shutil.copyfile(folder / target.name, target)
        click.echo(str(target))


@assets.command()
def verify() -> None:
    """Re-hash every object and check every manifest; exit 1 naming each problem."""
    from stargazer.store import open_store

    store = open_store()
    problems = store.verify()
    objects = sum(1 for _ in store.local.iter_objects())
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException(
            f"{len(problems)} problem(s) in {store.describe()}; re-add the affected files "
            "(and run `stargazer assets gc --delete` to drop corrupted objects no one uses)"
        )
    click.echo(f"OK: {objects} objects verified in {store.describe()}")


@assets.command()
def reindex() -> None:
    """Rebuild the query index from the manifests (nothing is lost by deleting it)."""
    from stargazer.store import open_store

    store = open_store()
    count, problems = store.reindex()
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(f"indexed {count} assets in {store.describe()}")
    if problems:
        raise click.ClickException(f"{len(problems)} manifest(s) could not be read")


@assets.command()
@click.option("--delete", is_flag=True, help="Delete them (the default only lists them).")
def gc(delete: bool) -> None:
    """Find objects no manifest references, stale staging files and orphan views.

    Lists them by default; --delete deletes them. Only the local store (or cache) is
    collected; objects in a remote store are never deleted.
    """
    from stargazer.store import open_store

    local = open_store().local
    garbage = local.garbage()
    for path in garbage:
        click.echo(str(path))
    if delete:
        freed = local.collect(garbage)
        click.echo(f"deleted {len(garbage)} path(s), {freed} bytes freed")
    else:
        click.echo(f"{len(garbage)} path(s) to delete; run with --delete to delete them")

"""`stargazer assets`: add, list, show, export and check the assets in the store."""

from __future__ import annotations

import json
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
    try:
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
    except _store_errors() as err:
        raise click.ClickException(str(err).strip("'\"")) from err
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
    try:
        found = assemble(kind=kind, **filters)
    except _store_errors() as err:
        raise click.ClickException(str(err).strip("'\"")) from err
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

    try:
        manifest = Asset.load(asset_id).manifest()
    except _store_errors() as err:
        raise click.ClickException(str(err).strip("'\"")) from err
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

    try:
        asset = Asset.load(asset_id)
        written = open_store().export(asset.files, asset.names, dest)
    except _store_errors() as err:
        raise click.ClickException(str(err).strip("'\"")) from err
    for target in written:
        click.echo(str(target))


@assets.command()
def verify() -> None:
    """Re-hash every object and check every manifest; exit 1 naming each problem."""
    from stargazer.store import open_store

    store = open_store()
    try:
        problems = store.verify()
        objects = sum(1 for _ in store.local.iter_objects())
    except OSError as err:
        raise click.ClickException(str(err)) from err
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise click.ClickException(
            f"{len(problems)} problem(s) in {store.describe()}. Repair: re-add the original "
            "file of a corrupted or missing object (`stargazer assets add`, same metadata); "
            "remove an asset you no longer need with `stargazer assets rm ID`"
        )
    click.echo(f"OK: {objects} objects verified in {store.describe()}")


@assets.command()
def reindex() -> None:
    """Rebuild the query index from the manifests (nothing is lost by deleting it)."""
    from stargazer.store import open_store

    store = open_store()
    try:
        count, problems = store.reindex()
    except OSError as err:
        raise click.ClickException(
            f"cannot rebuild the index of {store.describe()}: {err}. `ls`, `show` and "
            "`export` work without it; reindex needs a writable store with free space"
        ) from err
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(f"indexed {count} assets in {store.describe()}")
    if problems:
        raise click.ClickException(f"{len(problems)} manifest(s) could not be read")


@assets.command()
@click.option("--delete", is_flag=True, help="Delete them (the default only lists them).")
@click.option(
    "--remote",
    is_flag=True,
    help="Instead: find incomplete multipart uploads in the remote store (left by killed "
    "uploads); with --delete, abort them.",
)
@click.option(
    "--min-age-hours",
    type=click.FloatRange(min=0),
    default=24.0,
    show_default=True,
    help="With --remote: only uploads started at least this long ago (younger ones may be live).",
)
def gc(delete: bool, remote: bool, min_age_hours: float) -> None:
    """Find objects no manifest references, stale staging files and orphan views.

    Lists them by default; --delete deletes them. Only the local store (or cache) is
    collected; objects in a remote store are never deleted. `--remote` instead finds the
    incomplete multipart uploads an upload killed midway leaves in the bucket.
    """
    from stargazer.store import open_store

    if remote:
        _gc_remote(delete, min_age_hours)
        return

    from stargazer.store.gc import plan, sweep

    local = open_store().local
    try:
        found = plan(local)
        for path in found.paths:
            click.echo(str(path))
        for problem in found.problems:
            click.echo(f"kept: {problem}", err=True)
        if found.problems:
            click.echo(
                f"{len(found.problems)} manifest(s) cannot be read, so no object is deleted "
                "(they may name any object). Repair them by re-adding their files, or remove "
                "them with `stargazer assets rm ID`",
                err=True,
            )
        if delete:
            deleted, freed = sweep(local, found)
            click.echo(f"deleted {deleted} path(s), {freed} bytes freed")
        else:
            click.echo(f"{len(found.paths)} path(s) to delete; run with --delete to delete them")
    except OSError as err:
        raise click.ClickException(str(err)) from err


def _gc_remote(delete: bool, min_age_hours: float) -> None:
    """List (and with `delete`, abort) stale multipart uploads under the remote prefix."""
    from datetime import timedelta

    from stargazer.store import open_store

    store = open_store()
    if store.remote is None:
        raise click.ClickException(
            "no remote store is configured: set STARGAZER_STORE=s3://bucket/prefix"
        )
    try:
        stale = store.remote.stale_uploads(timedelta(hours=min_age_hours))
        for upload in stale:
            click.echo(
                f"{store.remote.where(upload['key'])}  upload {upload['upload_id'][:16]}...  "
                f"started {upload['initiated'].isoformat(timespec='seconds')}"
            )
        if delete:
            aborted = store.remote.abort_uploads(stale)
            click.echo(f"aborted {aborted} incomplete upload(s) in {store.remote.describe()}")
        else:
            click.echo(
                f"{len(stale)} incomplete upload(s) older than {min_age_hours:g} h; "
                "run with --delete to abort them"
            )
    except OSError as err:
        raise click.ClickException(str(err)) from err


@assets.command(name="rm")
@click.argument("asset_ids", nargs=-1, required=True, metavar="ID...")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@click.option(
    "--with-descendants",
    is_flag=True,
    help="Also remove every asset made from these (otherwise such assets refuse the removal).",
)
def remove(asset_ids: tuple[str, ...], dry_run: bool, with_descendants: bool) -> None:
    """Remove assets from the store (their bytes are freed by `stargazer assets gc --delete`).

    An asset that other assets list as a parent is kept unless --with-descendants removes
    those too. A manifest that cannot be read can be removed by its id.
    """
    from stargazer.store import open_store
    from stargazer.store.manifest import check_asset_id

    store = open_store()
    try:
        chosen = [check_asset_id(asset) for asset in asset_ids]
        unknown = [a for a in chosen if not store.local.manifest_path(a).is_file()]
        if unknown and store.remote is None:
            raise click.ClickException(f"no asset {', '.join(unknown)} in {store.describe()}")
        doomed = _with_descendants(store, chosen)
        extra = [a for a in doomed if a not in chosen]
        if extra and not with_descendants:
            raise click.ClickException(
                f"{len(extra)} asset(s) were made from these and would lose their parent: "
                f"{', '.join(extra[:5])}{' ...' if len(extra) > 5 else ''}. Pass "
                "--with-descendants to remove them too"
            )
        if dry_run:
            for asset in doomed:
                click.echo(f"would remove {asset}")
            return
        for asset in store.remove(doomed):
            click.echo(f"removed {asset}")
    except (ValueError, OSError) as err:
        raise click.ClickException(str(err)) from err
    click.echo("run `stargazer assets gc --delete` to free their bytes")


def _with_descendants(store: Any, assets: list[str]) -> list[str]:
    """`assets` followed by every asset that descends from them (children first reached)."""
    manifests = store.query()
    children: dict[str, list[str]] = {}
    for manifest in manifests:
        for parent in manifest["parents"]:
            children.setdefault(parent, []).append(manifest["id"])
    order, pending = list(assets), list(assets)
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in order:
                order.append(child)
                pending.append(child)
    return order

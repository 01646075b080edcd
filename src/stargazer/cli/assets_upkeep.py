"""`stargazer assets verify | reindex | gc | rm`: keep the store sound.

Registered on the `stargazer assets` group by `stargazer.cli.assets`.
"""

from __future__ import annotations

from typing import Any

import click

from stargazer.cli.errors import CLIError


@click.command()
def verify() -> None:
    """Re-hash every object and check every manifest; exit 1 naming each problem."""
    from stargazer.store import open_store

    store = open_store()
    try:
        problems = store.verify()
        objects = sum(1 for _ in store.local.iter_objects())
    except OSError as err:
        raise CLIError(str(err)) from err
    if problems:
        for problem in problems:
            click.echo(problem, err=True)
        raise CLIError(
            f"{len(problems)} problem(s) in {store.describe()}. Repair: re-add the original "
            "file of a corrupted or missing object (`stargazer assets add`, same metadata); "
            "remove an asset you no longer need with `stargazer assets rm ID`"
        )
    click.echo(f"OK: {objects} objects verified in {store.describe()}")


@click.command()
def reindex() -> None:
    """Rebuild the query index from the manifests (nothing is lost by deleting it)."""
    from stargazer.store import open_store

    store = open_store()
    try:
        count, problems = store.reindex()
    except OSError as err:
        raise CLIError(
            f"cannot rebuild the index of {store.describe()}: {err}. `ls`, `show` and "
            "`export` work without it; reindex needs a writable store with free space"
        ) from err
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(f"indexed {count} assets in {store.describe()}")
    if problems:
        raise CLIError(f"{len(problems)} manifest(s) could not be read")


@click.command()
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
        raise CLIError(str(err)) from err


def _gc_remote(delete: bool, min_age_hours: float) -> None:
    """List (and with `delete`, abort) stale multipart uploads under the remote prefix."""
    from datetime import timedelta

    from stargazer.store import open_store

    store = open_store()
    if store.remote is None:
        raise CLIError("no remote store is configured: set STARGAZER_STORE=s3://bucket/prefix")
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
        raise CLIError(str(err)) from err


@click.command(name="rm")
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
            raise CLIError(f"no asset {', '.join(unknown)} in {store.describe()}")
        doomed = _with_descendants(store, chosen)
        extra = [a for a in doomed if a not in chosen]
        if extra and not with_descendants:
            raise CLIError(
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
        raise CLIError(str(err)) from err
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

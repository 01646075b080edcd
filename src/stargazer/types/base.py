"""The `Asset` base: metadata plus one primary file and named companions, stored by digest.

Subclasses (one per domain) declare their metadata as dataclass fields, their companion roles
in `roles` and how their files are checked in `_validate`. Every field is deterministic (ids,
digests, names, metadata, lineage), so a Flyte task's cache key follows the content of its
inputs, not where they sit on disk; bookkeeping such as `created_at` lives in the manifest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

from stargazer.errors import AssetNotFoundError, InvalidAssetError
from stargazer.store import open_store
from stargazer.store.index import as_text
from stargazer.store.manifest import (
    KEY,
    check_asset_id,
    check_digest,
    check_labels,
    safe_name,
    safe_value,
    with_labels,
)
from stargazer.types.text import parse_scalar

#: kind -> asset class, filled in by `Asset.__init_subclass__`.
REGISTRY: dict[str, type[Asset]] = {}


@dataclass
class Asset:
    """A typed file in the store. Use a subclass (`Reads`, `Alignment`, ...), not this.

    Attributes:
        id: Content-derived id (kind + file digests + metadata + lineage), set by the store.
        files: Role -> `sha256:<hex>` digest; role "primary" is always present.
        names: Role -> file name used when the files are materialised side by side.
        parents: Ids of the assets this one was made from.
        tool: What made it ("user" for files added by hand).
        tool_version: The version of `tool` that ran.
        params: The parameters the tool ran with, as strings.
        labels: Free-form labels (`{"batch": "b1", "tissue": "lung"}`), beside the typed
            metadata; part of the id only when there are some.
    """

    kind: ClassVar[str] = ""
    roles: ClassVar[tuple[str, ...]] = ()

    id: str = ""
    files: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    parents: list[str] = field(default_factory=list)
    tool: str = ""
    tool_version: str = ""
    params: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            REGISTRY[cls.kind] = cls

    def __post_init__(self) -> None:
        if self.id:
            check_asset_id(self.id)
        for role, digest in self.files.items():
            check_digest(digest)
            safe_name(self.names.get(role, ""), f"{role} file name")
        for parent in self.parents:
            check_asset_id(parent)
        self.labels = check_labels(self.labels)

    # -- metadata --------------------------------------------------------------------------

    @classmethod
    def metadata_fields(cls) -> dict[str, type]:
        """The metadata this type takes: field name -> type (str, bool or int)."""
        common = {f.name for f in dataclasses.fields(Asset)}
        hints = typing.get_type_hints(cls)
        return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.name not in common}

    @property
    def metadata(self) -> dict[str, Any]:
        """This asset's metadata fields and values."""
        return {name: getattr(self, name) for name in self.metadata_fields()}

    @classmethod
    def _check_metadata(cls, given: Mapping[str, Any]) -> dict[str, Any]:
        fields = cls.metadata_fields()
        unknown = sorted(set(given) - set(fields))
        if unknown:
            allowed = ", ".join(sorted(fields)) or "none"
            raise InvalidAssetError(
                f"{cls.__name__} does not take metadata {', '.join(unknown)}: "
                f"the allowed fields are {allowed}"
            )
        defaults = {f.name: f.default for f in dataclasses.fields(cls) if f.name in fields}
        checked = dict(defaults)
        for key, value in given.items():
            expected = fields[key]
            if (expected is int and isinstance(value, bool)) or not isinstance(value, expected):
                raise InvalidAssetError(
                    f"{cls.__name__} metadata {key}={value!r} should be a {expected.__name__}, "
                    f"not a {type(value).__name__}"
                )
            checked[key] = safe_value(key, value) if isinstance(value, str) else value
        return checked

    @classmethod
    def _check_labels(cls, labels: Mapping[str, str] | None) -> dict[str, str]:
        """Checked labels; a label may not take the name of one of this type's fields."""
        given = dict(labels or {})
        fields = cls.metadata_fields()
        clash = sorted(set(given) & set(fields))
        if clash:
            raise InvalidAssetError(
                f"{', '.join(clash)} is a {cls.__name__} field: give it as metadata "
                f"({clash[0]}=..., CLI --meta), not as a label"
            )
        return check_labels(given)

    @classmethod
    def parse_metadata(cls, pairs: Mapping[str, str]) -> dict[str, Any]:
        """Convert `key=value` strings (from the CLI) to typed metadata for this type.

        Raises:
            InvalidAssetError: A value is not of its field's type (`paired=maybe`).
        """
        fields = cls.metadata_fields()
        parsed: dict[str, Any] = {}
        for key, text in pairs.items():
            try:
                parsed[key] = parse_scalar(fields.get(key, str), text)
            except ValueError as err:
                raise InvalidAssetError(f"{key}={text!r}: {err}") from err
        return parsed

    # -- creating --------------------------------------------------------------------------

    @classmethod
    async def create(
        cls,
        path: str | Path,
        companions: Mapping[str, str | Path] | None = None,
        parents: Sequence[str | Asset] = (),
        tool: str = "user",
        tool_version: str = "",
        params: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
        **metadata: Any,
    ) -> Self:
        """Validate files, store them and register the asset; return it.

        Args:
            path: The primary file.
            companions: Role -> file for companion files (see the type's `roles`).
            parents: Assets (or their ids) this one was made from.
            tool: What made it; "user" for files added by hand.
            tool_version: The version of `tool`.
            params: The parameters the tool ran with (stored as strings).
            labels: Free-form labels such as `{"batch": "b1"}` (text; see `check_labels`).
            **metadata: The type's metadata fields.

        Returns:
            The registered asset. Creating the same content twice returns the same asset.

        Raises:
            InvalidAssetError: A file or a value was refused; nothing was registered.
        """
        return await asyncio.to_thread(
            cls.create_sync,
            path,
            companions,
            parents,
            tool,
            tool_version,
            params,
            labels,
            **metadata,
        )

    @classmethod
    def create_sync(
        cls,
        path: str | Path,
        companions: Mapping[str, str | Path] | None = None,
        parents: Sequence[str | Asset] = (),
        tool: str = "user",
        tool_version: str = "",
        params: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
        **metadata: Any,
    ) -> Self:
        """The blocking form of `create`, for scripts and the CLI."""
        if not cls.kind:
            raise TypeError(
                "Asset is the base class: create a Reference, Reads, Alignment, Variants, "
                "AnnData or Table"
            )
        meta = cls._check_metadata(metadata)
        tags = cls._check_labels(labels)
        files = cls._input_files(path, companions)
        lineage = [p.id if isinstance(p, Asset) else check_asset_id(p) for p in parents]
        settings = _checked_provenance(tool, tool_version, params)
        store = open_store()
        for parent in lineage:
            if store.manifest(parent) is None:
                raise InvalidAssetError(
                    f"parent {parent} is not in {store.describe()}: create it first"
                )
        with store.local.workdir() as work:
            files, meta = cls._validate(files, meta, work)
            names = cls._names(files)
            with store.local.writing():  # objects to manifest: gc cannot collect in between
                ingested = {role: store.ingest(file) for role, file in files.items()}
                manifest = store.local.new_manifest(
                    kind=cls.kind,
                    files={role: item.digest for role, item in ingested.items()},
                    names=names,
                    sizes={role: item.size for role, item in ingested.items()},
                    metadata=meta,
                    parents=lineage,
                    tool=tool,
                    tool_version=tool_version,
                    params=settings,
                )
                manifest = with_labels(manifest, tags)
                registered = store.register(manifest)
        return cls.from_manifest(registered)

    @classmethod
    def _input_files(
        cls, path: str | Path, companions: Mapping[str, str | Path] | None
    ) -> dict[str, Path]:
        """Role -> checked input file: the primary and each companion in one of `roles`."""
        files = {"primary": _input_file(path)}
        for role, companion in (companions or {}).items():
            if role not in cls.roles:
                allowed = ", ".join(cls.roles) or "none"
                raise InvalidAssetError(
                    f"{cls.__name__} has no companion role {role!r} ({companion}): "
                    f"the roles are {allowed}"
                )
            files[role] = _input_file(companion)
        return files

    @classmethod
    def _validate(
        cls, files: dict[str, Path], metadata: dict[str, Any], workdir: Path
    ) -> tuple[dict[str, Path], dict[str, Any]]:
        """Check the files with the real library; may add companions built in `workdir`.

        Raises:
            InvalidAssetError: Naming the file, the problem and the fix.
        """
        raise NotImplementedError(f"{cls.__name__} does not say how to validate its files")

    @classmethod
    def _names(cls, files: Mapping[str, Path]) -> dict[str, str]:
        """The file names the roles get side by side; by default the input files' names."""
        primary = safe_name(files["primary"].name)
        names = {"primary": primary}
        for role, path in files.items():
            if role != "primary":
                names[role] = safe_name(cls._companion_name(role, primary, path.name))
        return names

    @classmethod
    def _companion_name(cls, role: str, primary: str, given: str) -> str:
        """The name of a companion next to `primary` (e.g. `x.bam.bai`)."""
        return given if given != primary else f"{role}_{given}"

    # -- reading ---------------------------------------------------------------------------

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> Self:
        """The typed asset a manifest describes."""
        kind = manifest["kind"]
        target = REGISTRY.get(kind)
        if target is None:
            raise ValueError(f"asset {manifest['id']} has unknown kind {kind!r}")
        if not issubclass(target, cls):  # every kind is an Asset: Asset.from_manifest reads all
            raise ValueError(f"asset {manifest['id']} is a {target.__name__}, not a {cls.__name__}")
        fields = target.metadata_fields()
        metadata = {k: v for k, v in manifest["metadata"].items() if k in fields}
        return target(
            id=manifest["id"],
            files=dict(manifest["files"]),
            names=dict(manifest["names"]),
            parents=list(manifest["parents"]),
            tool=manifest["tool"],
            tool_version=manifest["tool_version"],
            params=dict(manifest["params"]),
            labels=dict(manifest.get("labels", {})),
            **metadata,
        )

    @classmethod
    def load(cls, asset_id: str) -> Self:
        """The asset with this id, typed (`Asset.load` works for every kind).

        Raises:
            AssetNotFoundError: No asset has this id (a `KeyError`).
            ValueError: `asset_id` is not an asset id.
        """
        store = open_store()
        manifest = store.manifest(check_asset_id(asset_id))
        if manifest is None:
            raise AssetNotFoundError(
                f"no asset {asset_id} in {store.describe()}; list them with `stargazer assets ls`"
            )
        return cls.from_manifest(manifest)

    def manifest(self) -> dict[str, Any]:
        """The stored manifest (adds `sizes` and `created_at` to the fields).

        Raises:
            AssetNotFoundError: The asset is not registered in this store.
        """
        store = open_store()
        found = store.manifest(self.id)
        if found is None:
            raise AssetNotFoundError(f"asset {self.id} is not registered in {store.describe()}")
        return found

    async def fetch(self) -> Path:
        """Make the files local, side by side under their names; return the primary's path.

        Downloads from the remote store when needed.
        """
        await asyncio.to_thread(self._materialise)
        return self.path

    def _materialise(self) -> Path:
        if not self.id:
            raise ValueError(f"this {type(self).__name__} was never stored: use .create()")
        return open_store().materialise(self.id, self.files, self.names)

    @property
    def path(self) -> Path:
        """Local path of the primary file (materialised on first use)."""
        return self._materialise() / self.names["primary"]

    def companion(self, role: str) -> Path:
        """Local path of a companion file, next to the primary.

        Raises:
            KeyError: The asset has no companion in that role.
        """
        if role not in self.files or role == "primary":
            present = ", ".join(r for r in self.files if r != "primary") or "none"
            raise KeyError(f"{self.id} has no {role!r} companion (it has: {present})")
        return self._materialise() / self.names[role]


def _checked_provenance(
    tool: object, tool_version: object, params: Mapping[str, Any] | None
) -> dict[str, str]:
    """The tool's parameters as text, after checking tool, version and parameter names."""
    if not isinstance(tool, str) or not isinstance(tool_version, str):
        raise InvalidAssetError("tool and tool_version must be strings")
    for key, value in (("tool", tool), ("tool_version", tool_version)):
        if any(ord(c) < 32 for c in value):
            raise InvalidAssetError(f"{key}={value!r} contains a NUL or control character")
    settings = {str(k): as_text(v) for k, v in (params or {}).items()}
    for key in settings:
        if not KEY.match(key):
            raise InvalidAssetError(f"parameter name {key!r} is not a plain identifier")
    return settings


def _input_file(path: str | Path) -> Path:
    """An input file checked to exist, be a regular file and hold bytes."""
    if isinstance(path, str) and "\0" in path:
        raise InvalidAssetError(f"{path!r}: file names may not contain NUL bytes")
    resolved = Path(path)
    if not resolved.exists():
        raise InvalidAssetError(f"{resolved}: no such file")
    if not resolved.is_file():
        raise InvalidAssetError(f"{resolved}: not a regular file")
    if resolved.stat().st_size == 0:
        raise InvalidAssetError(f"{resolved}: the file is empty; nothing to register")
    return resolved


def link_into(folder: Path, source: Path, name: str) -> Path:
    """Symlink `source` into `folder` as `name` (so tools see files side by side)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_name(name)
    target.unlink(missing_ok=True)
    target.symlink_to(source.resolve())
    return target

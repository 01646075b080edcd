"""Tasks take and return typed assets and scalars, never file paths."""

from __future__ import annotations

import ast

from stargazer.review.checks.context import ASSET_TYPES, Context, asset_names
from stargazer.review.findings import Comment, Fix
from stargazer.review.fixes import asset_parameter_fix
from stargazer.review.source import FunctionNode, SourceFile, parameters

WHY = (
    "Tasks pass typed assets, never file paths: a path means nothing on another machine or "
    "pod, the asset records where a file came from, and the cache keys a task on its inputs' "
    "content, which a path hides."
)

_PATH_TYPES = {"Path", "PurePath", "PosixPath", "PathLike", "StrPath"}
_PATH_WORDS = {
    "path", "file", "filename", "fn", "dir", "folder", "directory", "fasta", "fa", "fastq",
    "fq", "bam", "cram", "sam", "vcf", "bcf", "h5ad", "tsv", "csv", "bed", "gtf", "gff",
}  # fmt: skip
_ASSET_BY_CALL = {
    "FastaFile": "Reference",
    "AlignmentFile": "Alignment",
    "VariantFile": "Variants",
    "FastxFile": "Reads",
    "read_h5ad": "AnnData",
    "read_csv": "Table",
}
_ASSET_BY_WORD = {
    "fasta": "Reference", "fa": "Reference", "reference": "Reference", "ref": "Reference",
    "genome": "Reference", "bam": "Alignment", "cram": "Alignment", "sam": "Alignment",
    "alignment": "Alignment", "vcf": "Variants", "bcf": "Variants", "variants": "Variants",
    "fastq": "Reads", "fq": "Reads", "reads": "Reads", "h5ad": "AnnData", "adata": "AnnData",
    "anndata": "AnnData", "tsv": "Table", "csv": "Table", "table": "Table",
}  # fmt: skip
_OPENERS = {"open", "Path", "FastaFile", "AlignmentFile", "VariantFile", "FastxFile", "read_h5ad",
            "read_csv", "TabixFile", "exists", "isfile", "getsize"}  # fmt: skip


def _names_in(annotation: ast.expr) -> set[str]:
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return set()
    found = set()
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
    return found


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _path_uses(node: FunctionNode, param: str) -> list[str]:
    """Names of the file-opening calls `param` is passed to (directly or through str())."""
    uses = []
    for call in ast.walk(node):
        if not isinstance(call, ast.Call) or _callee(call) not in _OPENERS:
            continue
        for arg in call.args:
            if isinstance(arg, ast.Call) and _callee(arg) == "str" and arg.args:
                arg = arg.args[0]
            if isinstance(arg, ast.Name) and arg.id == param:
                uses.append(_callee(call))
    return uses


def _is_path_param(node: FunctionNode, arg: ast.arg) -> bool:
    if arg.annotation is None:
        return False
    names = _names_in(arg.annotation)
    if names & _PATH_TYPES:
        return True
    if "str" not in names:
        return False
    return bool(set(arg.arg.lower().split("_")) & _PATH_WORDS) or bool(_path_uses(node, arg.arg))


def infer_asset(node: FunctionNode, param: str) -> str | None:
    """The asset type a file parameter stands for, from how it is opened or its name."""
    for use in _path_uses(node, param):
        if use in _ASSET_BY_CALL:
            return _ASSET_BY_CALL[use]
    for word in param.lower().split("_"):
        if word in _ASSET_BY_WORD:
            return _ASSET_BY_WORD[word]
    return None


def _parameter_comment(
    source: SourceFile, node: FunctionNode, arg: ast.arg, names: set[str]
) -> Comment | None:
    """A comment on an untyped or file-path parameter (with a fix where the asset is known)."""
    if arg.annotation is None:
        return Comment(
            source.path,
            arg.lineno,
            "asset-io",
            f"`{node.name}`'s parameter `{arg.arg}` has no type.",
            "Flyte builds a task's interface from its type hints; an untyped input "
            "cannot be passed, cached or shown. Give it an asset type or a scalar.",
        )
    if not _is_path_param(node, arg):
        return None
    shown = ast.unparse(arg.annotation)
    asset = infer_asset(node, arg.arg)
    if asset is None:
        advice = (
            f"take the asset that holds the file ({', '.join(ASSET_TYPES)}) and "
            f"`await {arg.arg}.fetch()` for its local path"
        )
        fix = None
    else:
        advice = (
            f"take a `{asset}` and `await {arg.arg}.fetch()` for its local file; record "
            "it as a parent of what the task creates"
        )
        fix = Fix(source.path, asset_parameter_fix(node.name, arg.arg, asset, names))
    return Comment(
        source.path,
        arg.lineno,
        "asset-io",
        f"`{node.name}` takes a file path, `{arg.arg}: {shown}`: {advice}.",
        WHY,
        fix=fix,
    )


def _task_comments(source: SourceFile, node: FunctionNode) -> list[Comment]:
    names = asset_names(source)
    comments = [
        comment
        for arg in parameters(node)
        if arg.arg not in ("self", "cls")
        and (comment := _parameter_comment(source, node, arg, names)) is not None
    ]
    returns = node.returns
    if returns is None:
        comments.append(
            Comment(
                source.path,
                node.lineno,
                "asset-io",
                f"`{node.name}` has no return type.",
                "Flyte builds a task's interface from its type hints: say what it returns "
                "(an asset, a scalar, or None).",
            )
        )
    elif _names_in(returns) & _PATH_TYPES:
        comments.append(
            Comment(
                source.path,
                returns.lineno,
                "asset-io",
                f"`{node.name}` returns a file path (`-> {ast.unparse(returns)}`): register the "
                "file with the asset type's `create` (parents, tool, tool_version) and return "
                "the asset.",
                WHY,
            )
        )
    return comments


def check(context: Context) -> list[Comment]:
    """Comments on changed tasks' untyped or path parameters and path results."""
    return context.on_each_task(_task_comments)

"""Stage 3, resolution: the names a promoted definition uses, and the import for each.

A name resolves to an import from the notebook's `with app.setup:` block or its cells, to a
builtin, or to a name the target module already has. Anything else only exists in the
notebook and is refused, with where it is defined.
"""

from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass, field

from stargazer.errors import PromotionError
from stargazer.import_bindings import ImportSpec
from stargazer.promote.notebook import Candidate, Notebook, cell_label
from stargazer.promote.syntax import BUILTINS, DefNode


def free_names(source: str) -> set[str]:
    r"""Names a definition's source uses that it does not bind itself (module-level lookups).

    Includes names in decorators, default values and annotations (string annotations too).

        >>> sorted(free_names("@env.task\ndef f(x: Ref = D) -> int:\n    return len(x) + y\n"))
        ['D', 'Ref', 'env', 'int', 'len', 'y']
    """
    tree = ast.parse(source)
    defined = {node.name for node in tree.body if isinstance(node, DefNode)}
    names: set[str] = set()

    def visit(table: symtable.SymbolTable, top: bool) -> None:
        for symbol in table.get_symbols():
            if not symbol.is_referenced():
                continue
            module_level = not symbol.is_assigned() and not symbol.is_imported()
            if (top and module_level) or (not top and symbol.is_global()):
                names.add(symbol.get_name())
        for child in table.get_children():
            visit(child, False)

    visit(symtable.symtable(source, "<promoted>", "exec"), True)
    for node in ast.walk(tree):
        names |= _annotation_names(_annotation_of(node))
    return names - defined


def _annotation_of(node: ast.AST) -> ast.expr | None:
    """The annotation an argument, a function (its return) or an annotated assignment has."""
    if isinstance(node, ast.arg):
        return node.annotation
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node.returns
    if isinstance(node, ast.AnnAssign):
        return node.annotation
    return None


def _annotation_names(annotation: ast.expr | None) -> set[str]:
    if annotation is None:
        return set()
    names: set[str] = set()
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                names |= _annotation_names(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                continue
    return names


@dataclass
class Resolution:
    """How the names a promoted definition uses are satisfied."""

    imports: dict[str, ImportSpec] = field(default_factory=dict)
    notebook_only: dict[str, str] = field(default_factory=dict)


def resolve(
    notebook: Notebook,
    candidate: Candidate,
    brought: set[str],
    target_names: set[str],
    resolution: Resolution,
) -> None:
    """Record, in `resolution`, the import or the refusal for each free name of `candidate`."""
    source = notebook.segment(candidate.node)
    for name in sorted(free_names(source)):
        if name in brought:
            continue
        spec = _import_for(notebook, name, candidate)
        if spec is not None:
            resolution.imports[name] = spec
            continue
        if name in target_names or name in BUILTINS:
            continue
        resolution.notebook_only.setdefault(name, _notebook_only_reason(notebook, name))


def resolve_names(
    notebook: Notebook, task: Candidate, helpers: list[Candidate], target_names: set[str]
) -> Resolution:
    """The imports the task and its helpers need in the target module.

    Args:
        notebook: The notebook they come from.
        task: The task being promoted.
        helpers: The definitions brought along with `--with`.
        target_names: The names the target module already binds at its top level.

    Raises:
        PromotionError: A name exists only in the notebook; the message lists each one.
    """
    brought = {h.name for h in helpers} | {task.name}
    resolution = Resolution()
    for candidate in [*helpers, task]:
        resolve(notebook, candidate, brought, target_names - brought, resolution)
    if resolution.notebook_only:
        listed = "\n".join(
            f"  - {name}: {why}" for name, why in sorted(resolution.notebook_only.items())
        )
        raise PromotionError(
            f"cannot promote `{task.name}` from {notebook.path}: it uses names that exist only "
            f"in the notebook:\n{listed}\nImport them in the setup block from the SDK or a "
            "library, pass them as arguments, or bring helper functions along with "
            "--with NAME[,NAME]."
        )
    return resolution


def _import_for(notebook: Notebook, name: str, candidate: Candidate) -> ImportSpec | None:
    entries = notebook.imports.get(name, [])
    if name.startswith("_"):
        entries = [entry for entry in entries if entry[2] is candidate.cell]
    for spec, node, _cell in entries:
        line = getattr(node, "lineno", 1)
        if spec is None:
            raise PromotionError(
                f"{notebook.where(line)}: `{name}` comes from a relative import, which cannot "
                "move into the SDK; import it by its absolute module name in the notebook"
            )
        top = spec.module.split(".")[0]
        sibling = notebook.path.parent / top
        if top == "notebooks" or sibling.with_suffix(".py").exists() or sibling.is_dir():
            raise PromotionError(
                f"{notebook.where(line)}: `{name}` comes from the notebook module "
                f"`{spec.module}`; SDK code never imports notebooks (the boundary rule): "
                f"promote `{name}` first, or bring it along with --with {name}"
            )
        return spec
    return None


def _notebook_only_reason(notebook: Notebook, name: str) -> str:
    bindings = notebook.bindings.get(name, [])
    if not bindings:
        return "not defined in the notebook, its imports or the builtins"
    binding = bindings[0]
    if isinstance(binding.node, DefNode):
        kind = "class" if isinstance(binding.node, ast.ClassDef) else "function"
        place = (
            "at the top level (@app.function)"
            if binding.cell is None
            else f"in {cell_label(binding.cell)}"
        )
        return (
            f"{kind} defined {place} at {notebook.where(binding.line)}; "
            f"bring it along with --with {name}"
        )
    if binding.kind == "module-level name":
        return f"notebook module state at {notebook.where(binding.line)}"
    place = "the setup block" if binding.cell is None else cell_label(binding.cell)
    return f"variable defined in {place} at {notebook.where(binding.line)}"

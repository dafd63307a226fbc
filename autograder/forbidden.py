"""Which forbidden APIs a solution uses: a static scan of its source, per exercise.

For one check, the scan looks at the functions the check calls, every top-level function or class they
reach by name (transitively), and the imports that bind the names they use. A use is any dotted name that
resolves (through ``import x as y`` / ``from x import y``) to a forbidden name or below it, an ``import`` of
one, ``getattr(obj, "const")`` chains, and ``__import__("...")`` / ``importlib.import_module("...")``.
``rnnbook`` and the grader's own packages are always forbidden. The sandbox adds a runtime import guard.
"""

from __future__ import annotations

import ast

__all__ = ["ALWAYS_FORBIDDEN", "forbidden_uses", "is_forbidden"]

ALWAYS_FORBIDDEN = ("rnnbook", "autograder", "nbgrader", "sqlite3", "sqlalchemy", "psycopg2")


def is_forbidden(dotted: str, forbidden) -> str | None:
    """The forbidden entry that ``dotted`` is or lies under (``torch.nn.LSTM`` under ``torch.nn``), or None."""
    for f in forbidden:
        if dotted == f or dotted.startswith(f + "."):
            return f
    return None


def _dotted(node, aliases) -> str | None:
    parts = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[1].value, str)):
            parts.append(node.args[1].value)
            node = node.args[0]
        elif isinstance(node, ast.Name):
            parts.append(aliases.get(node.id, node.id))
            return ".".join(reversed(parts))
        else:
            return None


def _imports(nodes) -> dict[str, str]:
    aliases = {}
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, ast.Import):
                for a in n.names:
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
                for a in n.names:
                    aliases[a.asname or a.name] = f"{n.module}.{a.name}"
    return aliases


def forbidden_uses(sources: list, functions, forbidden, *, anywhere: bool = False) -> list[str]:
    """Human-readable uses of forbidden names by ``functions`` (and what they reach) in ``sources``.

    sources: strings, or ``(label, source)`` pairs (the label, such as ``"cell 13 (solution ...)"``, names
    the cell in the message). What is scanned for one exercise: its functions, every top-level function or
    class they reach by name, and the module-level assignments that bind a name they use; a module-level
    statement that binds nothing they use (``torch.manual_seed(0)`` above a PyTorch class) belongs to no
    exercise. With ``anywhere``, every statement is scanned (for the names no cell may use at all: the
    grader's packages and its gradebook's drivers). Sources that do not parse contribute nothing (the
    sandbox reports the syntax error).
    """
    forbidden = tuple(forbidden) + ALWAYS_FORBIDDEN
    trees, where = [], {}
    for k, s in enumerate(sources):
        label, src = s if isinstance(s, tuple) else (f"cell {k + 1}", s)
        try:
            t = ast.parse(src)
        except (SyntaxError, ValueError):
            continue
        trees.append(t)
        for node in t.body:
            where[id(node)] = label
    top_defs: dict[str, ast.AST] = {}
    top_other: list[ast.AST] = []
    for t in trees:
        for node in t.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                top_defs[node.name] = node
            else:
                top_other.append(node)
    binders: dict[str, list] = {}
    for node in top_other:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                binders.setdefault(n.id, []).append(node)
    reach, todo, seen, used_stmts = [], list(functions), set(), []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        nodes = ([top_defs[name]] if name in top_defs else []) + binders.get(name, [])
        for node in nodes:
            if node in reach or node in used_stmts:
                continue
            (reach if node is top_defs.get(name) else used_stmts).append(node)
            todo += [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]
    scan = reach + used_stmts
    if anywhere:
        scan = [n for t in trees for n in t.body]
    aliases = _imports(top_other + reach)
    hits: list[str] = []

    def hit(what: str, line: int):
        f = is_forbidden(what, forbidden)
        if f:
            msg = f"{label}, line {line}: uses {what} (forbidden: {f})"
            if msg not in hits:
                hits.append(msg)

    for node in scan:
        label = where.get(id(node), "a cell")
        for n in ast.walk(node):
            if isinstance(n, ast.Import):
                for a in n.names:
                    hit(a.name, n.lineno)
            elif isinstance(n, ast.ImportFrom) and n.module:
                for a in n.names:
                    hit(f"{n.module}.{a.name}", n.lineno)
            elif isinstance(n, (ast.Attribute, ast.Name)) or (isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                                                              and n.func.id == "getattr"):
                d = _dotted(n, aliases)
                if d:
                    hit(d, n.lineno)
            if (isinstance(n, ast.Call) and n.args and isinstance(n.args[0], ast.Constant)
                    and isinstance(n.args[0].value, str)):
                fn = _dotted(n.func, aliases) or ""
                if fn.split(".")[-1] in ("__import__", "import_module"):
                    hit(n.args[0].value, n.lineno)
    return hits

"""Which forbidden APIs a solution uses: a static scan of its source, per exercise.

For one check, the scan looks at the functions the check calls, every top-level function or class they
reach by name (transitively), and the imports that bind the names they use. A use is any dotted name that
resolves (through ``import x as y`` / ``from x import y``) to a forbidden name or below it, an ``import`` of
one, ``getattr(obj, "const")`` chains, and ``__import__("...")`` / ``importlib.import_module("...")``.
``rnnbook`` and the grader's own packages are always forbidden. The sandbox adds a runtime import guard.
"""

from __future__ import annotations

import ast
import functools

__all__ = ["ALWAYS_FORBIDDEN", "forbidden_uses", "is_forbidden"]

ALWAYS_FORBIDDEN = ("rnnbook", "autograder", "nbgrader", "sqlite3", "sqlalchemy", "psycopg2")


def is_forbidden(dotted: str, forbidden) -> str | None:
    """The forbidden entry that ``dotted`` is or lies under (``torch.nn.LSTM`` under ``torch.nn``), or None."""
    for f in forbidden:
        if dotted == f or dotted.startswith(f + "."):
            return f
    return None


class _Parsed:
    """One submission's sources parsed and walked once (every check of a submission scans the same cells):
    per top-level statement, the names it mentions, the imports it binds, and its references in a form that
    only needs the aliases of one check to resolve."""

    def __init__(self, sources: tuple):
        self.trees, self.where = [], {}
        for k, s in enumerate(sources):
            label, src = s if isinstance(s, tuple) else (f"cell {k + 1}", s)
            try:
                t = ast.parse(src)
            except (SyntaxError, ValueError):
                continue
            self.trees.append(t)
            for node in t.body:
                self.where[id(node)] = label
        self.top_defs: dict[str, ast.AST] = {}
        self.top_other: list[ast.AST] = []
        for t in self.trees:
            for node in t.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    self.top_defs[node.name] = node
                else:
                    self.top_other.append(node)
        self.binders: dict[str, list] = {}
        for node in self.top_other:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    self.binders.setdefault(n.id, []).append(node)
        self._facts: dict[int, tuple] = {}

    def facts(self, node) -> tuple:
        """(names used, alias bindings, references) of one top-level statement. A reference is
        ``(kind, root, rest, line)``: kind "abs" (an import: ``root`` is the whole dotted name), "name" (a dotted
        chain whose first name goes through the aliases) or "import-call" (``__import__``/``import_module``
        of the constant ``rest``, called through the chain ``root``)."""
        got = self._facts.get(id(node))
        if got is not None:
            return got
        names, aliases, refs = [], [], []
        for n in ast.walk(node):
            if isinstance(n, ast.Name):
                names.append(n.id)
            if isinstance(n, ast.Import):
                for a in n.names:
                    aliases.append((a.asname or a.name.split(".")[0], a.name if a.asname else a.name.split(".")[0]))
                    refs.append(("abs", a.name, "", n.lineno))
            elif isinstance(n, ast.ImportFrom) and n.module:
                for a in n.names:
                    if not n.level:
                        aliases.append((a.asname or a.name, f"{n.module}.{a.name}"))
                    refs.append(("abs", f"{n.module}.{a.name}", "", n.lineno))
            elif isinstance(n, (ast.Attribute, ast.Name)) or (isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                                                              and n.func.id == "getattr"):
                chain = _chain(n)
                if chain:
                    refs.append(("name", chain[0], chain[1], n.lineno))
            if (isinstance(n, ast.Call) and n.args and isinstance(n.args[0], ast.Constant)
                    and isinstance(n.args[0].value, str)):
                chain = _chain(n.func)
                refs.append(("import-call", chain, n.args[0].value, n.lineno))
        got = self._facts[id(node)] = (names, aliases, refs)
        return got


def _chain(node) -> tuple[str, str] | None:
    """``(first name, the rest dotted)`` of an attribute chain (``getattr(obj, "const")`` links included)."""
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
            return node.id, ".".join(reversed(parts))
        else:
            return None


def _resolved(chain, aliases) -> str:
    root = aliases.get(chain[0], chain[0])
    return f"{root}.{chain[1]}" if chain[1] else root


@functools.lru_cache(maxsize=16)
def _parsed(sources: tuple) -> _Parsed:
    return _Parsed(sources)


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
    p = _parsed(tuple(sources))
    reach, todo, seen, used_stmts = [], list(functions), set(), []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        nodes = ([p.top_defs[name]] if name in p.top_defs else []) + p.binders.get(name, [])
        for node in nodes:
            if node in reach or node in used_stmts:
                continue
            (reach if node is p.top_defs.get(name) else used_stmts).append(node)
            todo += p.facts(node)[0]
    scan = reach + used_stmts
    if anywhere:
        scan = [n for t in p.trees for n in t.body]
    aliases = dict(a for node in p.top_other + reach for a in p.facts(node)[1])
    hits: list[str] = []

    def hit(what: str, line: int):
        f = is_forbidden(what, forbidden)
        if f:
            msg = f"{label}, line {line}: uses {what} (forbidden: {f})"
            if msg not in hits:
                hits.append(msg)

    for node in scan:
        label = p.where.get(id(node), "a cell")
        for kind, root, rest, line in p.facts(node)[2]:
            if kind == "abs":
                hit(root, line)
            elif kind == "name":
                hit(_resolved((root, rest), aliases), line)
            elif (_resolved(root, aliases) if root else "").split(".")[-1] in ("__import__", "import_module"):
                hit(rest, line)
    return hits

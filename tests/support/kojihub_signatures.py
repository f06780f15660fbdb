"""Derive the argument lists of koji hub methods from koji's hub source, for the signature table
tests/data/kojihub_signatures.json that tests/unit/test_devhub_fidelity.py compares devhub with.

Reads the source with ``ast`` (nothing of it is imported or copied): each exported method's
parameter names, their defaults as source text, and whether it takes ``*args``/``**kwargs``.
Run it by hand against a koji checkout when koji changes:

    python -m tests.support.kojihub_signatures KOJI_CHECKOUT 'koji COMMIT' \\
        > tests/data/kojihub_signatures.json

Only methods devhub registers are written, so the table stays the size of what it checks.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

# Export classes of the hub and the prefix the hub registers each under.
EXPORT_CLASSES = {
    "kojihub.py": {"RootExports": "", "HostExports": "host."},
    "repos.py": {"RepoExports": "repo."},
    "scheduler.py": {"SchedulerExports": "scheduler."},
}
# Session calls the hub registers as auth.py functions; those taking only *args/**opts hand over
# to the auth.Session method named here, whose parameters are the real ones.
AUTH_FUNCTIONS = {"login": "login", "sslLogin": "sslLogin", "logout": None, "subsession": None,
                  "logoutChild": None, "exclusiveSession": "makeExclusive",
                  "sharedSession": None}  # fmt: skip


def _params(func: ast.FunctionDef, skip_self: bool) -> dict[str, Any]:
    args = func.args
    positional = args.posonlyargs + args.args
    if skip_self and positional and positional[0].arg in ("self", "cls"):
        positional = positional[1:]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    params = [[a.arg, ast.unparse(d) if d is not None else None]
              for a, d in zip(positional, defaults, strict=True)]  # fmt: skip
    params += [[a.arg, ast.unparse(d) if d is not None else None]
               for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]  # fmt: skip
    return {"params": params, "varargs": args.vararg is not None, "varkw": args.kwarg is not None}


def _module_functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise LookupError(f"class {name} not found")


def _target_function(value: ast.expr, trees: dict[str, ast.Module]) -> ast.FunctionDef | None:
    """The function an alias like ``x = staticmethod(get_x)`` or ``x = repos.get_x`` names."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.args:
        value = value.args[0]
    if isinstance(value, ast.Name):
        for tree in trees.values():
            found = _module_functions(tree).get(value.id)
            if found is not None:
                return found
    if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
        tree = trees.get(f"{value.value.id}.py")
        if tree is not None:
            return _module_functions(tree).get(value.attr)
    return None


def derive(checkout: Path) -> dict[str, dict[str, Any]]:
    """Every exported hub method's signature, by its XML-RPC name."""
    trees = {name: ast.parse((checkout / "kojihub" / name).read_text(encoding="utf-8"))
             for name in ("kojihub.py", "repos.py", "scheduler.py", "auth.py")}  # fmt: skip
    table: dict[str, dict[str, Any]] = {}
    for module, classes in EXPORT_CLASSES.items():
        for class_name, prefix in classes.items():
            for node in _class(trees[module], class_name).body:
                if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                    is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod"
                                    for d in node.decorator_list)  # fmt: skip
                    table[prefix + node.name] = _params(node, skip_self=not is_static)
                elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target = node.targets[0]
                    if not isinstance(target, ast.Name) or target.id.startswith("_"):
                        continue
                    func = _target_function(node.value, trees)
                    if func is not None:
                        table[prefix + target.id] = _params(func, skip_self=False)
    session = _class(trees["auth.py"], "Session")
    methods = {n.name: n for n in session.body if isinstance(n, ast.FunctionDef)}
    functions = _module_functions(trees["auth.py"])
    for name, method in AUTH_FUNCTIONS.items():
        if method is None:
            table[name] = _params(functions[name], skip_self=False)
        else:
            table[name] = _params(methods[method], skip_self=True)
    return table


def main(argv: list[str]) -> int:
    """Print the table for the checkout argv[0]; argv[1] names the source (e.g. its commit)."""
    from adjutant.devhub import api  # noqa: F401  (registers every method)
    from adjutant.devhub.rpc import API

    table = derive(Path(argv[0]))
    wanted = {name: table[name] for name in API.names() if name in table}
    # One method per line, so a koji update shows as a readable diff.
    lines = [f'  "_source": {json.dumps(argv[1] if len(argv) > 1 else str(argv[0]))}']
    lines += [f"  {json.dumps(name)}: {json.dumps(sig)}" for name, sig in wanted.items()]
    sys.stdout.write("{\n" + ",\n".join(lines) + "\n}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

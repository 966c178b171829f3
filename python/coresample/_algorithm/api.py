"""Public entry points from one written signature.

`select`, `select_adaptive` and the `regression` functions exist once per backend and engine (the
core, the reference, Dask, Ray). Their parameters, order, defaults, annotations and docstring are
written once, as a *prototype* (a function whose body is only its docstring); `bind` turns a
prototype and a runner into the entry point, so that no parameter list is copied by hand and every
entry point forwards the same arguments, defaults included.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Dict, Optional, Sequence, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def bind(prototype: F, run: Callable[..., Any], module: str, doc: Optional[str] = None) -> F:
    """An entry point with the prototype's signature that calls ``run(**arguments)``.

    Every parameter is passed to `run` by name, defaults applied, so a runner sees one complete,
    uniform set of arguments whichever way the user spelled the call. `module` is the public
    module the entry point belongs to; `doc` replaces the prototype's docstring (the reference's
    and the engines' "counterpart of" notes).
    """
    signature = inspect.signature(prototype)

    def entry(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return run(**bound.arguments)

    functools.update_wrapper(entry, prototype)
    entry.__module__ = module
    if doc is not None:
        entry.__doc__ = doc
    return entry  # type: ignore[return-value]


def parameters_of(
    source: Callable[..., Any], *, returns: Any, drop: Sequence[str] = (),
    insert: Sequence[inspect.Parameter] = (), after: Optional[str] = None,
    changes: Optional[Dict[str, Dict[str, Any]]] = None,
) -> Callable[[F], F]:
    """Give the decorated prototype `source`'s parameters (less `drop`, plus `insert` placed
    after the parameter `after`, `changes` applied: name -> Parameter.replace keywords) and the
    return annotation `returns`:
    a signature derived from another instead of copied (`regression.fit` takes `sample_rows`'s,
    `regression.row_probabilities` most of them, `select_adaptive` most of `select`'s)."""
    changed = changes or {}

    def decorate(prototype: F) -> F:
        params = [
            p.replace(**changed[p.name]) if p.name in changed else p
            for p in inspect.signature(source).parameters.values() if p.name not in drop
        ]
        at = len(params) if after is None else [p.name for p in params].index(after) + 1
        params[at:at] = list(insert)
        prototype.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            params, return_annotation=returns
        )
        return prototype

    return decorate

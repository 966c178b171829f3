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
from typing import Any, Callable, Optional, TypeVar

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

"""Calls the ``on_*`` hooks of training callbacks with the keywords each accepts (train layer)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["HOOKS", "CallbackHooks"]

#: The hooks the training loop calls, in the order of a run.
HOOKS = ("on_train_start", "on_batch_end", "on_epoch_end", "on_train_end")


def _accepted(function: Callable[..., Any]) -> set[str] | None:
    """Keyword names a hook accepts; None if it takes ``**kwargs``."""
    parameters = inspect.signature(function).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters}


class CallbackHooks:
    """Looks up each callback's hook once, and calls it with the keywords it accepts."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], tuple[Callable[..., Any], set[str] | None]] = {}

    def call(self, callbacks: Iterable[Any], hook: str, **kwargs: Any) -> None:
        """Call ``hook`` of every callback that has it, passing the keywords it names."""
        for callback in callbacks:
            key = (id(callback), hook)
            if key not in self._cache:
                function = getattr(callback, hook, None)
                if function is None:
                    continue
                self._cache[key] = (function, _accepted(function))
            function, names = self._cache[key]
            function(**(kwargs if names is None else {k: kwargs[k] for k in names}))

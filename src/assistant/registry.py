"""One way to fill an extension table (rankers, answerers), as PyThaiNLP registers its engines."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def registrar(table: dict[str, T]) -> Callable[[str], Callable[[T], T]]:
    """`register = registrar(TABLE)`; then `@register("name")` adds the decorated object; a later
    registration of a name replaces the earlier."""

    def register(name: str) -> Callable[[T], T]:
        def add(obj: T) -> T:
            table[name] = obj
            return obj

        return add

    return register

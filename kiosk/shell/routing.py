"""One table from command type to the part that carries it out.

The pay flow emits commands; each type has exactly one executor, registered
here by the part that owns the work (the runner: journal records, timers and
the acceptor; the app: screens and health checks; the printer, the card
reader and the central server: their own). ``check`` compares the table with
every ``Command`` subclass: the kiosk refuses to start on a gap, and a
command with no executor at run time is an error, never a log line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kiosk.flow import commands as c

Executor = Callable[[c.Command], object]


class UnroutedCommand(RuntimeError):
    """A command type the flow can emit has no executor (or has two)."""


def command_types() -> frozenset[type[c.Command]]:
    """Every concrete command type: the subclasses of ``Command``, at any depth."""
    found: set[type[c.Command]] = set()
    todo = list(c.Command.__subclasses__())
    while todo:
        kind = todo.pop()
        # @dataclass(slots=True) makes a new class; the one it replaced may linger
        # among the subclasses until collected: only the module's own count
        if getattr(c, kind.__name__, None) is kind:
            found.add(kind)
        todo.extend(kind.__subclasses__())
    return frozenset(found)


def name_of(executor: Executor) -> str:
    owner = getattr(executor, "__self__", None)
    method = getattr(executor, "__name__", type(executor).__name__)
    return f"{type(owner).__name__}.{method}" if owner is not None else method


class Routes:
    def __init__(self) -> None:
        self._table: dict[type[c.Command], Executor] = {}

    def add(self, executor: Executor, kinds: Iterable[type[c.Command]]) -> None:
        """Route each of ``kinds`` to ``executor``; a type routed twice is refused."""
        for kind in kinds:
            if kind in self._table:
                raise UnroutedCommand(
                    f"{kind.__name__} has two executors: {name_of(self._table[kind])} "
                    f"and {name_of(executor)}"
                )
            self._table[kind] = executor

    def execute(self, command: c.Command) -> None:
        executor = self._table.get(type(command))
        if executor is None:
            raise UnroutedCommand(f"no executor for {type(command).__name__}")
        executor(command)

    def missing(self) -> frozenset[type[c.Command]]:
        return command_types() - self._table.keys()

    def check(self) -> None:
        """Refuse a table that leaves any command type without its executor."""
        gaps = sorted(kind.__name__ for kind in self.missing())
        if gaps:
            raise UnroutedCommand("no executor for " + ", ".join(gaps))

    def table(self) -> dict[str, str]:
        """Command type → executor, by name (for diagnostics and the README)."""
        return {
            kind.__name__: name_of(executor)
            for kind, executor in sorted(self._table.items(), key=lambda kv: kv[0].__name__)
        }

"""A progress bar on stderr: rich if installed, else tqdm, else none.

Neither library is needed: without them (or with ``enabled=False``) the
bar is silent and the commands print their results as usual.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any


class Progress:
    """Context manager with ``advance(amount, description)``; total in abstract units."""

    def __init__(self, total: float, description: str, enabled: bool = True):
        self.total, self.description = total, description
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None
        self._tqdm: Any = None

    def __enter__(self) -> Progress:
        if not self.enabled:
            return self
        if importlib.util.find_spec("rich") is not None:
            from rich.console import Console
            from rich.progress import BarColumn, Progress as RichProgress, TextColumn
            from rich.progress import TimeElapsedColumn

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                     TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                                     console=Console(file=sys.stderr), transient=True)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.description, total=self.total)
        elif importlib.util.find_spec("tqdm") is not None:
            from tqdm import tqdm  # type: ignore[import-untyped]

            self._tqdm = tqdm(total=self.total, desc=self.description, file=sys.stderr,
                              leave=False, bar_format="{desc} {bar} {percentage:3.0f}% {elapsed}")
        return self

    def advance(self, amount: float, description: str | None = None) -> None:
        """Move the bar by amount; description, if given, replaces the label."""
        if self._bar is not None:
            self._bar.update(self._task, advance=amount,
                             **({"description": description} if description else {}))
        elif self._tqdm is not None:
            if description:
                self._tqdm.set_description_str(description, refresh=False)
            self._tqdm.update(amount)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
        elif self._tqdm is not None:
            self._tqdm.close()

# Type stubs of the private extension module crmsim._core (python/src/*.cpp).
# Users import crmsim; these stubs let editors and type checkers see the
# engine API the package is built on.
from typing import ClassVar

import numpy as np
import numpy.typing as npt

__version__: str
git_commit: str

class ScenarioError(ValueError):
    """A scenario value the engine cannot run with; message "field.path: what is wrong, got X"."""

class UsageError(RuntimeError):
    """Misuse of the engine API, e.g. advancing past the horizon."""

class EngineError(RuntimeError):
    """Any other error the engine raises on purpose."""

def philox4x32_10(
    counter: tuple[int, int, int, int] | list[int], key: tuple[int, int] | list[int]
) -> tuple[int, int, int, int]:
    """Philox 4x32-10 of a 4-word counter under a 2-word key (Random123 reference)."""

class Simulation:
    """One engine run: the population advanced day by day."""

    kpi_columns: ClassVar[list[str]]
    state_names: ClassVar[list[str]]
    bytes_per_agent: ClassVar[int]

    def __init__(
        self, scenario: dict, seed: int = 0, threads: int = 0, chunk_size: int = 16384
    ) -> None:
        """Builds day 0 from a scenario dict with every engine field present.

        seed: 0 to 2**64 - 1; threads: 0 = all cores; chunk_size: agents per work item.
        """
    def advance(self, days: int) -> None:
        """Simulates the next `days` days without holding the GIL; UsageError past the horizon."""
    @property
    def day(self) -> int:
        """Days simulated so far."""
    @property
    def horizon(self) -> int:
        """Horizon in days."""
    @property
    def threads(self) -> int:
        """Worker threads used."""
    @property
    def seed(self) -> int:
        """Seed of the run."""
    @property
    def n_agents(self) -> int:
        """Number of agents (total market size)."""
    @property
    def n_segments(self) -> int:
        """Number of segments."""
    @property
    def kpis(self) -> npt.NDArray[np.int64]:
        """Read-only int64 view (day 0..day, segment, kpi column), no copy."""
    @property
    def agents(self) -> dict[str, np.ndarray]:
        """Agent columns as read-only numpy views (no copy) owned by this Simulation."""

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

class IoError(OSError):
    """A file that could not be read or written; the message names it."""

class FileFormatError(IoError):
    """A file that is not a crmsim file of a version this engine reads, or is truncated."""

class InvariantError(RuntimeError):
    """An engine invariant broke (runs with checks on); names day, segment or campaign, values."""

class MemoryLimitError(MemoryError):
    """A run (or a file's dataset) that would not fit in memory; refused before allocating."""

class Interrupted(RuntimeError):
    """The engine stopped on request (Ctrl-C reaches Python as KeyboardInterrupt instead)."""

def checks_by_default() -> bool:
    """Whether runs check the invariants every day unless told (CRMSIM_CHECKS)."""

def machine_memory() -> int:
    """Memory this process may use, bytes: physical memory or cgroup limit; 0 if unknown."""

def estimate_memory(scenario: dict, chunk_size: int = 0) -> dict[str, int]:
    """Bytes a run needs, by part: agents, days, bytes_per_agent, agent_bytes, table_bytes,
    working_bytes, total_bytes. Allocates nothing."""

def check_memory(scenario: dict, limit: int, machine: bool = True, chunk_size: int = 0) -> None:
    """MemoryLimitError with the estimate when the run needs more than `limit` bytes."""

results_format_version: int
checkpoint_format_version: int
agent_column_names: list[str]
event_kind_names: list[str]

def philox4x32_10(
    counter: tuple[int, int, int, int] | list[int], key: tuple[int, int] | list[int]
) -> tuple[int, int, int, int]:
    """Philox 4x32-10 of a 4-word counter under a 2-word key (Random123 reference)."""

class Simulation:
    """One engine run: the population advanced day by day."""

    kpi_columns: ClassVar[list[str]]
    state_names: ClassVar[list[str]]
    campaign_kpi_columns: ClassVar[list[str]]
    """Columns of campaign_kpis: eligible, held_out, selected, contacted, delivered, responded,
    unsubscribed, contact_cost_micros, incentive_cost_micros, discount_cost_micros,
    treated_measured, treated_converted, treated_revenue_cents, holdout_measured,
    holdout_converted, holdout_revenue_cents."""
    tier_kpi_columns: ClassVar[list[str]]
    """Columns of tier_kpis: customers, revenue_cents, marketing_cost_micros."""

    def __init__(
        self,
        scenario: dict,
        seed: int = 0,
        threads: int = 0,
        chunk_size: int = 0,
        checkpoint: Checkpoint | None = None,
        checks: bool | None = None,
        memory_limit: int = 0,
    ) -> None:
        """Builds day 0 from a scenario dict with every engine field present, or resumes
        from `checkpoint` (same scenario and seed; UsageError naming what differs).

        seed: 0 to 2**64 - 1; threads: 0 = all cores;
        chunk_size: agents per work item (0: chosen from the population).
        checks: check the invariants every day (None: checks_by_default()).
        memory_limit: bytes; a larger estimate is refused (MemoryLimitError); 0 = this machine.
        """
    def advance(self, days: int) -> None:
        """Simulates the next `days` days without holding the GIL; UsageError past the horizon.

        Ctrl-C raises KeyboardInterrupt within a fraction of a second; a run stopped inside
        a day refuses to go on (UsageError)."""
    def check_invariants(self) -> None:
        """Checks every engine invariant now; InvariantError names what is broken."""
    @property
    def checks(self) -> bool:
        """Whether the invariants are checked every day."""
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
    def bytes_per_agent(self) -> int:
        """Bytes of agent columns per agent."""
    @property
    def n_campaigns(self) -> int:
        """Number of campaigns."""
    @property
    def n_tiers(self) -> int:
        """Number of value tiers (at least 1)."""
    @property
    def campaign_spent_micros(self) -> list[int]:
        """Budget used so far per campaign (contacts, waves, incentives), currency millionths."""
    @property
    def campaign_adstock(self) -> list[float]:
        """Brand adstock per campaign: share of the market reached, decayed (0 for other types)."""
    @property
    def kpis(self) -> npt.NDArray[np.int64]:
        """Read-only int64 view (day 0..day, segment, kpi column), no copy.

        Money columns: revenue_cents (cents), marketing_cost_micros (millionths of the currency).
        """
    @property
    def campaign_kpis(self) -> npt.NDArray[np.int64]:
        """Read-only int64 view (day 0..day, campaign, campaign_kpi_columns), no copy.

        Measurement columns count the windows that closed that day.
        """
    bucket_kpi_columns: ClassVar[list[str]]
    @property
    def measurement_buckets(self) -> npt.NDArray[np.int64]:
        """Read-only int64 view (campaign, [treated, holdout], 32 person buckets,
        bucket_kpi_columns) of the measurement windows closed so far; a person's windows
        all fall in one bucket (fixed hash of the person)."""
    @property
    def tier_kpis(self) -> npt.NDArray[np.int64]:
        """Read-only int64 view (day 0..day, segment, value tier, tier_kpi_columns), no copy."""
    @property
    def agents(self) -> dict[str, np.ndarray]:
        """Agent columns as read-only numpy views (no copy) owned by this Simulation.

        segment, state, products, flags (bits: 0 via enquiry, 1 via campaign, 2 won back,
        3 opted out, 4 holdout, 5 converted), state_since, acquired_day, purchase_rate,
        churn_hazard, revenue_cents, last_purchase_day, contact_days (u16, (agents, slots):
        recent contact days, 0 = empty), effect_until, effect_campaign (campaign index + 1,
        0 = none), assigned (campaign index + 1 of the open measurement window, 0 = none),
        assigned_day, window_revenue_cents.
        """

class ResultsWriter:
    """Writes one run's HDF5 results file as it proceeds (PATH.tmp-<pid> until commit)."""

    def __init__(
        self,
        simulation: Simulation,
        path: str,
        scenario_yaml: str,
        snapshot_every: int = 0,
        snapshot_columns: list[str] = ...,
        final_snapshot: bool = False,
        event_share: float = 0.0,
        compression: int = 4,
        flush_seconds: float = 1.0,
        attributes: dict[str, str] | None = None,
        events_from: ResultsFile | None = None,
    ) -> None: ...
    def next_stop(self, day: int) -> int:
        """First day after `day` on which write() must be called, or the horizon."""
    def write(self, simulation: Simulation) -> None:
        """Takes new events, writes a due snapshot, updates the file every flush_seconds."""
    def commit(self, simulation: Simulation) -> None:
        """Finishes the file and renames it onto its final name (GIL released)."""
    def discard(self) -> None:
        """Removes the temporary file without committing."""
    @property
    def path(self) -> str: ...
    @property
    def temp_path(self) -> str: ...

def write_checkpoint(
    simulation: Simulation,
    path: str,
    scenario_yaml: str,
    attributes: dict[str, str] | None = None,
    compression: int = 1,
) -> None:
    """Writes the full engine state to `path` atomically (GIL released)."""

class Checkpoint:
    """A checkpoint read into memory; serves one resume."""

    def __init__(self, path: str) -> None: ...
    path: str
    format_version: int
    crmsim_version: str
    git_commit: str
    created: str
    scenario_name: str
    scenario_yaml: str
    days: int
    threads: int
    day: int
    seed: int
    used: bool
    attributes: dict[str, str]

class ResultsFile:
    """A results file read into memory, with the property names of a finished Simulation."""

    def __init__(self, path: str) -> None: ...
    path: str
    format_version: int
    crmsim_version: str
    git_commit: str
    start_time: str
    finish_time: str
    elapsed_seconds: float
    scenario_name: str
    scenario_yaml: str
    written_from_day: int
    attributes: dict[str, str]
    segment_names: list[str]
    campaign_names: list[str]
    channel_names: list[str]
    tier_names: list[str]
    snapshot_days: list[int]
    day: int
    horizon: int
    threads: int
    seed: int
    n_agents: int
    n_segments: int
    n_campaigns: int
    n_tiers: int
    campaign_spent_micros: list[int]
    campaign_adstock: list[float]
    kpis: npt.NDArray[np.int64]
    campaign_kpis: npt.NDArray[np.int64]
    measurement_buckets: npt.NDArray[np.int64]
    tier_kpis: npt.NDArray[np.int64]
    agents: dict[str, np.ndarray]
    events: dict[str, np.ndarray] | None
    event_share: float
    def snapshot(self, day: int) -> dict[str, np.ndarray]:
        """Agent columns of the snapshot of `day`."""

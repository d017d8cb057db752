"""crmsim: customer-lifecycle simulation for campaign and channel what-if planning.

    import crmsim
    sc = crmsim.Scenario.load("scenarios/baseline.yaml")   # validated, defaults filled
    res = crmsim.run(sc, seed=1, progress=True)           # C++ engine, all cores
    res.kpis                                              # pandas DataFrame, one row per day
    print(res.summary())
    res.save("run.h5"); crmsim.load("run.h5")              # HDF5 results file

Importing crmsim is quick: numpy, pandas and jsonschema load on first use.
"""

from . import calibrate
from ._core import __version__
from .checkpoint import resume
from .comparison import compare, compare_text, plot_comparison
from .errors import (
    CalibrationError,
    CrmsimError,
    InvariantError,
    MemoryLimitError,
    ResultsFileError,
    ScenarioError,
)
from .limits import memory_estimate
from .result import Result
from .results_file import load
from .run import run
from .scenario import Scenario
from .sweep_file import load_sweep
from .sweeps import SweepWarning, sweep

__all__ = ["Scenario", "run", "Result", "load", "resume", "ScenarioError", "CrmsimError",
           "ResultsFileError", "__version__", "compare", "compare_text", "plot_comparison",
           "sweep", "load_sweep", "SweepWarning", "calibrate", "CalibrationError", "InvariantError",
           "MemoryLimitError", "memory_estimate"]

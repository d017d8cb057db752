"""crmsim: customer-lifecycle simulation for campaign and channel what-if planning.

    import crmsim
    sc = crmsim.Scenario.load("scenarios/baseline.yaml")   # validated, defaults filled
    res = crmsim.run(sc, seed=1, progress=True)           # C++ engine, all cores
    res.kpis                                              # pandas DataFrame, one row per day
    print(res.summary())

Importing crmsim is quick: numpy, pandas and jsonschema load on first use.
"""

from ._core import __version__
from .comparison import compare, compare_text, plot_comparison
from .errors import CrmsimError, ScenarioError
from .result import Result
from .run import run
from .scenario import Scenario
from .sweeps import SweepWarning, sweep

__all__ = ["Scenario", "run", "Result", "ScenarioError", "CrmsimError", "__version__",
           "compare", "compare_text", "plot_comparison", "sweep", "SweepWarning"]

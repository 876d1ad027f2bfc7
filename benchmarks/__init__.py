"""dualdiff benchmark runner: accuracy and speed suites.

Run ``python -m benchmarks`` from the repository root (``--help`` for the flags); the results
land in ``benchmarks/results/`` (git ignores it). ``benchmarks/README.md`` explains the
figures. Modules, one concern each:

- :mod:`benchmarks.config`       suites (quick, full), sizes, command-line selections
- :mod:`benchmarks.timing`       the timer: warm-up, repeats, median, GC off
- :mod:`benchmarks.finite_diff`  forward, central and complex-step differences
- :mod:`benchmarks.adaptive`     scipy.differentiate (SciPy >= 1.15), the adaptive peer
- :mod:`benchmarks.accuracy`     error-versus-step sweeps over :mod:`dualdiff.testing`
- :mod:`benchmarks.cases`        what a speed measurement is: a case and its methods
- :mod:`benchmarks.workloads`    the speed workloads W1-W6 and their methods
- :mod:`benchmarks.peers`        optional peers (JAX, autograd, numdifftools, num-dual)
- :mod:`benchmarks.speed`        runs the workloads: time, ratio to primal, error
- :mod:`benchmarks.environment`  machine, versions, git revision, import and first-call times
- :mod:`benchmarks.report`       JSON and Markdown;  :mod:`benchmarks.plots` PNG figures
- :mod:`benchmarks.console`      terminal tables and progress bar (rich if installed)
- :mod:`benchmarks.cli`          the command line (``python -m benchmarks``)
"""

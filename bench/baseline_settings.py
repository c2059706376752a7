"""Settings for the DRF baseline (``bench/baseline.py``): the app's, with the
baseline's URLs. Benchmarks only."""

from verifier.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline"

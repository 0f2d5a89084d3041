"""Speed and memory benchmarks of the matcher against the raw models, and the service load
script. Run everything with ``python -m bench``; see bench/README.md.

Nothing here is a test: timings are measured and reported, never asserted.
"""

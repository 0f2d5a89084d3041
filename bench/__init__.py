"""Speed and memory benchmarks of the matcher against the raw models (issue 5), and the
service load script (issue 3). Run everything with ``python -m bench``; see bench/README.md.

Nothing here is a test: timings are measured and reported, never asserted.
"""

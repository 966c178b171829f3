"""Layer 1: backend-agnostic orchestration (Algorithm 1, KMeans logic, adaptive rounds, baselines,
regression) and the public signatures, written once. Pure Python: the core and the reference plug
their numeric steps in; imports only `_base`."""

"""Layer 0: pure-Python pieces shared by every layer above (validation, the random stream, row
blocks, sources, results, estimators). Imports nothing compiled and nothing above it."""

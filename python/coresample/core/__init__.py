"""The C++ core backend: the public functions and KMeans, each validating its input and calling
`coresample._core`; `coresample` re-exports them. `coresample.reference` mirrors this package
file for file in NumPy."""

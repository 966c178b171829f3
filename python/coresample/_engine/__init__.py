"""Engine layer: the distributed plan of `select` (block kernels, exact order-fixed combiners,
the client steps), shared by the Dask and Ray adapters, which only schedule blocks."""

"""Adapters to other libraries, each imported lazily by its own module: `integrations.torch`
(SelectionSampler, WeightedDataset) and `integrations.datasets` (select_dataset). Importing
coresample imports none of them."""

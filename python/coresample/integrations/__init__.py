"""Adapters to other libraries (torch, ...), each imported lazily by its own module:
`from coresample.integrations.torch import SelectionSampler`. Importing coresample imports none."""

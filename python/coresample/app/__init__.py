"""Applications on top of the public API: the command line, the demo and file input/output."""

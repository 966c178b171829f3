"""python -m coresample: the same as the `coresample` command."""
from .cli import main

raise SystemExit(main())

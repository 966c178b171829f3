"""python -m coresample: the same as the `coresample` command."""
from .app.cli import main

raise SystemExit(main())

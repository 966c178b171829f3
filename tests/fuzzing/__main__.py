"""`python3 -m fuzzing` (from the tests/ folder): see runner.py for the options."""
import sys

from .runner import main

sys.exit(main())

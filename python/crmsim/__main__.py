"""``python -m crmsim``: the same command line as the ``crmsim`` script."""

from .cli import main

raise SystemExit(main())

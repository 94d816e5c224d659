"""`python -m ntorch`: the same as the `ntorch` console script."""

from ntorch.cli import main

raise SystemExit(main())

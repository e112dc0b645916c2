"""Allow `python -m tagtrail`."""

from tagtrail.cli import main

raise SystemExit(main())

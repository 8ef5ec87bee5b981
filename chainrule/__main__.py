"""`python -m chainrule serve` works like the `chainrule` command (a checkout has no script)."""

import sys

from chainrule.app.cli import main

sys.exit(main())

"""`python -m adjutant` runs the command line."""

import sys

from adjutant.cli import main

sys.exit(main())

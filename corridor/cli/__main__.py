"""``python -m corridor.cli``: the ``corridor`` command."""

import sys

from corridor.cli.commands import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

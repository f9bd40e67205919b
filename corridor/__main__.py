"""``python -m corridor``: the ``corridor`` command (as ``python -m corridor.cli``)."""

import sys

from corridor.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

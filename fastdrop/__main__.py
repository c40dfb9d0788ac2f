"""python -m fastdrop: the ``fastdrop`` command (fastdrop.cli)."""

import sys

from fastdrop.cli import main

if __name__ == "__main__":
    sys.exit(main())

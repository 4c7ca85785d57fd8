"""``python -m w2s_lib`` is the ``w2s`` command."""
import sys

from .cli import main

sys.exit(main())

"""``python -m veo_magic.cli``: the ``veo-magic`` command."""

from .main import main

raise SystemExit(main())

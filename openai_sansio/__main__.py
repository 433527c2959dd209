"""``python -m openai_sansio``: the ``openai-sansio`` command."""

from .cli import main

raise SystemExit(main())

"""``python -m yiyuan.cli``: the ``yiyuan`` command run by the interpreter at hand (the service
starts its background jobs so, whatever PATH it has)."""

from . import main

main()

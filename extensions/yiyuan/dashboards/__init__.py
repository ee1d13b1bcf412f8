"""The dashboards service (``/services/dashboards/``): Voila over the notebooks in
``dashboards.dir``, each viewer scoped by their hub identity.

- ``server``: the Voila app the hub starts (``yiyuan dashboards run``) and its prelaunch hook;
- ``context``: what a dashboard notebook calls inside its kernel (``current_scope()``,
  ``session()``);
- ``readonly``: read-only database access for both.

This module stays light (the hub's config imports it).
"""

from __future__ import annotations

import os
from importlib.resources import files

#: the service's name: its prefix is /services/dashboards/
SERVICE_NAME = "dashboards"
#: Voila template of the dashboards (Chinese, no public CDN), derived from the lesson player's
TEMPLATE = "yiyuan-dashboard"
#: Jupyter data folders holding ``voila/templates/yiyuan-dashboard`` and its base ``yiyuan``
TEMPLATE_DATA_DIRS = (
    files("yiyuan.dashboards").joinpath("jupyter_data"),
    files("yiyuan.exchange").joinpath("jupyter_data"),
)


def template_path() -> str:
    """``JUPYTER_PATH`` entries where Voila finds the dashboards' template and its base."""
    return os.pathsep.join(str(path) for path in TEMPLATE_DATA_DIRS)

"""艺苑 Yiyuan: a JupyterHub learning platform for the training programmes of a federation of
literary and art circles (文联) and its art associations."""

__version__ = "0.1.0"

"""Authoring for trainers: the course template (``yiyuan courses new``), and the author page in
the trainer's own JupyterLab server (check, preview as a learner sees it, 上传并发布).

``template``, ``preview``, ``upload`` and ``server`` run inside single-user servers: they import
neither the models nor the database layer, and nbgrader only when a preview is made.
"""

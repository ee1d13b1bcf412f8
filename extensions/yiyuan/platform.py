"""The platform as one process holds it: settings, database, storage and clock, built once.

A process that runs platform code builds one :class:`Platform` when it starts and hands it
down, instead of each part reading the settings again or opening a database of its own:

- the ``yiyuan`` command: ``yiyuan.cli.Context.platform`` (``ctx.settings`` and
  ``ctx.database`` are its parts);
- each process of the yiyuan service: ``yiyuan.service.app.serve`` puts it in the tornado
  settings; handlers reach it as ``self.platform`` (``yiyuan.service.base.BaseHandler``);
- each grading worker: ``yiyuan.grading.worker.worker_main``;
- each dashboard kernel: ``yiyuan.dashboards.context.platform()``.

Building one applies the settings' time zone to the process (``yiyuan.clock``), so that
deadlines and dates everywhere in it follow the setting. The database is opened on first use
(a command that never touches it, such as ``yiyuan courses check``, opens none); ``dispose()``
closes its connections, and a later use opens new ones: that is how a process that forks
(the service) gives each child connections of its own. Nothing here crosses a fork or a
pickle: a child process builds its own Platform from the settings.

Processes that read no settings (learners' single-user servers, their kernels, nbgrader's
grading kernels) build none: they get the time zone from ``YIYUAN_TIME_ZONE`` and talk to the
service over HTTP.

Below everything that uses it, above what it is made of: it imports only settings, db,
storage, clock and errors (see ``.importlinter``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .clock import Clock, use_time_zone
from .db import Database
from .settings import Settings, StorageSettings, load_settings
from .storage import LocalStorage, S3Storage, Storage


def open_storage(settings: Settings) -> Storage:
    """The storage the settings choose (``storage.backend``): the one place that tells the
    backends apart; everything else uses the :class:`Storage` interface."""
    return storage_for(settings.storage, settings.exchange_dir)


def storage_for(config: StorageSettings, exchange_dir: Path) -> Storage:
    if config.backend == "s3":
        return S3Storage(
            bucket=config.s3_bucket,
            endpoint_url=config.s3_endpoint_url,
            prefix=config.s3_prefix,
            region=config.s3_region,
        )
    return LocalStorage(exchange_dir)


class Platform:
    """Settings, database, storage and clock of one process."""

    def __init__(self, settings: Settings, database: Database | None = None) -> None:
        self.settings = settings
        #: the local zone of the settings, which this process now uses too (yiyuan.clock)
        self.clock = Clock(use_time_zone(settings.time_zone))
        #: releases, compiled lessons, submissions, feedback, certificates (``storage``)
        self.storage = open_storage(settings)
        self._database = database
        # a database handed in belongs to whoever made it: dispose() leaves it open
        self._owns_database = database is None

    @classmethod
    def from_settings(cls, settings: Settings) -> Platform:
        return cls(settings)

    @classmethod
    def load(cls, environ: Mapping[str, str], cwd: Path | None = None) -> Platform:
        """The settings from ``YIYUAN_CONFIG`` and the environment (``load_settings``);
        :class:`yiyuan.errors.SettingsError` with a Chinese sentence when they are wrong."""
        return cls(load_settings(environ, cwd))

    @property
    def database(self) -> Database:
        """The platform database (``settings.platform_db_url``), opened on first use."""
        if self._database is None:
            self._database = Database(self.settings.platform_db_url)
        return self._database

    def dispose(self) -> None:
        """Close the database's connections; the next use of :attr:`database` opens new ones."""
        if self._database is not None and self._owns_database:
            self._database.dispose()
            self._database = None

    def __enter__(self) -> Platform:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dispose()

    def __repr__(self) -> str:
        state = "open" if self._database is not None else "not opened"
        return f"<Platform {self.settings.data_dir} database {state}, {self.clock!r}>"

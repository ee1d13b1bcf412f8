"""The Tornado application of the yiyuan service and its ``run`` entry point."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from ..db.migrate import check_schema
from ..platform import Platform
from ..settings import Settings
from . import (
    admin_certificate_handlers,
    admin_cohort_handlers,
    admin_handlers,
    admin_member_handlers,
    admin_roster_handlers,
    audit_handlers,
    authoring_handlers,
    catalogue_handlers,
    certificate_handlers,
    exchange_handlers,
    grading_handlers,
    learner_handlers,
    lesson_handlers,
    message_handlers,
    metrics_handlers,
    onsite_handlers,
    openapi,
    preference_handlers,
    report_handlers,
    trainer_handlers,
)
from .oauth import SharedStateHubOAuth, cookie_secret
from .processes import process_count, run_children
from .static_files import static_routes

log = logging.getLogger("yiyuan.service")

#: every handler module contributes ``routes``: (path below the prefix, handler class)
ROUTE_MODULES = (
    learner_handlers,
    certificate_handlers,
    catalogue_handlers,
    message_handlers,
    preference_handlers,
    lesson_handlers,
    exchange_handlers,
    grading_handlers,
    report_handlers,
    trainer_handlers,
    onsite_handlers,
    authoring_handlers,
    audit_handlers,
    admin_handlers,
    admin_member_handlers,
    admin_roster_handlers,
    admin_cohort_handlers,
    admin_certificate_handlers,
    metrics_handlers,
    openapi,
)

DEFAULT_PREFIX = "/services/yiyuan/"
#: the hub's name of the service (hub_config.services.YIYUAN_SERVICE)
SERVICE_NAME = "yiyuan"


class OAuthCallbackHandler(HubOAuthCallbackHandler):
    """The hub's callback handler, on the application's own HubOAuth: the OAuth state (and
    its PKCE verifier) lives in that object's memory, so login and callback must share it."""

    def initialize(self) -> None:
        self.hub_auth = self.application.settings["hub_auth"]


def make_app(
    platform: Platform,
    hub_auth: HubOAuth | None = None,
    prefix: str | None = None,
    secret: bytes | None = None,
) -> web.Application:
    """The service's routes on ``platform``; handlers reach it as ``self.platform``."""
    prefix = prefix or os.environ.get("JUPYTERHUB_SERVICE_PREFIX", DEFAULT_PREFIX)
    api_token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
    hub_auth = hub_auth or SharedStateHubOAuth(
        api_token=api_token,
        cache_max_age=60,
        database=platform.database,
        **replica_oauth_defaults(os.environ),
    )
    routes = [
        (url_path_join(prefix, "oauth_callback"), OAuthCallbackHandler),
        *static_routes(prefix),
    ]
    for module in ROUTE_MODULES:
        for path, handler in module.routes:
            routes.append((url_path_join(prefix, path), handler))
    return web.Application(
        routes,
        cookie_secret=secret or cookie_secret(api_token),
        hub_auth=hub_auth,
        # what handlers see as self.platform and self.prefix (yiyuan.service.base)
        yiyuan_platform=platform,
        yiyuan_prefix=prefix,
        # pages, JSON and scripts gzipped: a compiled lesson is mostly text (≈0.5 MB → ≈0.1 MB)
        compress_response=True,
        # cookie-authenticated writes are checked by HubOAuth (XSRF token); token-authenticated
        # API calls (the exchange client) need none
        xsrf_cookies=False,
    )


def replica_oauth_defaults(environ) -> dict:
    """What a hub-started service finds in its environment and a replica started by hand (or
    by Kubernetes) may leave out, as the hub registers an external yiyuan service
    (hub_config.services): its OAuth client id and the scope that lets a user in."""
    name = environ.get("JUPYTERHUB_SERVICE_NAME") or SERVICE_NAME
    defaults = {}
    if not environ.get("JUPYTERHUB_CLIENT_ID"):
        defaults["oauth_client_id"] = f"service-{name}"
    if not (
        environ.get("JUPYTERHUB_OAUTH_ACCESS_SCOPES") or environ.get("JUPYTERHUB_OAUTH_SCOPES")
    ):
        defaults["access_scopes"] = {f"access:services!service={name}"}
    return defaults


def listen_address(settings: Settings, listen: str = "") -> tuple[str, int]:
    """``listen`` (``HOST:PORT``, from ``yiyuan service run --listen``), else where the hub
    expects us (``JUPYTERHUB_SERVICE_URL``), else loopback and the setting."""
    if listen:
        host, _, port = listen.rpartition(":")
        return host.strip("[]") or "0.0.0.0", int(port)
    url = os.environ.get("JUPYTERHUB_SERVICE_URL", "")
    if url:
        parsed = urlparse(url)
        return parsed.hostname or "127.0.0.1", parsed.port or settings.service.port
    return "127.0.0.1", settings.service.port


async def serve(platform: Platform, sockets: list, secret: bytes) -> None:
    """One process of the service: answer on ``sockets`` until SIGTERM or SIGINT."""
    settings = platform.settings
    app = make_app(platform, secret=secret)
    # bodies are checked against the per-endpoint limits as they stream in; this is the outer
    # bound (the largest release plus room for the multipart-free tar.gz overhead)
    service = settings.service
    limit = max(service.max_release_mb, service.max_submission_mb, service.max_roster_mb) + 1
    server = HTTPServer(app, max_body_size=limit * 1024 * 1024, xheaders=True)
    server.add_sockets(sockets)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.stop()
    # the hub waits for us when it stops: a slow client does not hold the stop up
    try:
        await asyncio.wait_for(server.close_all_connections(), STOP_GRACE)
    except TimeoutError:
        log.warning("connections still open after %s s: closing anyway", STOP_GRACE)
    platform.dispose()


#: seconds the service gives open connections when it stops
STOP_GRACE = 2.0


def run(platform: Platform, listen: str = "") -> None:
    """Serve until stopped; ``listen``: ``HOST:PORT`` instead of ``JUPYTERHUB_SERVICE_URL``
    (a replica started outside the hub)."""
    logging.basicConfig(
        level=logging.INFO, format="[%(levelname)1.1s %(asctime)s %(name)s] %(message)s"
    )
    settings = platform.settings
    check_schema(platform.database)
    # each process opens its own connections (none may cross a fork): the platform opens new
    # ones on first use after this, in each child
    platform.dispose()
    # the local folder made, or the bucket reachable: a wrong setting stops the start
    platform.storage.prepare()
    host, port = listen_address(settings, listen)
    sockets = bind_sockets(port, host)
    secret = cookie_secret(os.environ.get("JUPYTERHUB_API_TOKEN", ""))
    count = process_count(settings.service.processes)
    log.info(
        "yiyuan service listening on http://%s:%s%s",
        host,
        port,
        os.environ.get("JUPYTERHUB_SERVICE_PREFIX", DEFAULT_PREFIX),
    )
    if count == 1:
        status = 0
        serve_process(platform, sockets, secret)
    else:
        status = run_children(
            count, lambda index: serve_process(platform, sockets, secret), STOP_GRACE
        )
    # the hub stops its services one after another: skip the interpreter's teardown
    logging.shutdown()
    os._exit(status)


def serve_process(platform: Platform, sockets: list, secret: bytes) -> None:
    loop = asyncio.new_event_loop()
    loop.run_until_complete(serve(platform, sockets, secret))
    try:
        loop.run_until_complete(asyncio.wait_for(loop.shutdown_default_executor(), STOP_GRACE))
    except TimeoutError:
        # A publish or roster import still running in a thread would keep the process (the
        # interpreter joins its threads) and the hub's stop waiting for a minute: it is cut
        # off as a crash would cut it, which each survives (they commit whole steps and
        # write files atomically).
        log.warning("work still running in threads after %s s: stopping anyway", STOP_GRACE)

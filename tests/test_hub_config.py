"""hub_config's set-only functions, each against a bare traitlets Config()."""

import subprocess
from pathlib import Path

import pytest
from traitlets.config import Config

import hub_config
from yiyuan.settings import load_settings

FACTS = hub_config.HostFacts(
    project_root=Path("/opt/yiyuan"), bin_dir=Path("/venv/bin"), as_root=True
)


def launched(command: list[str]) -> list[str]:
    """The command the lifecycle launcher execs (the proxy and every service go through it)."""
    split = command.index("--")
    assert command[:3] == ["/venv/bin/python", "-m", "yiyuan.lifecycle"]
    return command[split + 1 :]


def settings(tmp_path, text=""):
    path = tmp_path / "yiyuan.yml"
    path.write_text(f"data_dir: {tmp_path}\n" + text, encoding="utf-8")
    return load_settings({"YIYUAN_CONFIG": str(path)})


def test_hub_addresses_databases_and_proxy(tmp_path):
    c = Config()
    hub_config.configure_hub(
        c, settings(tmp_path, "hub:\n  port: 9100\n  proxy_api_port: 9101\n"), FACTS
    )
    assert c.JupyterHub.port == 9100
    assert c.JupyterHub.ip == "127.0.0.1"
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:9101"
    assert launched(c.ConfigurableHTTPProxy.command) == [
        "/opt/yiyuan/node_modules/.bin/configurable-http-proxy"
    ]
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path / 'jupyterhub.sqlite'}"
    assert c.JupyterHub.cookie_secret_file == str(tmp_path / "jupyterhub_cookie_secret")
    assert Path(c.JupyterHub.template_paths[0], "login.html").is_file()


def test_hub_pages_get_the_chinese_catalogue_by_default(tmp_path):
    c = Config()
    hub_config.configure_hub(c, settings(tmp_path), FACTS)
    variables = c.JupyterHub.template_vars
    assert variables["site_name"] == "艺苑"
    assert variables["t"]["login_button"] == "登录"
    c = Config()
    hub_config.configure_hub(c, settings(tmp_path, "language: en\n"), FACTS)
    assert c.JupyterHub.template_vars["t"]["login_button"] != "登录"


def test_authenticator_demo_and_production(tmp_path):
    c = Config()
    hub_config.configure_authenticator(c, settings(tmp_path, "auth:\n  lockout_minutes: 15\n"))
    assert c.JupyterHub.authenticator_class.endswith(".YiyuanAuthenticator")
    assert c.YiyuanAuthenticator.db_url == f"sqlite:///{tmp_path / 'yiyuan.sqlite'}"
    assert c.YiyuanAuthenticator.lockout_minutes == 15
    assert c.YiyuanAuthenticator.max_failed_logins == 5
    assert c.Authenticator.admin_users == set()
    c = Config()
    hub_config.configure_authenticator(c, settings(tmp_path, "mode: production\n"))
    assert c.JupyterHub.authenticator_class.endswith(".YiyuanLocalAuthenticator")
    assert c.YiyuanLocalAuthenticator.create_system_users is True


def test_demo_spawner_runs_as_the_hub_user_with_allow_root(tmp_path):
    c = Config()
    s = settings(tmp_path)
    hub_config.configure_spawner(c, s, FACTS)
    assert c.JupyterHub.spawner_class == "jupyterhub.spawner.SimpleLocalProcessSpawner"
    assert c.Spawner.cmd == ["/venv/bin/jupyterhub-singleuser"]
    assert c.Spawner.args == ["--allow-root"]
    assert c.SimpleLocalProcessSpawner.home_dir_template == str(tmp_path / "homes" / "{username}")
    not_root = hub_config.HostFacts(FACTS.project_root, FACTS.bin_dir, as_root=False)
    c = Config()
    hub_config.configure_spawner(c, s, not_root)
    assert c.Spawner.args == []


def test_production_spawner_uses_system_users_and_never_allow_root(tmp_path):
    c = Config()
    hub_config.configure_spawner(c, settings(tmp_path, "mode: production\n"), FACTS)
    assert c.JupyterHub.spawner_class == "jupyterhub.spawner.LocalProcessSpawner"
    assert c.Spawner.args == []
    assert "home_dir_template" not in c.SimpleLocalProcessSpawner


def test_idle_culler_service_and_its_narrow_role(tmp_path):
    c = Config()
    s = settings(tmp_path, "culler:\n  idle_timeout: 1800\n")
    hub_config.configure_services(c, s, FACTS)
    hub_config.configure_roles(c, s)
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")
    assert "--timeout=1800" in culler["command"]
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "idle-culler")
    assert role["services"] == ["idle-culler"]
    assert set(role["scopes"]) == {
        "list:users",
        "read:users:activity",
        "read:servers",
        "delete:servers",
    }


def test_culler_can_be_switched_off(tmp_path):
    c = Config()
    s = settings(tmp_path, "culler:\n  enabled: false\n")
    hub_config.configure_services(c, s, FACTS)
    hub_config.configure_roles(c, s)
    assert [s["name"] for s in c.JupyterHub.services] == [
        "yiyuan",
        "grader",
        "roster-sync",
        "messages",
        "dashboards",
    ]
    assert all(r["name"] != "idle-culler" for r in c.JupyterHub.load_roles)


def test_roster_sync_service_gets_its_token_database_and_narrow_role(tmp_path):
    c = Config()
    s = settings(tmp_path)
    facts = hub_config.HostFacts(FACTS.project_root, FACTS.bin_dir, True, roster_sync_token="t0k")
    hub_config.configure_services(c, s, facts)
    hub_config.configure_roles(c, s)
    service = next(s for s in c.JupyterHub.services if s["name"] == "roster-sync")
    assert service["api_token"] == "t0k"
    assert launched(service["command"]) == ["/venv/bin/yiyuan", "members", "sync", "--watch"]
    assert service["environment"]["YIYUAN_DB_URL"] == s.platform_db_url
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "roster-sync")
    assert role["services"] == ["roster-sync"]
    assert set(role["scopes"]) == {"admin:groups", "read:users:name"}


def test_roles_map_platform_groups_and_administrators_cannot_enter_servers(tmp_path):
    c = Config()
    hub_config.configure_roles(c, settings(tmp_path))
    by_group = {g: r for r in c.JupyterHub.load_roles for g in r.get("groups", [])}
    assert set(by_group) == {"administrators", "trainers", "managers"}
    admin_scopes = by_group["administrators"]["scopes"]
    assert "admin-ui" in admin_scopes
    assert "access:servers" not in admin_scopes and "admin" not in admin_scopes
    # learners keep JupyterHub's default "user" role: no role here names their group
    assert all("learners" not in r.get("groups", []) for r in c.JupyterHub.load_roles)


def test_apply_sets_everything_from_one_settings_object(tmp_path):
    c = Config()
    hub_config.apply(c, settings(tmp_path), FACTS)
    assert {"JupyterHub", "Spawner", "YiyuanAuthenticator", "ConfigurableHTTPProxy"} <= set(c)


def test_production_authenticator_creates_system_users(tmp_path):
    from jupyterhub.auth import LocalAuthenticator

    from yiyuan.hub.authenticator import YiyuanLocalAuthenticator

    c = Config()
    hub_config.configure_authenticator(c, settings(tmp_path, "mode: production\n"))
    authenticator = YiyuanLocalAuthenticator(config=c)
    assert isinstance(authenticator, LocalAuthenticator)
    assert authenticator.create_system_users is True
    assert authenticator.db_url == f"sqlite:///{tmp_path / 'yiyuan.sqlite'}"
    assert authenticator.allow_all and authenticator.manage_groups
    assert authenticator.admin_users == set()


def test_production_refuses_logins_of_system_accounts(tmp_path):
    import asyncio

    from tornado import web

    from yiyuan.accounts.passwords import hash_password
    from yiyuan.db import Database, migrate
    from yiyuan.hub.authenticator import YiyuanLocalAuthenticator
    from yiyuan.models import Account

    s = settings(tmp_path, "mode: production\n")
    database = Database(s.platform_db_url)
    migrate.upgrade(database)
    with database.session() as session:
        # bypasses the reserved-name check on purpose: an account made before it existed
        session.add(Account(username="daemon", password_hash=hash_password("Qiuyue-77")))
    c = Config()
    hub_config.configure_authenticator(c, s)
    authenticator = YiyuanLocalAuthenticator(config=c)
    with pytest.raises(web.HTTPError) as refused:
        asyncio.run(
            authenticator.authenticate(None, {"username": "daemon", "password": "Qiuyue-77"})
        )
    assert refused.value.status_code == 403
    # the password was right: what refused the login is the system account check
    assert refused.value.jupyterhub_message == authenticator.catalogue["account_system_name"]


def test_preflight_makes_the_production_data_dir_private(tmp_path):
    from yiyuan.preflight import check_data_dir

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    check_data_dir(data, private=True)
    assert data.stat().st_mode & 0o777 == 0o700


def test_preflight_names_a_missing_dashboards_folder(tmp_path):
    import dataclasses

    from yiyuan.errors import YiyuanError
    from yiyuan.preflight import check_dashboards_dir
    from yiyuan.settings import DashboardsSettings

    check_dashboards_dir(settings(tmp_path))  # the shipped dashboards are there
    missing = dataclasses.replace(
        settings(tmp_path), dashboards=DashboardsSettings(dir=tmp_path / "nowhere")
    )
    with pytest.raises(YiyuanError, match=r"统计报表目录 .*nowhere 不存在"):
        check_dashboards_dir(missing)
    off = dataclasses.replace(
        missing, dashboards=DashboardsSettings(dir=tmp_path / "nowhere", enabled=False)
    )
    check_dashboards_dir(off)


def test_preflight_names_a_missing_seal_image_and_the_settings_check_issuers(tmp_path):
    from yiyuan.errors import SettingsError, YiyuanError
    from yiyuan.preflight import check_certificate_seals

    check_certificate_seals(settings(tmp_path))  # no seal: the demo seal is shipped
    named = "certificates:\n  issuers:\n    - code: music\n      seal: seals/yinxie.png\n"
    with pytest.raises(YiyuanError, match=r"颁发单位 music 的印章图片 .*seals/yinxie.png 不存在"):
        check_certificate_seals(settings(tmp_path, named))
    (tmp_path / "seals").mkdir()
    (tmp_path / "seals" / "yinxie.png").write_bytes(b"\x89PNG")
    check_certificate_seals(settings(tmp_path, named))  # relative to the settings file
    twice = "certificates:\n  issuers:\n    - code: music\n    - code: music\n"
    with pytest.raises(SettingsError, match="music 重复"):
        settings(tmp_path, twice)
    with pytest.raises(SettingsError, match="小写字母"):
        settings(tmp_path, "certificates:\n  issuers:\n    - code: 音协\n")


def test_sso_hook_admits_platform_accounts_only_and_hands_over_their_groups(tmp_path):
    import logging
    from types import SimpleNamespace

    from tornado import web

    from yiyuan.accounts import service
    from yiyuan.db import Database, migrate
    from yiyuan.hub.sso import platform_accounts_hook
    from yiyuan.models import Role

    s = settings(tmp_path)
    database = Database(s.platform_db_url)
    migrate.upgrade(database)
    with database.session() as session:
        service.create_account(session, "lihua", "李华", [Role.trainer], password="Qiuyue-77")
    hook = platform_accounts_hook(s.platform_db_url)
    authenticator = SimpleNamespace(log=logging.getLogger("test"))

    model = hook(authenticator, None, {"name": "lihua", "groups": ["from-provider"]})
    assert model["groups"] == ["trainers"] and model["admin"] is False
    with database.session() as session:
        assert service.get_account(session, "lihua").last_login_at is not None

    with pytest.raises(web.HTTPError) as refused:
        hook(authenticator, None, {"name": "stranger", "groups": []})
    assert "名册" in refused.value.jupyterhub_message
    with database.session() as session:
        service.set_active(session, "lihua", False)
    with pytest.raises(web.HTTPError):
        hook(authenticator, None, {"name": "lihua", "groups": []})


def test_yiyuan_service_and_grader_get_the_settings_file_and_database(tmp_path):
    c = Config()
    s = settings(tmp_path, "service:\n  port: 9123\ntime_zone: Europe/Berlin\n")
    facts = hub_config.HostFacts(
        FACTS.project_root, FACTS.bin_dir, True, config_file=str(tmp_path / "yiyuan.yml")
    )
    hub_config.configure_services(c, s, facts)
    by_name = {service["name"]: service for service in c.JupyterHub.services}
    service = by_name["yiyuan"]
    assert service["url"] == "http://127.0.0.1:9123"
    assert launched(service["command"]) == ["/venv/bin/yiyuan", "service", "run"]
    assert service["oauth_no_confirm"] is True
    assert launched(by_name["grader"]["command"]) == ["/venv/bin/yiyuan", "grading", "run"]
    for name in ("yiyuan", "grader", "roster-sync"):
        environment = by_name[name]["environment"]
        assert environment["YIYUAN_CONFIG"] == str(tmp_path / "yiyuan.yml")
        assert environment["YIYUAN_DB_URL"] == s.platform_db_url
        # their children (a dashboard's kernels) read no settings: the zone travels alone
        assert environment["YIYUAN_TIME_ZONE"] == "Europe/Berlin"
        # nbgrader runs `alembic` from PATH
        assert environment["PATH"].startswith("/venv/bin:")


def test_every_user_reaches_the_yiyuan_service_and_so_does_their_servers_token(tmp_path):
    c = Config()
    s = settings(tmp_path, "service:\n  port: 9123\ntime_zone: Asia/Tokyo\n")
    hub_config.configure_roles(c, s)
    hub_config.configure_spawner(c, s, FACTS)
    user = next(r for r in c.JupyterHub.load_roles if r["name"] == "user")
    assert set(user["scopes"]) == {"self", "access:services!service=yiyuan"}
    assert "access:services!service=yiyuan" in c.Spawner.server_token_scopes
    # nothing broader than the user's own server and activity
    assert not any(
        scope.startswith(("admin", "read:users", "list")) for scope in c.Spawner.server_token_scopes
    )
    environment = c.Spawner.environment
    assert environment["YIYUAN_SERVICE_URL"] == "http://127.0.0.1:9123/services/yiyuan"
    # servers and their kernels read no settings: deadlines and dates in the zone set
    assert environment["YIYUAN_TIME_ZONE"] == "Asia/Tokyo"
    assert environment["JUPYTER_CONFIG_PATH"].endswith("jupyter_config")
    # `nbgrader submit` in a server is the platform's, whatever PATH the hub had
    assert environment["PATH"].startswith(f"{FACTS.bin_dir}:")


def test_learners_land_on_the_portal_trainers_on_their_workspace(tmp_path):
    from types import SimpleNamespace as Obj

    from yiyuan.hub.landing import default_url, landing_url, lands_on_portal

    def user(*groups):
        return Obj(groups=[Obj(name=g) for g in groups])

    assert lands_on_portal({"learners", "assoc-music"})
    assert not lands_on_portal({"learners", "trainers"})
    assert lands_on_portal({"managers"}) and lands_on_portal({"learners", "managers"})
    assert not lands_on_portal({"managers", "administrators"}) and not lands_on_portal(set())
    assert landing_url("/", user("learners", "standing-council")) == "/services/yiyuan/"
    assert landing_url("/", user("trainers")) == "/services/yiyuan/trainer"
    assert landing_url("/", user("trainers", "administrators")) == "/services/yiyuan/admin"
    assert landing_url("/", user("learners", "administrators")) == "/services/yiyuan/admin"
    assert landing_url("/", None) == ""
    c = Config()
    hub_config.configure_hub(c, settings(tmp_path), FACTS)
    assert c.JupyterHub.default_url is default_url
    # "always": these users have no platform accounts to ask whether they need a server
    hub_config.configure_spawner(c, settings(tmp_path, "hub:\n  learner_servers: always\n"), FACTS)
    assert c.Spawner.default_url == "/lab"
    for groups, expected in ((("learners",), "/yiyuan/portal"), (("trainers",), "/lab")):
        spawner = Obj(user=user(*groups), default_url="/lab")
        c.Spawner.pre_spawn_hook(spawner)
        assert spawner.default_url == expected


def test_dashboards_service_and_who_may_open_it(tmp_path):
    c = Config()
    s = settings(tmp_path, "dashboards:\n  port: 9124\n  db_url: sqlite:////ro.sqlite\n")
    hub_config.configure_services(c, s, FACTS)
    hub_config.configure_roles(c, s)
    service = next(x for x in c.JupyterHub.services if x["name"] == "dashboards")
    assert service["url"] == "http://127.0.0.1:9124"
    assert launched(service["command"]) == ["/venv/bin/yiyuan", "dashboards", "run"]
    assert service["oauth_no_confirm"] is True
    assert service["oauth_client_allowed_scopes"] == ["read:users:name!user"]
    # the service and its kernels get the read-only URL, not the platform's
    assert service["environment"]["YIYUAN_DB_URL"] == "sqlite:////ro.sqlite"
    assert "yiyuan" in service["environment"]["JUPYTER_PATH"]
    access = "access:services!service=dashboards"
    by_group = {g: r for r in c.JupyterHub.load_roles for g in r.get("groups", [])}
    for group in ("administrators", "trainers", "managers"):
        assert access in by_group[group]["scopes"]
    user = next(r for r in c.JupyterHub.load_roles if r["name"] == "user")
    assert access not in user["scopes"]


def test_dashboards_can_be_switched_off(tmp_path):
    c = Config()
    s = settings(tmp_path, "dashboards:\n  enabled: false\n")
    hub_config.configure_services(c, s, FACTS)
    hub_config.configure_roles(c, s)
    assert all(x["name"] != "dashboards" for x in c.JupyterHub.services)
    assert not any(
        "service=dashboards" in scope for r in c.JupyterHub.load_roles for scope in r["scopes"]
    )


def test_the_proxy_and_every_service_end_with_the_hub_and_servers_stop_quickly(tmp_path):
    c = Config()
    s = settings(tmp_path)
    facts = hub_config.HostFacts(FACTS.project_root, FACTS.bin_dir, True, hub_pid=4242)
    hub_config.apply(c, s, facts)
    commands = [c.ConfigurableHTTPProxy.command] + [x["command"] for x in c.JupyterHub.services]
    # proxy, yiyuan, grader, roster-sync, messages, dashboards, idle-culler
    assert len(commands) == 7
    for command in commands:
        split = command.index("--")
        assert command[3:split] == ["--hub-pid=4242", f"--data-dir={tmp_path}"]
        assert launched(command)[0].startswith(("/venv/bin/", "/opt/yiyuan/"))
    assert c.ConfigurableHTTPProxy.pid_file == str(tmp_path / "proxy.pid")
    # a full stop stops learners' servers (a crash leaves them to the restarted hub)
    assert c.JupyterHub.cleanup_servers is True and c.JupyterHub.cleanup_proxy is True
    # servers never read the hub's terminal, and a stop escalates within seconds
    assert c.LocalProcessSpawner.popen_kwargs == {"stdin": subprocess.DEVNULL}
    assert c.LocalProcessSpawner.interrupt_timeout + c.LocalProcessSpawner.term_timeout <= 5


def test_an_external_yiyuan_service_is_routed_to_not_started(tmp_path):
    """service.external_url (replicas behind a load balancer): the hub knows the service by
    its URL and token and starts no process for it; the rest is as before."""
    c = Config()
    s = settings(tmp_path, "service:\n  external_url: http://yiyuan.lb:8090/\n")
    hub_config.configure_services(c, s, FACTS, service_api_token="s3cret")
    hub_config.configure_spawner(c, s, FACTS)
    by_name = {service["name"]: service for service in c.JupyterHub.services}
    assert by_name["yiyuan"] == {
        "name": "yiyuan",
        "url": "http://yiyuan.lb:8090",
        "api_token": "s3cret",
        "oauth_client_id": "service-yiyuan",
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": ["read:users:name!user"],
        "display": False,
    }
    # the grader still runs beside the hub; learners' servers reach the service there too
    assert launched(by_name["grader"]["command"]) == ["/venv/bin/yiyuan", "grading", "run"]
    assert c.Spawner.environment["YIYUAN_SERVICE_URL"] == "http://yiyuan.lb:8090/services/yiyuan"


def test_the_hub_may_start_no_grading_pool(tmp_path):
    c = Config()
    s = settings(
        tmp_path,
        "grading:\n  run_by_hub: false\nservice:\n  external_url: http://10.0.0.5:8090\n"
        "mode: production\n",
    )
    hub_config.configure_services(c, s, FACTS, service_api_token="t")
    names = [service["name"] for service in c.JupyterHub.services]
    assert names == ["yiyuan", "roster-sync", "messages", "dashboards", "idle-culler"]
    # production: the services the hub starts run as service.user; an external one has none
    assert "user" not in c.JupyterHub.services[0]
    assert all(x["user"] == "yiyuan" for x in c.JupyterHub.services[1:])
    c = Config()
    hub_config.configure_services(c, settings(tmp_path, "grading:\n  run_by_hub: false\n"), FACTS)
    assert [x["name"] for x in c.JupyterHub.services][:2] == ["yiyuan", "roster-sync"]
    assert "command" in c.JupyterHub.services[0]  # the service itself still started by the hub


def test_an_external_service_needs_its_token_from_the_hubs_environment(tmp_path):
    from hub_config.services import SERVICE_TOKEN_ENV, external_service_token
    from yiyuan.errors import SettingsError

    local = settings(tmp_path)
    assert external_service_token(local, {SERVICE_TOKEN_ENV: "ignored"}) == ""
    external = settings(tmp_path, "service:\n  external_url: https://yiyuan.example.org\n")
    assert external_service_token(external, {SERVICE_TOKEN_ENV: " t0k \n"}) == "t0k"
    with pytest.raises(SettingsError, match=rf"service\.external_url.*{SERVICE_TOKEN_ENV}"):
        external_service_token(external, {})
    with pytest.raises(SettingsError, match=SERVICE_TOKEN_ENV):
        hub_config.configure_services(Config(), external, FACTS)
    for bad in ("yiyuan:8090", "ftp://x", "http://lb:8090/services/yiyuan"):
        wrong = settings(tmp_path, f"service:\n  external_url: '{bad}'\n")
        with pytest.raises(SettingsError, match=r"service\.external_url 的值"):
            external_service_token(wrong, {SERVICE_TOKEN_ENV: "t"})

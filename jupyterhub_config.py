# JupyterHub configuration for Yiyuan 艺苑.
#
# Short on purpose: settings come from YIYUAN_CONFIG (a YAML file) and the environment
# overrides YIYUAN_DATA_DIR / YIYUAN_DB_URL; hub_config's set-only functions turn them into
# hub configuration. Anything else goes into jupyterhub_config.d/*.py, loaded last.
# On Kubernetes (mode: kubernetes) the Zero to JupyterHub chart's own configuration runs
# first and loads this file from hub.extraConfig (deploy/kubernetes/values.yaml).
import os
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import hub_config  # noqa: E402
from yiyuan.clock import use_time_zone  # noqa: E402
from yiyuan.errors import YiyuanError  # noqa: E402
from yiyuan.lifecycle import stop_leftovers  # noqa: E402
from yiyuan.preflight import check_hub_can_start, check_services_can_start  # noqa: E402
from yiyuan.secrets import service_token  # noqa: E402
from yiyuan.settings import load_settings  # noqa: E402

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

facts = hub_config.HostFacts(
    project_root=ROOT,
    bin_dir=Path(sys.executable).parent,
    as_root=os.geteuid() == 0,
    config_file=os.path.abspath(os.environ["YIYUAN_CONFIG"])
    if os.environ.get("YIYUAN_CONFIG")
    else "",
    hub_pid=os.getpid(),
)
try:
    settings = load_settings(os.environ)
    # the hub's own pages and messages (e.g. a login blocked until 14:05) in the local zone
    use_time_zone(settings.time_zone)
    # what a killed hub left running (services, proxy) would hold the ports and run twice
    stop_leftovers(settings.data_dir, log=lambda line: print(f"[yiyuan] {line}", file=sys.stderr))
    check_hub_can_start(settings, facts.proxy_command, facts.bin_dir)
    facts = replace(
        facts,
        roster_sync_token=service_token(settings.data_dir, "roster-sync"),
        # dashboards.external_url (Kubernetes): their Deployment's token, from the hub's Secret
        dashboards_api_token=os.environ.get(hub_config.services.DASHBOARDS_TOKEN_ENV, "").strip(),
    )
    if settings.dashboards.external_url and not facts.dashboards_api_token:
        raise YiyuanError(
            f"配置项 dashboards.external_url 已设置，但 JupyterHub 的环境变量 "
            f"{hub_config.services.DASHBOARDS_TOKEN_ENV} 为空：请给出统计报表服务的 API 令牌。"
        )
    # service.external_url: the yiyuan service runs outside the hub, known by this token
    service_api_token = hub_config.services.external_service_token(settings, os.environ)
    # production: the data directory belongs to the platform's own system user (service.user)
    check_services_can_start(settings, facts.config_file, facts.bin_dir / "python")
except YiyuanError as error:
    sys.exit(f"艺苑无法启动：{error}")

hub_config.apply(c, settings, facts, service_api_token)

for extra in sorted((ROOT / "jupyterhub_config.d").glob("*.py")):
    load_subconfig(str(extra))  # noqa: F821 (provided by traitlets)

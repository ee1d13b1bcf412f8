"""deploy/kubernetes/ checked the way a cluster would check it, without a cluster.

- values.yaml against the Zero to JupyterHub chart's values schema (vendored in
  deploy/kubernetes/schemas/, with the chart's own defaults merged in as Helm merges them);
- every manifest against the Kubernetes JSON schema of a pinned version (kubernetes-validate,
  strict: an unknown field is an error);
- the KubeSpawner configuration hub_config builds for each role: a real KubeSpawner makes the
  pod and home volume it would create (checked against the same schema), and the platform's
  jupyterhub_config.py loads on top of a chart-like configuration the way hub.extraConfig
  loads it.

Each check is shown to reject a broken copy.
"""

import asyncio
import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import kubernetes_validate
import pytest
import yaml
from traitlets.config import Config

import hub_config
from hubtest import ROOT
from yiyuan.settings import load_settings

pytestmark = pytest.mark.unit

DEPLOY = ROOT / "deploy" / "kubernetes"
SCHEMAS = DEPLOY / "schemas"
CHART_VERSION = "4.4.0"
#: the Kubernetes version the manifests are written for (the chart wants >= 1.28)
KUBERNETES_VERSION = "1.33"
NOT_MANIFESTS = {"values.yaml", "kustomization.yaml"}
MANIFESTS = sorted(path for path in DEPLOY.glob("*.yaml") if path.name not in NOT_MANIFESTS)

FACTS = hub_config.HostFacts(
    project_root=Path("/opt/yiyuan"),
    bin_dir=Path("/opt/yiyuan/.venv/bin"),
    as_root=False,
    dashboards_api_token="d" * 64,
)


# --- the chart's values ---------------------------------------------------------------------


def helm_merge(defaults, values):
    """Helm's coalescing of user values over a chart's: maps merge key by key, anything else
    (lists too) is replaced, and null removes the chart's key."""
    merged = copy.deepcopy(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def values_errors(values: dict) -> list[str]:
    schema = json.loads((SCHEMAS / f"z2jh-{CHART_VERSION}-values.schema.json").read_text())
    defaults = yaml.safe_load((SCHEMAS / f"z2jh-{CHART_VERSION}-values.yaml").read_text())
    validator = jsonschema.Draft7Validator(schema)
    merged = helm_merge(defaults, values)
    return [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(merged)
    ]


def our_values() -> dict:
    return yaml.safe_load((DEPLOY / "values.yaml").read_text(encoding="utf-8"))


def test_vendored_schema_names_its_source():
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    assert "jupyterhub/zero-to-jupyterhub-k8s" in readme
    assert CHART_VERSION in readme
    assert "5c5f5df751588a68a7781ead01d0f62e88e2e72f" in readme
    assert f"--version {CHART_VERSION}" in (DEPLOY / "values.yaml").read_text(encoding="utf-8")


def test_values_match_the_chart_schema():
    assert values_errors(our_values()) == []


@pytest.mark.parametrize(
    "path, bad",
    [
        (("hub", "db", "type"), "postgresql"),  # the chart says postgres
        (("singleuser", "storage", "type"), "pvc"),
        (("cull", "enabled"), "no"),
        (("proxy", "chp", "networkPolicy", "egressAllowRules", "privateIP"), False),  # typo
        (("hub", "extraConfg"), {"00": "pass"}),  # typo
    ],
)
def test_a_broken_values_file_is_rejected(path, bad):
    values = our_values()
    node = values
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = bad
    assert values_errors(values) != []


def test_values_hand_the_hub_to_hub_config_and_keep_learners_pods_closed():
    values = our_values()
    assert "jupyterhub_config.py" in values["hub"]["extraConfig"]["00-yiyuan"]
    assert values["hub"]["db"]["type"] == "postgres"
    assert values["cull"]["enabled"] is False  # the platform's own culler (hub_config)
    assert values["singleuser"]["cloudMetadata"]["blockWithIptables"] is False  # no root
    policy = values["singleuser"]["networkPolicy"]
    assert policy["enabled"] is True
    allowed = {name for name, on in policy["egressAllowRules"].items() if on}
    assert allowed == {"dnsPortsKubeSystemNamespace"}
    (extra,) = policy["egress"]
    assert extra["to"] == [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "yiyuan-service"}}}
    ]
    assert [port["port"] for port in extra["ports"]] == [8090]
    # the tokens the hub knows the external services by come from the Secret
    env = values["hub"]["extraEnv"]
    for name in ("YIYUAN_SERVICE_API_TOKEN", "YIYUAN_DASHBOARDS_API_TOKEN", "PGPASSWORD"):
        assert "secretKeyRef" in env[name]["valueFrom"]


# --- the manifests ---------------------------------------------------------------------------


def documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def all_documents() -> list[dict]:
    return [doc for path in MANIFESTS for doc in documents(path)]


def k8s_errors(doc: dict) -> str:
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return f"{doc['kind']}/{doc['metadata']['name']}: {error.message}"
    return ""


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_manifest_matches_the_kubernetes_schema(path):
    docs = documents(path)
    assert docs
    assert [k8s_errors(doc) for doc in docs] == [""] * len(docs)


def kinds() -> dict[tuple[str, str], dict]:
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in all_documents()}


def pod_spec(doc: dict) -> dict:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def mutate_replicas(docs):
    docs[("Deployment", "yiyuan")]["spec"]["replicas"] = "two"


def mutate_security_typo(docs):
    container = docs[("Deployment", "yiyuan-grading")]["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["runAsNonroot"] = True


def mutate_policy_type(docs):
    docs[("NetworkPolicy", "yiyuan-grading")]["spec"]["egress"][0]["ports"][0]["protocol"] = 6


def mutate_hpa_target(docs):
    metric = docs[("HorizontalPodAutoscaler", "yiyuan-grading")]["spec"]["metrics"][0]
    metric["external"]["target"] = {"type": "AverageValue", "averageValue": ["5"]}


def mutate_cronjob(docs):
    del pod_spec(docs[("CronJob", "yiyuan-reminders")])["containers"][0]["name"]


@pytest.mark.parametrize(
    "mutate",
    [mutate_replicas, mutate_security_typo, mutate_policy_type, mutate_hpa_target, mutate_cronjob],
)
def test_a_broken_manifest_is_rejected(mutate):
    docs = kinds()
    mutate(docs)
    assert any(k8s_errors(doc) for doc in docs.values())


def test_kustomization_lists_every_manifest_in_the_settings_namespace(tmp_path):
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    # the migration Job is applied on its own, before each rollout
    assert listed == {path.name for path in MANIFESTS} - {"migrate-job.yaml"}
    assert kustomization["namespace"] == configmap_settings(tmp_path).kubernetes.namespace


def configmap_settings(folder: Path):
    (configmap,) = documents(DEPLOY / "settings-configmap.yaml")
    path = folder / "yiyuan.yml"
    path.write_text(configmap["data"]["yiyuan.yml"], encoding="utf-8")
    return load_settings({"YIYUAN_CONFIG": str(path)})


def test_the_configmap_holds_kubernetes_settings_that_load(tmp_path):
    settings = configmap_settings(tmp_path)
    assert settings.mode == "kubernetes"
    assert settings.grading.run_by_hub is False
    assert settings.messages.every == 0  # the reminders CronJob sends instead
    assert settings.storage.backend == "s3"
    docs = kinds()
    # the hub finds the services where their Services are
    service = docs[("Service", "yiyuan")]
    assert settings.service.external_url == f"http://yiyuan:{service['spec']['ports'][0]['port']}"
    dashboards = docs[("Service", "yiyuan-dashboards")]
    assert settings.dashboards.external_url == (
        f"http://yiyuan-dashboards:{dashboards['spec']['ports'][0]['port']}"
    )
    # the image the chart pre-pulls is the one hub_config starts
    image = our_values()["singleuser"]["image"]
    assert settings.kubernetes.image == f"{image['name']}:{image['tag']}"
    assert our_values()["singleuser"]["uid"] == settings.kubernetes.uid


def test_secrets_are_placeholders_and_every_reference_resolves():
    docs = kinds()
    secrets = {name: doc["stringData"] for (kind, name), doc in docs.items() if kind == "Secret"}
    for name, data in secrets.items():
        for key, value in data.items():
            assert "REPLACE-ME" in value, f"Secret {name}.{key} must stay a placeholder"
    references = []
    for doc in docs.values():
        if doc["kind"] in {"Deployment", "CronJob", "Job"}:
            for container in pod_spec(doc)["containers"]:
                references += [
                    env["valueFrom"]["secretKeyRef"]
                    for env in container.get("env", [])
                    if "valueFrom" in env
                ]
    references += [
        env["valueFrom"]["secretKeyRef"]
        for env in our_values()["hub"]["extraEnv"].values()
        if isinstance(env, dict)
    ]
    assert references
    for ref in references:
        assert ref["key"] in secrets[ref["name"]], ref


def test_replicas_grading_autoscaler_and_the_platform_pods_are_not_root():
    docs = kinds()
    assert docs[("Deployment", "yiyuan")]["spec"]["replicas"] >= 2
    hpa = docs[("HorizontalPodAutoscaler", "yiyuan-grading")]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "yiyuan-grading"
    (metric,) = hpa["metrics"]
    assert metric["external"]["metric"] == {
        "name": "yiyuan_grading_jobs",
        "selector": {"matchLabels": {"state": "queued"}},
    }
    commands = {}
    for (kind, name), doc in docs.items():
        if kind not in {"Deployment", "CronJob", "Job"}:
            continue
        spec = pod_spec(doc)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
            commands[name] = " ".join(container["command"])
    assert commands["yiyuan"].startswith("yiyuan service run")
    assert commands["yiyuan-grading"] == "yiyuan grading run"
    assert commands["yiyuan-dashboards"] == "yiyuan dashboards run"
    assert commands["yiyuan-reminders"] == "yiyuan messages send-due"
    assert "yiyuan report participation" in commands["yiyuan-weekly-report"]
    assert commands["yiyuan-db-upgrade"] == "yiyuan db upgrade"


def test_commands_in_the_manifests_exist():
    from click.testing import CliRunner

    from yiyuan.cli import cli, main

    main(register_only=True)
    for words in (
        ["service", "run"],
        ["grading", "run"],
        ["dashboards", "run"],
        ["messages", "send-due"],
        ["report", "participation"],
        ["db", "upgrade"],
    ):
        result = CliRunner().invoke(cli, [*words, "--help"])
        assert result.exit_code == 0, (words, result.output)


def test_grading_pods_reach_only_the_database_the_store_and_dns():
    policy = kinds()[("NetworkPolicy", "yiyuan-grading")]["spec"]
    assert policy["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "yiyuan-grading"}}
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    assert policy["ingress"] == []
    ports = sorted(port["port"] for rule in policy["egress"] for port in rule["ports"])
    assert ports == [53, 53, 443, 5432]
    for rule in policy["egress"]:
        for peer in rule["to"]:
            # addresses of the database and the store, or the cluster's DNS: never a pod of ours
            assert "ipBlock" in peer or peer["podSelector"] == {
                "matchLabels": {"k8s-app": "kube-dns"}
            }


def test_image_definitions_share_one_layout():
    images = DEPLOY / "images"
    for name in ("hub", "platform", "singleuser"):
        text = (images / f"{name}.Dockerfile").read_text(encoding="utf-8")
        bases = [line for line in text.splitlines() if line.startswith("FROM ")]
        assert bases == ["FROM python:3.11-slim-bookworm"], name
        assert "pip install -r requirements.txt" in text
        assert "pip install --no-deps -e extensions" in text
        assert "WORKDIR /opt/yiyuan" in text
        assert "USER 1000" in text
    # hub_config hands servers the hub's own paths: both images put the project in one place
    assert FACTS.project_root == Path("/opt/yiyuan")


# --- KubeSpawner, per role -------------------------------------------------------------------


def kubernetes_settings(tmp_path, extra=""):
    path = tmp_path / "yiyuan.yml"
    path.write_text(
        f"""mode: kubernetes
data_dir: {tmp_path}
time_zone: Asia/Urumqi
hub:
  learner_servers: always
service:
  external_url: http://yiyuan:8090
grading:
  run_by_hub: false
dashboards:
  external_url: http://yiyuan-dashboards:8091
kubernetes:
  namespace: yiyuan
  image: registry.example.org/yiyuan/singleuser:2026.11
  storage_class: fast-ssd
"""
        + extra,
        encoding="utf-8",
    )
    return load_settings({"YIYUAN_CONFIG": str(path)})


@pytest.fixture
def kubeconfig(tmp_path, monkeypatch):
    """KubeSpawner loads a client configuration when it is made; it never connects here."""
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}],
                "users": [{"name": "none", "user": {"token": "none"}}],
                "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
                "current-context": "none",
            }
        )
    )
    monkeypatch.setenv("KUBECONFIG", str(path))


def hub_configured(settings) -> Config:
    c = Config()
    hub_config.apply(c, settings, FACTS, "s" * 64)
    return c


def make_pod(c: Config, username: str, groups: list[str]):
    from kubernetes_asyncio.client import ApiClient
    from kubespawner import KubeSpawner

    async def build():
        user = SimpleNamespace(
            name=username,
            id=7,
            url=f"/user/{username}/",
            groups=[SimpleNamespace(name=name) for name in groups],
        )
        spawner = KubeSpawner(config=c, user=user, _mock=True)
        spawner.api_token = "t" * 32
        try:
            spawner.pre_spawn_hook(spawner)
            pod = await spawner.get_pod_manifest()
            pvc = spawner.get_pvc_manifest()
            client = ApiClient()
            try:
                return (
                    spawner,
                    client.sanitize_for_serialization(pod),
                    client.sanitize_for_serialization(pvc),
                )
            finally:
                await client.close()
        finally:
            await spawner.api.api_client.close()

    return asyncio.run(build())


def test_hub_config_selects_kubespawner_and_keeps_the_common_spawner_settings(tmp_path):
    c = hub_configured(kubernetes_settings(tmp_path))
    assert c.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    assert c.JupyterHub.authenticator_class.endswith(".YiyuanAuthenticator")
    # the chart owns these on Kubernetes
    for trait in ("ip", "port", "hub_ip", "db_url", "cookie_secret_file", "cleanup_servers"):
        assert trait not in c.JupyterHub, trait
    assert "ConfigurableHTTPProxy" not in c
    # one code path: the common settings, repeated where the chart's KubeSpawner values
    # would otherwise win
    for trait in ("cmd", "environment", "pre_spawn_hook", "start_timeout", "server_token_scopes"):
        assert c.KubeSpawner[trait] == c.Spawner[trait], trait
    assert c.KubeSpawner.namespace == "yiyuan"
    assert c.KubeSpawner.storage_class == "fast-ssd"
    assert c.KubeSpawner.profile_list == []
    services = {service["name"]: service for service in c.JupyterHub.services}
    assert "grader" not in services
    assert services["yiyuan"]["url"] == "http://yiyuan:8090" and "command" not in services["yiyuan"]
    assert services["dashboards"] == {
        "name": "dashboards",
        "url": "http://yiyuan-dashboards:8091",
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": ["read:users:name!user"],
        "display": False,
        "api_token": "d" * 64,
        "oauth_client_id": "service-dashboards",
    }


ROLES = {
    # username, hub groups, (cpu request, cpu limit, memory request MiB, limit MiB, home GiB)
    "learner": ("wangfang5678", ["learners", "assoc-calligraphy"], ("100m", "1", 320, 1024, 1)),
    "manager": ("lisi0001", ["managers", "learners"], ("100m", "1", 320, 1024, 1)),
    "trainer": ("zhanglaoshi", ["trainers"], ("500m", "2", 1024, 4096, 10)),
    "administrator": ("wangmin", ["administrators", "trainers"], ("250m", "2", 512, 2048, 5)),
}


def cpu(quantity) -> float:
    text = str(quantity)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


@pytest.mark.parametrize("role", ROLES)
def test_kubespawner_pod_per_role(tmp_path, kubeconfig, role):
    username, groups, (cpu_request, cpu_limit, mem_request, mem_limit, home) = ROLES[role]
    settings = kubernetes_settings(tmp_path)
    _, pod, pvc = make_pod(hub_configured(settings), username, groups)
    # what the cluster would be given is a valid Pod and PersistentVolumeClaim
    assert k8s_errors(pod) == "" and k8s_errors(pvc) == ""
    (container,) = pod["spec"]["containers"]
    assert container["image"] == "registry.example.org/yiyuan/singleuser:2026.11"
    resources = container["resources"]
    assert cpu(resources["requests"]["cpu"]) == cpu(cpu_request)
    assert cpu(resources["limits"]["cpu"]) == cpu(cpu_limit)
    assert int(resources["requests"]["memory"]) == mem_request * 1024 * 1024
    assert int(resources["limits"]["memory"]) == mem_limit * 1024 * 1024
    assert pvc["spec"]["resources"]["requests"]["storage"] == f"{home}Gi"
    assert pvc["spec"]["storageClassName"] == "fast-ssd"
    expected_role = {"manager": "learner"}.get(role, role)
    assert pod["metadata"]["labels"]["yiyuan-role"] == expected_role
    # never root
    security = container["securityContext"]
    assert security["runAsUser"] == 1000 and security["runAsNonRoot"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert pod["spec"]["securityContext"]["fsGroup"] == 100
    # KubeSpawner passes the command as the container's args (the image's entrypoint runs it)
    argv = container.get("command", []) + container["args"]
    assert "--allow-root" not in argv
    assert pod["spec"]["automountServiceAccountToken"] is False
    # the environment every spawner gets
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["YIYUAN_TIME_ZONE"] == "Asia/Urumqi"
    assert env["YIYUAN_SERVICE_URL"] == "http://yiyuan:8090/services/yiyuan"
    assert env["JUPYTER_CONFIG_PATH"].endswith("exchange/jupyter_config")
    assert env["JUPYTERHUB_API_TOKEN"] == "t" * 32
    # the home volume at the home directory
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    assert mounts["home"] == "/home/jovyan"
    volumes = {volume["name"]: volume for volume in pod["spec"]["volumes"]}
    assert volumes["home"]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    # learners' and managers' servers are locked down to lessons, the others keep JupyterLab
    command = " ".join(argv)
    assert command.startswith("/opt/yiyuan/.venv/bin/jupyterhub-singleuser")
    locked = "LessonAuthorizer" in command
    assert locked is (role in {"learner", "manager"})


def test_role_sizes_come_from_the_settings(tmp_path, kubeconfig):
    settings = kubernetes_settings(
        tmp_path, "  trainer:\n    memory_limit_mb: 8192\n    cpu_limit_milli: 4000\n"
    )
    _, pod, _ = make_pod(hub_configured(settings), "zhanglaoshi", ["trainers"])
    limits = pod["spec"]["containers"][0]["resources"]["limits"]
    assert int(limits["memory"]) == 8192 * 1024 * 1024
    assert cpu(limits["cpu"]) == 4.0
    # the rest of the trainer's size is the trainer's default, not the learner's
    assert cpu(pod["spec"]["containers"][0]["resources"]["requests"]["cpu"]) == 0.5


def test_a_pod_config_gone_wrong_is_rejected(tmp_path, kubeconfig):
    c = hub_configured(kubernetes_settings(tmp_path))
    c.KubeSpawner.container_security_context = {"runAsNonRoot": "yes"}
    _, pod, _ = make_pod(c, "wangfang5678", ["learners"])
    assert k8s_errors(pod) != ""


def test_kubernetes_mode_needs_an_image(tmp_path):
    from yiyuan.errors import SettingsError

    path = tmp_path / "yiyuan.yml"
    path.write_text("mode: kubernetes\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"kubernetes\.image"):
        load_settings({"YIYUAN_CONFIG": str(path)})


# --- the hub part, loaded as the chart loads it ----------------------------------------------

CHART_LIKE_CONFIG = """
# what the chart's own jupyterhub_config.py sets before hub.extraConfig (a few of its traits)
c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
c.JupyterHub.db_url = "postgresql+psycopg://yiyuan_hub@postgres.example.internal/jupyterhub"
c.JupyterHub.hub_bind_url = "http://:8081"
c.ConfigurableHTTPProxy.should_start = False
c.KubeSpawner.environment = {}
c.KubeSpawner.start_timeout = 300
c.KubeSpawner.extra_labels = {"hub.jupyter.org/network-access-hub": "true"}
c.JupyterHub.services = []
c.JupyterHub.load_roles = []
for key, config_py in sorted(EXTRA_CONFIG.items()):
    exec(config_py)
"""

LOADER = """
import json, sys
from traitlets.config.loader import PyFileConfigLoader
from jupyterhub.app import JupyterHub
c = PyFileConfigLoader(sys.argv[1]).load_config()
hub = JupyterHub(config=c)
print(json.dumps({
    "spawner_class": hub.spawner_class.__module__ + "." + hub.spawner_class.__name__,
    "authenticator_class": c.JupyterHub.authenticator_class,
    "db_url": c.JupyterHub.db_url,
    "should_start": c.ConfigurableHTTPProxy.should_start,
    "labels": c.KubeSpawner.extra_labels,
    "environment": sorted(c.KubeSpawner.environment),
    "start_timeout": c.KubeSpawner.start_timeout,
    "image": c.KubeSpawner.image,
    "services": sorted(s["name"] for s in c.JupyterHub.services),
    "roles": sorted(r["name"] for r in c.JupyterHub.load_roles),
}))
"""


def test_the_hub_part_loads_over_the_charts_configuration(tmp_path):
    settings_file = tmp_path / "yiyuan.yml"
    settings_file.write_text(configmap_yaml_for(tmp_path), encoding="utf-8")
    env = {
        **os.environ,
        "YIYUAN_CONFIG": str(settings_file),
        "YIYUAN_DB_URL": f"sqlite:///{tmp_path / 'yiyuan.sqlite'}",
        "YIYUAN_SERVICE_API_TOKEN": "s" * 64,
        "YIYUAN_DASHBOARDS_API_TOKEN": "d" * 64,
    }
    python = Path(sys.executable)
    subprocess.run(
        [str(python.parent / "yiyuan"), "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    extra = our_values()["hub"]["extraConfig"]
    extra = {key: text.replace("/opt/yiyuan/", f"{ROOT}/") for key, text in extra.items()}
    chart = tmp_path / "chart_config.py"
    chart.write_text(f"EXTRA_CONFIG = {extra!r}\n" + CHART_LIKE_CONFIG, encoding="utf-8")
    result = subprocess.run(
        [str(python), "-c", LOADER, str(chart)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["spawner_class"] == "kubespawner.spawner.KubeSpawner"
    assert loaded["authenticator_class"].endswith(".YiyuanAuthenticator")
    # the chart's settings that hub_config leaves alone are still there
    assert loaded["db_url"].startswith("postgresql+psycopg://yiyuan_hub@")
    assert loaded["should_start"] is False
    assert loaded["labels"] == {"hub.jupyter.org/network-access-hub": "true"}
    # hub_config's win where both set a trait
    assert "YIYUAN_SERVICE_URL" in loaded["environment"]
    assert loaded["start_timeout"] == 300  # settings: hub.start_timeout in the ConfigMap
    assert loaded["image"] == "registry.example.org/yiyuan/singleuser:2026.11"
    assert loaded["services"] == ["dashboards", "idle-culler", "roster-sync", "yiyuan"]
    assert "yiyuan-administrator" in loaded["roles"]


def configmap_yaml_for(tmp_path: Path) -> str:
    """The ConfigMap's yiyuan.yml with this test's data directory and a local store."""
    (configmap,) = documents(DEPLOY / "settings-configmap.yaml")
    settings = yaml.safe_load(configmap["data"]["yiyuan.yml"])
    settings["data_dir"] = str(tmp_path / "data")
    settings["storage"] = {"backend": "local"}
    (tmp_path / "data").mkdir()
    return yaml.safe_dump(settings, allow_unicode=True)

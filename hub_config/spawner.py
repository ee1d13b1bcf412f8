"""How single-user servers start."""

from __future__ import annotations

import subprocess
from importlib.resources import files

from traitlets.config import Config

from yiyuan.clock import ZONE_ENV
from yiyuan.hub.learnerservers import LessonServerHook
from yiyuan.hub.podprofiles import PodSize, RolePods, SpawnHooks
from yiyuan.settings import Settings

from .hub import HostFacts
from .services import YIYUAN_SERVICE, service_url

#: nbgrader_config selecting the platform's exchange (yiyuan.exchange), for every server
EXCHANGE_CONFIG_DIR = files("yiyuan.exchange").joinpath("jupyter_config")
#: the lesson player's Voila template (Chinese, no public CDN), found on the Jupyter data path
PLAYER_DATA_DIR = files("yiyuan.exchange").joinpath("jupyter_data")

SPAWNERS = {
    # DEMO ONLY: every user's server runs as the hub's own system user, with no isolation.
    "demo": "jupyterhub.spawner.SimpleLocalProcessSpawner",
    # each user's server runs as that user's system account (see YiyuanLocalAuthenticator)
    "production": "jupyterhub.spawner.LocalProcessSpawner",
    # each user's server is a pod of its own (jupyterhub-kubespawner), see configure_pods
    "kubernetes": "kubespawner.KubeSpawner",
}


def configure_spawner(c: Config, settings: Settings, facts: HostFacts) -> None:
    c.JupyterHub.spawner_class = SPAWNERS[settings.mode]
    c.Spawner.cmd = [str(facts.bin_dir / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    # ...except learners' (everyone neither trainer nor administrator), which open on「我的学习」
    # (yiyuan.hub.landing) and serve only lessons, with short-lived kernels, and stop
    # themselves when idle (yiyuan.hub.learnerservers, yiyuan.exchange.lockdown)
    lesson_servers = LessonServerHook(
        kernel_idle_timeout=settings.culler.lesson_kernel_idle_timeout,
        kernel_cull_every=settings.culler.lesson_kernel_every,
        server_idle_timeout=settings.culler.learner_idle_timeout,
        # a learner whose lessons are all compiled pages gets no server at all
        database_url=settings.platform_db_url,
        refuse_unneeded=settings.hub.learner_servers == "needed",
        exchange_dir=str(settings.exchange_dir),
        storage=settings.storage,
    )
    c.Spawner.pre_spawn_hook = (
        # on Kubernetes the pod is sized by the user's role first (yiyuan.hub.podprofiles)
        SpawnHooks((role_pods(settings), lesson_servers))
        if settings.mode == "kubernetes"
        else lesson_servers
    )
    c.Spawner.start_timeout = settings.hub.start_timeout
    # Servers never see the hub's terminal: on it, a Ctrl-C makes jupyter-server ask
    # "Shutdown this Jupyter server?" and carry on, and the hub's stop waited 30 s per step.
    # A server that ignores SIGINT for 3 s gets SIGTERM, then SIGKILL 2 s later, so that a
    # full stop of the hub ends within seconds (servers are stopped together).
    c.LocalProcessSpawner.popen_kwargs = {"stdin": subprocess.DEVNULL}
    c.LocalProcessSpawner.interrupt_timeout = 3
    c.LocalProcessSpawner.term_timeout = 2
    c.Spawner.http_timeout = settings.hub.start_timeout
    # jupyter-server refuses to run as root unless told; only the demo and tests run as root.
    c.Spawner.args = ["--allow-root"] if facts.as_root and settings.mode == "demo" else []
    c.Spawner.environment = {
        # the platform's venv first: `nbgrader submit` in a learner's terminal or notebook is
        # the platform's nbgrader (with its exchange), whatever PATH the hub was started with
        "PATH": facts.path,
        "LANGUAGE": settings.language,
        "LC_ALL": "C.UTF-8",
        # the exchange client and the lesson's submit button talk to the yiyuan service
        "YIYUAN_SERVICE_URL": f"{service_url(settings)}/services/{YIYUAN_SERVICE}",
        "JUPYTER_CONFIG_PATH": str(EXCHANGE_CONFIG_DIR),
        "JUPYTER_PATH": str(PLAYER_DATA_DIR),
        # a trainer's author page checks courses offline: associations with the city's prefix
        "YIYUAN_CITY": settings.city,
        # deadlines, dates and times in lessons, the exchange and author checks (yiyuan.clock)
        ZONE_ENV: settings.time_zone,
    }
    # the server's own API token may call the yiyuan service as its user (and nothing more)
    c.Spawner.server_token_scopes = [
        "users:activity!user",
        "access:servers!server",
        f"access:services!service={YIYUAN_SERVICE}",
    ]
    if settings.mode == "demo":
        c.SimpleLocalProcessSpawner.home_dir_template = str(settings.homes_dir / "{username}")
    if settings.mode == "kubernetes":
        configure_pods(c, settings)


def pod_size(size) -> PodSize:
    """A role's pod from its settings (``kubernetes.learner`` …): CPU in thousandths."""
    return PodSize(
        cpu_request=size.cpu_request_milli / 1000,
        cpu_limit=size.cpu_limit_milli / 1000,
        memory_request_mb=size.memory_request_mb,
        memory_limit_mb=size.memory_limit_mb,
        home_gb=size.home_gb,
    )


def role_pods(settings: Settings) -> RolePods:
    pods = settings.kubernetes
    return RolePods(
        learner=pod_size(pods.learner),
        trainer=pod_size(pods.trainer),
        administrator=pod_size(pods.administrator),
    )


def configure_pods(c: Config, settings: Settings) -> None:
    """KubeSpawner: the image, a non-root user, a home volume, resources by role.

    The hub runs inside the Zero to JupyterHub chart, whose own configuration sets
    ``c.KubeSpawner`` traits from its values (start_timeout, environment, uid …) before this
    runs; a trait set on ``KubeSpawner`` beats one set on ``Spawner``, so the common spawner
    settings above are repeated here, where they win.
    """
    pods = settings.kubernetes
    kube = c.KubeSpawner
    for name, value in c.Spawner.items():
        kube[name] = value
    kube.namespace = pods.namespace
    kube.image = pods.image
    kube.image_pull_policy = pods.image_pull_policy
    # never root: jupyter-server as a fixed uid, no privilege escalation, no capabilities
    kube.uid = pods.uid
    kube.gid = pods.gid
    kube.fs_gid = pods.gid
    kube.privileged = False
    kube.allow_privilege_escalation = False
    kube.container_security_context = {
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    # the pod needs no Kubernetes API
    kube.automount_service_account_token = False
    # the home volume: a claim per user, made at the first start (its size by role)
    kube.storage_pvc_ensure = True
    kube.storage_access_modes = ["ReadWriteOnce"]
    if pods.storage_class:
        kube.storage_class = pods.storage_class
    kube.volumes = {"home": {"name": "home", "persistentVolumeClaim": {"claimName": "{pvc_name}"}}}
    kube.volume_mounts = {"home": {"name": "home", "mountPath": pods.home_dir}}
    kube.working_dir = pods.home_dir
    # the learner's size until the hook (role_pods) sizes the pod at its start
    learner = pod_size(pods.learner)
    kube.cpu_guarantee = learner.cpu_request
    kube.cpu_limit = learner.cpu_limit
    kube.mem_guarantee = learner.memory_request_mb * 1024 * 1024
    kube.mem_limit = learner.memory_limit_mb * 1024 * 1024
    kube.storage_capacity = f"{learner.home_gb}Gi"
    # nobody chooses a profile: the size follows the platform role
    kube.profile_list = []

"""One typed settings object for the whole platform.

Settings come from a YAML file whose path is ``YIYUAN_CONFIG`` (optional: every setting has a
default that runs the demo), then three environment overrides, ``YIYUAN_DATA_DIR``,
``YIYUAN_DB_URL`` and ``YIYUAN_METRICS_TOKEN``. :func:`load_settings` is the only place that reads the environment; everything
else receives a :class:`Settings` object.

Example ``yiyuan.yml``::

    mode: production
    data_dir: /srv/yiyuan
    db_url: postgresql+psycopg://yiyuan:secret@db.internal/yiyuan
    federation_name: 深圳市文学艺术界联合会
    city: 深圳市
    hub:
      port: 8000
    auth:
      lockout_minutes: 15
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from .clock import DEFAULT_TIME_ZONE, UnknownTimeZone, zone_named
from .errors import SettingsError

CONFIG_ENV = "YIYUAN_CONFIG"
DATA_DIR_ENV = "YIYUAN_DATA_DIR"
DB_URL_ENV = "YIYUAN_DB_URL"
METRICS_TOKEN_ENV = "YIYUAN_METRICS_TOKEN"


@dataclass(frozen=True)
class HubSettings:
    """Where JupyterHub and its proxy listen, and where the hub keeps its own state."""

    ip: str = "127.0.0.1"
    #: public port of configurable-http-proxy: the address users open
    port: int = 8000
    #: port of the proxy's REST API (loopback only)
    proxy_api_port: int = 8001
    #: port the hub process itself listens on, behind the proxy (loopback only)
    hub_port: int = 8081
    #: JupyterHub's own database; empty means ``sqlite:///{data_dir}/jupyterhub.sqlite``
    db_url: str = ""
    #: seconds a single-user server may take to start before the hub gives up
    start_timeout: int = 120
    #: at most this many servers starting at once (``JupyterHub.concurrent_spawn_limit``);
    #: one more sees a Chinese waiting page that tries again by itself. A start costs ≈ 3
    #: CPU-seconds: 10 at once on 2 cores are all up in ≈ 15 s, while 25–50 at once thrashed
    #: (72 s waits, kernels dying on port clashes). About 5 per core; 0 means no limit
    concurrent_spawn_limit: int = 10
    #: a waiting page tries again after a random number of seconds in this range
    spawn_retry_min: int = 10
    spawn_retry_max: int = 30
    #: which learners may start a server: ``needed`` (only those with a live lesson or a
    #: JupyterLab module among their courses; compiled lessons need none) or ``always``
    learner_servers: Literal["needed", "always"] = "needed"


@dataclass(frozen=True)
class AuthSettings:
    """Password login against the platform's own accounts."""

    #: failed logins on one account (from clients that never logged in to it), or from one
    #: known client, before it is blocked (the owner's known clients are counted apart)
    max_failed_logins: int = 5
    #: the first block after max_failed_logins, in minutes; each further failure doubles it
    lockout_minutes: int = 10
    #: the longest block, in minutes
    max_lockout_minutes: int = 60
    #: failed logins from one client address (on any name) before the address is blocked
    address_max_failures: int = 50
    #: failures are forgotten after this many minutes without one
    failure_window_minutes: int = 1440
    #: a browser that logged in within this many days counts as a known client
    known_client_days: int = 180
    #: shortest password accepted when a password is set or changed
    min_password_length: int = 8


@dataclass(frozen=True)
class CullerSettings:
    """jupyterhub-idle-culler, run as a hub service."""

    enabled: bool = True
    #: stop a single-user server after this many seconds without activity
    idle_timeout: int = 3600
    #: how often the culler looks, in seconds
    every: int = 300
    #: learners' servers (anyone neither trainer nor administrator) stop themselves after
    #: this many seconds with no lesson kernel and no request (jupyter-server's
    #: ``shutdown_no_activity_timeout``, checked once a minute; jupyterhub-idle-culler has a
    #: single timeout for everyone). 0: only the culler above stops them
    learner_idle_timeout: int = 600
    #: in learners' servers, a lesson kernel no page is connected to is shut down this many
    #: seconds after its last activity; the check runs every ``lesson_kernel_every`` seconds,
    #: so a closed page's kernel is gone within their sum (50 s by default)
    lesson_kernel_idle_timeout: int = 40
    lesson_kernel_every: int = 10


@dataclass(frozen=True)
class ServiceSettings:
    """The yiyuan hub service: REST API, exchange, portal (``/services/yiyuan/``)."""

    #: loopback port the service listens on, behind the hub's proxy
    port: int = 8090
    #: processes answering on that port; 0 means one per CPU core
    processes: int = 0
    #: largest submission accepted, in MB (the packed module: notebooks and answers)
    max_submission_mb: int = 20
    #: largest module release a trainer may publish, in MB (lessons with images, audio…)
    max_release_mb: int = 200
    #: largest roster (.xlsx/.csv) an administrator may upload in the browser, in MB
    max_roster_mb: int = 10
    #: production mode: the system user the platform's own processes run as (this service,
    #: the grading workers, roster sync, dashboards, idle culler and ``yiyuan`` commands run by
    #: root); it owns ``data_dir``. Empty: they run as the hub's own user (root)
    user: str = "yiyuan"
    #: bearer token Prometheus (or an autoscaler) presents to read ``/services/yiyuan/metrics``,
    #: the grading queue's depth; empty: no metrics endpoint (404). Give it as the environment
    #: variable ``YIYUAN_METRICS_TOKEN`` rather than in the file (it overrides the file)
    metrics_token: str = ""
    #: the service's address when it runs outside the hub, as replicas behind one address (a
    #: load balancer, a Kubernetes Service), e.g. ``http://yiyuan:8090``: the hub registers it
    #: as an external service there and starts none; its API token is the hub's environment
    #: variable ``YIYUAN_SERVICE_API_TOKEN``. Empty: the hub starts the service itself
    external_url: str = ""


@dataclass(frozen=True)
class GradingSettings:
    """The autograding worker pool (nbgrader in long-lived worker processes)."""

    #: worker processes; 0 means one per CPU core
    workers: int = 0
    #: seconds one notebook may run while graded; a cell still running then fails the notebook
    timeout: int = 120
    #: memory limit of a worker and of each kernel it starts, in MB
    memory_mb: int = 2048
    #: tries for a job whose grading broke for a reason outside the notebook (kernel start…)
    retries: int = 3
    #: seconds without a heartbeat after which a running job is taken to be orphaned
    stale_after: int = 60
    #: how kernels running learners' code are isolated: ``bwrap`` (bubblewrap: no network, a
    #: filesystem of their own, an unprivileged uid, limits) or ``none`` (refused in
    #: production mode: learners' code would run with the grader's rights)
    sandbox: Literal["bwrap", "none"] = "bwrap"
    #: first uid of sandboxed kernels: worker N's kernels run as ``sandbox_uid + N`` (a uid no
    #: account uses; no passwd entry is needed)
    sandbox_uid: int = 64000
    #: memory (address space) of one sandboxed kernel, in MB
    kernel_memory_mb: int = 1024
    #: processes and threads one sandboxed kernel may run at once
    kernel_processes: int = 64
    #: largest file a sandboxed kernel may write, in MB
    kernel_file_mb: int = 64
    #: output of one graded notebook kept for the feedback, in KB; the rest is dropped
    max_output_kb: int = 256
    #: the hub starts the worker pool (``yiyuan grading run``) as one of its services; false:
    #: no pool from the hub, workers run elsewhere (other hosts, a Deployment) as
    #: ``yiyuan grading run`` against the same database and storage
    run_by_hub: bool = True


@dataclass(frozen=True)
class OnsiteSettings:
    """On-site sessions (现场教学): check-in codes opened by the trainer."""

    #: minutes a check-in code stays valid after the trainer opens it (the trainer may choose
    #: another length for one session, up to ``max_checkin_minutes``)
    checkin_minutes: int = 15
    max_checkin_minutes: int = 240
    #: wrong codes a learner may enter in ten minutes before check-in is refused for a while
    max_wrong_codes: int = 5


#: the dashboards that ship with Yiyuan: <repository>/dashboards (this file is
#: <repository>/extensions/yiyuan/settings.py); wherever the settings file lives
SHIPPED_DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"


@dataclass(frozen=True)
class DashboardsSettings:
    """The dashboards service: Voila over ``dir``, at ``/services/dashboards/``."""

    #: run the service (administrators, managers and trainers see the dashboards there)
    enabled: bool = True
    #: loopback port the service listens on, behind the hub's proxy
    port: int = 8091
    #: the dashboard notebooks; by default the ones that ship with Yiyuan (the repository's
    #: ``dashboards/``); a path given in the settings file is relative to that file
    dir: Path = Path("dashboards")
    #: the database the dashboards read; empty means the platform database, opened read-only
    db_url: str = ""
    #: seconds without activity after which a viewer's dashboard kernel is shut down
    kernel_idle_timeout: int = 600
    #: kernels started ahead of demand (imports done, bound to nobody until a view claims one)
    warm_kernels: int = 2
    #: at most this many dashboard kernels at once (warm ones included; ~150 MB each); a view
    #: beyond it gets a Chinese "busy, try again" page (HTTP 503). 0 means no cap
    max_kernels: int = 30
    #: seconds after a page's last connection closed before its kernel is shut down
    kernel_close_grace: int = 10
    #: seconds a served page may take to connect to its kernel before the kernel is shut down
    kernel_connect_timeout: int = 60
    #: where the hub reaches dashboards that run elsewhere (Kubernetes: their own Deployment,
    #: e.g. ``http://yiyuan-dashboards:8091``): the hub then registers them as an external
    #: service and does not start them; their API token comes from the environment variable
    #: ``YIYUAN_DASHBOARDS_API_TOKEN``. Empty: the hub starts them itself
    external_url: str = ""


@dataclass(frozen=True)
class MessagesSettings:
    """Messages (消息): what the platform tells a person, and through which channels
    (yiyuan.messages). The message centre on the portal always has every message."""

    #: seconds between runs of the hub's messages service (collect, deadline reminders,
    #: outside sends); 0: no service, run ``yiyuan messages send-due`` from cron instead
    every: int = 600
    #: outside channels each message also goes through: ``log`` (a line in the service's log
    #: only, the default until a gateway is set up), ``file`` (JSON lines appended to
    #: ``<data_dir>/messages/outbox.jsonl``, for a gateway that reads them, and tests), or a
    #: plug-in as ``package.module:Class`` (see docs/configuration.md)
    channels: tuple[str, ...] = ("log",)
    #: kinds of message sent outside too (a text message costs money); the rest stay in the
    #: message centre
    outside_kinds: tuple[str, ...] = (
        "enrolled",
        "due-soon",
        "due-tomorrow",
        "teacher-graded",
        "course-completed",
    )
    #: reminders this many days before a course's due date (7 and 1: 还有 7 天 / 明天截止)
    remind_days: tuple[int, ...] = (7, 1)


@dataclass(frozen=True)
class StorageSettings:
    """Where releases, compiled lessons, submissions, feedback and certificate PDFs are kept
    (yiyuan.storage). Credentials of object storage never go here: boto3 reads them from
    ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` (or a profile, or the host's role)."""

    #: ``local``: files under ``<data_dir>/exchange`` (one machine); ``s3``: a bucket of
    #: S3-compatible object storage (Amazon S3, MinIO, Ceph, a cloud's OSS/COS with its S3
    #: API), shared by service replicas and grading workers on several hosts
    backend: Literal["local", "s3"] = "local"
    #: the object storage's address, e.g. https://minio.internal:9000; empty: Amazon S3
    s3_endpoint_url: str = ""
    #: the bucket (made beforehand); required when ``backend`` is ``s3``
    s3_bucket: str = ""
    #: a folder inside the bucket for this platform, e.g. ``yiyuan/prod``; empty: the top
    s3_prefix: str = ""
    #: the region, e.g. cn-north-1; empty: boto3's default (``AWS_DEFAULT_REGION``)
    s3_region: str = ""


@dataclass(frozen=True)
class IssuerSettings:
    """A signing body of certificates (颁发单位): the 文联 itself or an association."""

    #: how manifests and classes name it (``certificate: {issuer: music}``)
    code: str = "federation"
    #: the name printed; empty: ``federation_name`` (with ``city`` before it)
    name: str = ""
    #: the seal's image (PNG or SVG), relative to the settings file; empty: a grey
    #: "示例印章" that says it is a demo — a real seal image is needed for real certificates
    seal: str = ""
    #: who signs, e.g. 张明 and 主席 (empty: no signature line)
    signatory: str = ""
    signatory_title: str = ""


@dataclass(frozen=True)
class CertificatesSettings:
    """Certificates (结业证书) and study-hours statements (学时证明), yiyuan.certificates."""

    #: the signing bodies; the first is the default for a course or class that names none
    issuers: tuple[IssuerSettings, ...] = (IssuerSettings(),)
    #: the address printed under the QR code and encoded in it: the hub's public address as
    #: people reach it (e.g. https://xuexi.szwl.org.cn); empty: http://<hub.ip>:<hub.port>
    public_url: str = ""
    #: verify-page look-ups one address may make per minute (the rest get 请稍后再试)
    verify_per_minute: int = 20


@dataclass(frozen=True)
class LearnerPod:
    """Resources of a learner's (and an association manager's) single-user pod on Kubernetes:
    a locked-down lesson server, ≈ 160 MB idle plus ≈ 135 MB per open live lesson."""

    #: CPU reserved for the pod (its request), in thousandths of a core
    cpu_request_milli: int = 100
    #: CPU the pod may use at most (its limit), in thousandths of a core
    cpu_limit_milli: int = 1000
    #: memory reserved for the pod (its request), in MiB
    memory_request_mb: int = 320
    #: memory the pod may use at most (its limit), in MiB; above it the kernel is killed
    memory_limit_mb: int = 1024
    #: size of the person's home volume (a PersistentVolumeClaim made at first start), GiB
    home_gb: int = 1


@dataclass(frozen=True)
class TrainerPod(LearnerPod):
    """A trainer's pod: full JupyterLab, writing and checking lessons."""

    cpu_request_milli: int = 500
    cpu_limit_milli: int = 2000
    memory_request_mb: int = 1024
    memory_limit_mb: int = 4096
    home_gb: int = 10


@dataclass(frozen=True)
class AdministratorPod(LearnerPod):
    """An administrator's pod: full JupyterLab, rosters and reports."""

    cpu_request_milli: int = 250
    cpu_limit_milli: int = 2000
    memory_request_mb: int = 512
    memory_limit_mb: int = 2048
    home_gb: int = 5


@dataclass(frozen=True)
class KubernetesSettings:
    """``mode: kubernetes``: single-user servers as pods (KubeSpawner, hub_config/spawner.py),
    the hub from the Zero to JupyterHub chart (deploy/kubernetes/, docs/deploy-kubernetes.md)."""

    #: the namespace of the chart's release: users' pods and home volumes are made there
    namespace: str = "yiyuan"
    #: the single-user image (deploy/kubernetes/images/singleuser.Dockerfile), with its tag;
    #: required in kubernetes mode
    image: str = ""
    #: when nodes pull the image: ``IfNotPresent`` (a fixed tag), ``Always`` or ``Never``
    image_pull_policy: Literal["IfNotPresent", "Always", "Never"] = "IfNotPresent"
    #: the non-root uid and the group (fsGroup) users' servers run as in their pods
    uid: int = 1000
    gid: int = 100
    #: where the home volume is mounted in the pod
    home_dir: str = "/home/jovyan"
    #: storage class of the home volumes; empty: the cluster's default class
    storage_class: str = ""
    #: resources per platform role (hub groups, yiyuan.hubgroups), chosen at each start
    learner: LearnerPod = field(default_factory=LearnerPod)
    trainer: TrainerPod = field(default_factory=TrainerPod)
    administrator: AdministratorPod = field(default_factory=AdministratorPod)


@dataclass(frozen=True)
class Settings:
    """All platform settings. Construct with :func:`load_settings`."""

    #: ``demo``: every user runs as the hub's own system user (SimpleLocalProcessSpawner) — for
    #: trying the platform only. ``production``: each user is their own system user.
    #: ``kubernetes``: each user's server is a pod of its own (KubeSpawner), the hub and the
    #: platform's services run from the Zero to JupyterHub chart and deploy/kubernetes/
    mode: Literal["demo", "production", "kubernetes"] = "demo"
    #: where the platform keeps its databases, user homes and files
    data_dir: Path = Path("data")
    #: the platform database; empty means ``sqlite:///{data_dir}/yiyuan.sqlite``
    db_url: str = ""
    #: course manifests (``<id>.yml``) and their lesson notebooks (``notebooks/<id>/<module>/``)
    courses_dir: Path = Path("courses")
    #: language of the hub's pages and messages: ``zh_CN`` (default) or ``en``
    language: Literal["zh_CN", "en"] = "zh_CN"
    site_name: str = "艺苑"
    federation_name: str = "文学艺术界联合会"
    #: prefix of associations' full names, e.g. 深圳市 → 深圳市作家协会
    city: str = ""
    #: the local time zone (IANA name): deadlines fall at its midnight, study hours count per
    #: its calendar year, pages and reports show its times (yiyuan.clock)
    time_zone: str = DEFAULT_TIME_ZONE
    hub: HubSettings = field(default_factory=HubSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    culler: CullerSettings = field(default_factory=CullerSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    grading: GradingSettings = field(default_factory=GradingSettings)
    dashboards: DashboardsSettings = field(default_factory=DashboardsSettings)
    onsite: OnsiteSettings = field(default_factory=OnsiteSettings)
    messages: MessagesSettings = field(default_factory=MessagesSettings)
    certificates: CertificatesSettings = field(default_factory=CertificatesSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    kubernetes: KubernetesSettings = field(default_factory=KubernetesSettings)

    @property
    def platform_db_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'yiyuan.sqlite'}"

    @property
    def hub_db_url(self) -> str:
        return self.hub.db_url or f"sqlite:///{self.data_dir / 'jupyterhub.sqlite'}"

    @property
    def exchange_dir(self) -> Path:
        """Releases, submissions and feedback as the service stores them."""
        return self.data_dir / "exchange"

    @property
    def coursedirs_dir(self) -> Path:
        """nbgrader course directories (one per course: source, release, gradebook…)."""
        return self.data_dir / "coursedirs"

    @property
    def homes_dir(self) -> Path:
        """Home folders of demo-mode users (production users live in /home)."""
        return self.data_dir / "homes"


def load_settings(environ: Mapping[str, str], cwd: Path | None = None) -> Settings:
    """Build :class:`Settings` from ``YIYUAN_CONFIG`` and the environment overrides.

    A relative ``data_dir`` is resolved against the settings file's folder, or against ``cwd``
    when there is no file. Raises :class:`SettingsError` with a Chinese sentence naming the
    setting to fix.
    """
    base = (cwd or Path.cwd()).resolve()
    raw: dict[str, Any] = {}
    config_path = environ.get(CONFIG_ENV, "").strip()
    if config_path:
        path = (base / config_path).resolve()
        raw = _read_yaml(path)
        base = path.parent
    data_dir = environ.get(DATA_DIR_ENV, "").strip()
    if data_dir:
        raw["data_dir"] = data_dir
    db_url = environ.get(DB_URL_ENV, "").strip()
    if db_url:
        raw["db_url"] = db_url
    metrics_token = environ.get(METRICS_TOKEN_ENV, "").strip()
    if metrics_token and isinstance(raw.get("service") or {}, dict):
        raw["service"] = {**(raw.get("service") or {}), "metrics_token": metrics_token}
    settings = _build(Settings, raw, prefix="")
    _zone_checked(settings.time_zone)
    _storage_checked(settings.storage)
    if settings.mode == "kubernetes" and not settings.kubernetes.image.strip():
        raise SettingsError(
            "mode: kubernetes 需要配置项 kubernetes.image（学习环境的镜像及其标签）。"
        )
    return dataclasses.replace(
        settings,
        certificates=_issuers_checked(settings.certificates, base),
        data_dir=(base / settings.data_dir).resolve(),
        courses_dir=(base / settings.courses_dir).resolve(),
        dashboards=dataclasses.replace(
            settings.dashboards,
            dir=(base / settings.dashboards.dir).resolve()
            if "dir" in (raw.get("dashboards") or {})
            else SHIPPED_DASHBOARDS,
        ),
    )


def _storage_checked(storage: StorageSettings) -> None:
    if storage.backend != "s3":
        return
    if not storage.s3_bucket.strip():
        raise SettingsError(
            "storage.backend 为 s3 时需要配置项 storage.s3_bucket（对象存储的存储桶名称）。"
        )
    url = storage.s3_endpoint_url.strip()
    if url and not re.match(r"https?://[^/\s]+", url):
        raise SettingsError(
            f"配置项 storage.s3_endpoint_url 的值 {url!r} 无效：应为 http:// 或 https:// 开头的地址，"
            "如 https://minio.example.org:9000。"
        )
    parts = storage.s3_prefix.strip("/").split("/")
    if storage.s3_prefix.strip("/") and any(
        not part or part.startswith(".") or "\\" in part for part in parts
    ):
        raise SettingsError(
            f"配置项 storage.s3_prefix 的值 {storage.s3_prefix!r} 无效：应为 yiyuan/prod 这样"
            "以 / 分隔的文件夹名，不能含 . 开头的部分。"
        )


def _zone_checked(name: str) -> None:
    try:
        zone_named(name, "配置项 time_zone")
    except UnknownTimeZone as error:
        raise SettingsError(str(error)) from None


def _issuers_checked(certificates: CertificatesSettings, base: Path) -> CertificatesSettings:
    """Each issuer's code once, its seal as an absolute path."""
    issuers, codes = [], set()
    if not certificates.issuers:
        raise SettingsError("配置项 certificates.issuers 至少要有一个颁发单位。")
    for number, issuer in enumerate(certificates.issuers):
        where = f"certificates.issuers[{number}]"
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,39}", issuer.code):
            raise SettingsError(f"配置项 {where}.code 应为小写字母、数字或连字符，如 music。")
        if issuer.code in codes:
            raise SettingsError(f"配置项 {where}.code：颁发单位代码 {issuer.code} 重复了。")
        codes.add(issuer.code)
        seal = str((base / issuer.seal).resolve()) if issuer.seal.strip() else ""
        issuers.append(dataclasses.replace(issuer, seal=seal))
    return dataclasses.replace(certificates, issuers=tuple(issuers))


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise SettingsError(
            f"找不到配置文件 {path}（由环境变量 {CONFIG_ENV} 指定）："
            f"请检查路径，或取消该变量以使用默认配置。"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"配置文件 {path} 不是 UTF-8 编码：请另存为 UTF-8 后重试。") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        raise SettingsError(
            f"配置文件 {path} {where}不是有效的 YAML：{getattr(error, 'problem', error)}。"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(f"配置文件 {path} 的顶层应为“名称: 值”的映射，而不是列表或单个值。")
    return data


def _build(cls: type, raw: Any, prefix: str) -> Any:
    """Check ``raw`` against dataclass ``cls`` field by field; unknown keys are errors."""
    if not isinstance(raw, dict):
        raise SettingsError(f"配置项 {prefix.rstrip('.')} 应为“名称: 值”的映射。")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - fields)
    if unknown:
        raise SettingsError(
            f"未知的配置项 {prefix}{unknown[0]}：可用的配置项有 "
            + "、".join(f"{prefix}{name}" for name in sorted(fields))
            + "。"
        )
    values = {name: _coerce(hints[name], raw[name], prefix + name) for name in raw}
    return cls(**values)


def _coerce(hint: Any, value: Any, name: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, prefix=name + ".")
    origin = typing.get_origin(hint)
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise SettingsError(
                f"配置项 {name} 的值 {value!r} 无效：应为 " + " 或 ".join(map(str, choices)) + "。"
            )
        return value
    if origin is tuple:
        (item, _) = typing.get_args(hint)
        if not isinstance(value, list):
            raise SettingsError(f"配置项 {name} 应为列表（- 开头的若干行），而不是 {value!r}。")
        return tuple(_coerce(item, one, f"{name}[{i}]") for i, one in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"settings field {name}: unions are not supported")  # programming error
    if hint is bool:
        if not isinstance(value, bool):
            raise SettingsError(f"配置项 {name} 应为 true 或 false，而不是 {value!r}。")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"配置项 {name} 应为整数，而不是 {value!r}。")
        if value < 0:
            raise SettingsError(f"配置项 {name} 不能为负数。")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise SettingsError(f"配置项 {name} 应为文本，而不是 {value!r}。")
        return value
    if hint is Path:
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(f"配置项 {name} 应为一个目录路径。")
        return Path(value)
    raise TypeError(f"settings field {name}: unsupported type {hint!r}")  # programming error

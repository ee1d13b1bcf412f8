# The platform image: the yiyuan service, grading workers, dashboards, scheduled jobs and the
# migration Job (deploy/kubernetes/*.yaml). Not built by the tests; build from the
# repository's root:
#   docker build -f deploy/kubernetes/images/platform.Dockerfile -t registry.example.org/yiyuan/platform:2026.11 .
# The project sits at /opt/yiyuan with its venv at /opt/yiyuan/.venv in all three images, as
# on one server (docs/deploy.md): paths hub_config hands to servers are the same everywhere.
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    LANG=C.UTF-8 \
    PATH=/opt/yiyuan/.venv/bin:$PATH

# scripts/install-system-packages.sh's runtime list: CJK fonts (certificates, charts), the
# grading sandbox (bubblewrap; setpriv and prlimit come with util-linux), WeasyPrint's pango
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        fonts-noto-cjk fonts-arphic-ukai fonts-arphic-uming \
        bubblewrap util-linux \
        libpango-1.0-0 libpangoft2-1.0-0 \
        tini \
 && rm -rf /var/lib/apt/lists/*

# uid 1000, as the manifests' securityContext (runAsUser: 1000)
RUN groupadd --gid 1000 yiyuan \
 && useradd --uid 1000 --gid 1000 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin yiyuan

WORKDIR /opt/yiyuan
COPY requirements.txt ./
RUN python -m venv /opt/yiyuan/.venv \
 && /opt/yiyuan/.venv/bin/pip install --upgrade pip \
 && /opt/yiyuan/.venv/bin/pip install -r requirements.txt
COPY extensions/ extensions/
COPY hub_config/ hub_config/
COPY dashboards/ dashboards/
COPY courses/ courses/
COPY jupyterhub_config.py ./
RUN /opt/yiyuan/.venv/bin/pip install --no-deps -e extensions \
 && /opt/yiyuan/.venv/bin/python -c "import yiyuan.cli" \
 && rm -rf /root/.cache/matplotlib

USER 1000:1000
ENTRYPOINT ["tini", "--"]
CMD ["yiyuan", "--help"]

# The single-user image (settings: kubernetes.image; values.yaml singleuser.image): JupyterLab
# in Chinese, the lesson player, the nbgrader exchange client, lesson widgets. No database
# driver is needed here: servers talk to the yiyuan service over HTTP with the user's token.
# Same layout as the hub image (/opt/yiyuan, venv /opt/yiyuan/.venv): the command and paths
# hub_config passes (jupyterhub-singleuser, JUPYTER_CONFIG_PATH, JUPYTER_PATH) exist here.
# Not built by the tests; from the repository's root:
#   docker build -f deploy/kubernetes/images/singleuser.Dockerfile -t registry.example.org/yiyuan/singleuser:2026.11 .
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    LANG=C.UTF-8 \
    PATH=/opt/yiyuan/.venv/bin:$PATH

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        fonts-noto-cjk fonts-arphic-ukai fonts-arphic-uming tini \
 && rm -rf /var/lib/apt/lists/*

# uid 1000, group 100 (users): KubeSpawner's uid and fs_gid (kubernetes.uid, kubernetes.gid)
RUN useradd --uid 1000 --gid 100 --create-home --home-dir /home/jovyan --shell /bin/bash jovyan

WORKDIR /opt/yiyuan
COPY requirements.txt ./
RUN python -m venv /opt/yiyuan/.venv \
 && /opt/yiyuan/.venv/bin/pip install --upgrade pip \
 && /opt/yiyuan/.venv/bin/pip install -r requirements.txt
COPY extensions/ extensions/
RUN /opt/yiyuan/.venv/bin/pip install --no-deps -e extensions \
 && install -D -m 644 extensions/yiyuan/labsettings/yiyuan.json \
        /opt/yiyuan/.venv/share/jupyter/lab/settings/overrides.d/yiyuan.json \
 && rm -rf /root/.cache/matplotlib

USER 1000:100
WORKDIR /home/jovyan
ENTRYPOINT ["tini", "--"]
CMD ["jupyterhub-singleuser"]

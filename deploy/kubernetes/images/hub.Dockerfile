# The hub image for the Zero to JupyterHub chart (values.yaml hub.image): JupyterHub 6.1.1 and
# jupyterhub-kubespawner 7.1.0 from requirements.txt, the platform's jupyterhub_config.py and
# hub_config, which the chart's own configuration loads from hub.extraConfig. The chart mounts
# its jupyterhub_config.py and z2jh.py under /usr/local/etc/jupyterhub/ and runs
#   jupyterhub --config /usr/local/etc/jupyterhub/jupyterhub_config.py
# as uid 1000 (hub.containerSecurityContext). Not built by the tests; from the repository's root:
#   docker build -f deploy/kubernetes/images/hub.Dockerfile -t registry.example.org/yiyuan/hub:2026.11 .
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    LANG=C.UTF-8 \
    PATH=/opt/yiyuan/.venv/bin:$PATH

# libcurl: the chart's configuration switches tornado to its curl client (pycurl)
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcurl4 tini \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --gid 1000 jovyan \
 && useradd --uid 1000 --gid 1000 --create-home --home-dir /home/jovyan --shell /bin/bash jovyan

WORKDIR /opt/yiyuan
COPY requirements.txt ./
# pycurl as the chart's own hub image pins it (images/hub/requirements.txt at 4.4.0), built
# from source against Debian's libcurl; the build tools are removed again
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev libcurl4-openssl-dev libssl-dev \
 && python -m venv /opt/yiyuan/.venv \
 && /opt/yiyuan/.venv/bin/pip install --upgrade pip \
 && /opt/yiyuan/.venv/bin/pip install -r requirements.txt \
 && /opt/yiyuan/.venv/bin/pip install --no-binary pycurl pycurl==7.46.0 \
 && apt-get purge -y gcc libc6-dev libcurl4-openssl-dev libssl-dev \
 && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*
COPY extensions/ extensions/
COPY hub_config/ hub_config/
COPY dashboards/ dashboards/
COPY jupyterhub_config.py ./
COPY jupyterhub_config.d/ jupyterhub_config.d/
RUN /opt/yiyuan/.venv/bin/pip install --no-deps -e extensions \
 && /opt/yiyuan/.venv/bin/python -c "import kubespawner, pycurl, sys; sys.path.insert(0, '/opt/yiyuan'); import hub_config"

USER 1000:1000
WORKDIR /srv/jupyterhub
ENTRYPOINT ["tini", "--"]
CMD ["jupyterhub", "--config", "/usr/local/etc/jupyterhub/jupyterhub_config.py"]

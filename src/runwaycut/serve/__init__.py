"""The service: ``runwaycut serve``, an HTTP API and a web page beside the command line.

The routes are thin (:mod:`.app`): they check the parameters (:mod:`.request`), the
upload's size (:mod:`.limits`) and type, and hand the photo to a worker process
(:mod:`.pool`) that cuts it as ``runwaycut remove`` does (:mod:`.cut`). With
``--results DIR`` a batch's output folder is shown read-only (:mod:`.gallery`). The
page, its script and styles are package data (``static/``); nothing comes from a CDN.

Modules
-------
    settings     :class:`ServeSettings`, built once at start-up
    request      :class:`CutRequest`: method, target, palette options, output; the backend
    cut          one uploaded photo -> the answer (in a worker process)
    pool         worker processes, models loaded once each; the bounded queue
    limits       413 before an oversized body is read
    gallery      a batch's manifest and files, nothing outside its folder
    app          the FastAPI application: routes, JSON errors, token
    server       bind, print the URL, serve, drain on SIGTERM
"""

from .app import create_app
from .request import OUTPUTS, CutRequest, served_targets
from .server import run_server
from .settings import ServeSettings

__all__ = ["CutRequest", "OUTPUTS", "ServeSettings", "create_app", "run_server",
           "served_targets"]

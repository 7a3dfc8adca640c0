"""Build the Google client objects for a task (credentials, OAuth, HTTP), one channel at a time."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from ytlake.channels import ChannelAccess
from ytlake.tasks import common
from ytlake.youtube.endpoints import ApiRoot
from ytlake.youtube.http import GoogleHttp
from ytlake.youtube.oauth import OAuthSession


@contextmanager
def google_http(args: argparse.Namespace, access: ChannelAccess) -> Iterator[tuple[GoogleHttp, ApiRoot]]:
    """The HTTP client of one channel (its owner's token); the pace (``--requests-per-second``)
    is the client's own, so channels asked one after the other share it."""
    root = common.api_root(args)
    oauth = OAuthSession(access.credentials, root.token_uri)
    http = GoogleHttp(oauth, requests_per_second=args.requests_per_second, pool_size=max(args.concurrency, 4))
    try:
        yield http, root
    finally:
        http.close()
        oauth.close()

"""The contents of the Reporting API's daily report files, from the world.

A bulk row is one video × one Pacific day × one combination of the report's dimensions
(``live_or_on_demand``, ``subscribed_status``, ``country_code`` and the report's own). The
world knows each video-day's figures split by country, traffic source and device (what v2
answers); a report needs their joint split. It is built one dimension at a time, per metric,
in integers, so that every marginal the world knows stays exact:

- a dimension v2 also answers (traffic source, device) is joined by *controlled rounding*:
  each cell gets the floor of its proportional share, and the remainders are placed by the
  north-west-corner rule of the transport problem over seeded orders. Both the table so far
  and the new dimension's marginal are kept exactly, so ``channel_traffic_source_a3`` summed
  by video and traffic source is v2's ``insightTrafficSourceType`` per video, to the view;
- a dimension only the bulk files have (subscribed status, operating system, playback
  location, province, sharing service, subtitles, age and gender) splits each cell by a
  stable per-video mix with daily noise (largest remainder), so sums stay whole.

Views are split first; every other metric follows where the views went (a guide per step),
so watch time lands on rows with views, and engaged views never exceed a row's views where
the world's marginals allow it (a max-flow places the remainders). Watch time is split in
seconds and written in minutes with decimals, as Google writes it.

Figures are the world's as of the day the report was generated: a first report of a
provisional day carries the provisional figures, its restatement the final ones.

Google's anonymisation applies to bulk rows as its privacy threshold does to v2 rows
(``Irregularities.privacy_threshold``): a row with fewer views than the threshold loses its
detail values (``traffic_source_detail``, ``playback_location_detail``), which become empty and
are aggregated into one row, so no view is lost; demographics are not reported for such rows.
A deleted video's rows keep their figures under an empty ``video_id`` (Google, 2026-09-09).
Rows come unsorted (Google does not sort them; read them by the header row).

Facts and sources: docs/research/youtube_reporting_api.md (§3).
"""

from __future__ import annotations

import csv
import io
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import pairwise
from typing import Any

from ytlake.emulator import world as world_module
from ytlake.emulator.world import Video, World, _h, allocate

#: v2's ``insightTrafficSourceType`` values as the bulk ``traffic_source_type`` code writes
#: them (RV1/reports/dimensions). The bulk files have no code of their own for embedded
#: players: they count as External (9), with EXT_URL.
TRAFFIC_CODES: dict[str, int] = {
    "NO_LINK_OTHER": 0,
    "ADVERTISING": 1,
    "SUBSCRIBER": 3,
    "YT_CHANNEL": 4,
    "YT_SEARCH": 5,
    "RELATED_VIDEO": 7,
    "YT_OTHER_PAGE": 8,
    "EXT_URL": 9,
    "NO_LINK_EMBEDDED": 9,
    "PLAYLIST": 14,
    "NOTIFICATION": 17,
    "YT_PLAYLIST_PAGE": 18,
    "END_SCREEN": 20,
    "SHORTS": 24,
    "HASHTAGS": 26,
}
#: v2's ``deviceType`` values as the bulk ``device_type`` code.
DEVICE_CODES: dict[str, int] = {
    "UNKNOWN_PLATFORM": 100,
    "DESKTOP": 101,
    "TV": 102,
    "GAME_CONSOLE": 103,
    "MOBILE": 104,
    "TABLET": 105,
}
#: ``operating_system`` codes each device type's views come from, with base shares.
OPERATING_SYSTEMS: dict[int, dict[int, float]] = {
    100: {1: 1.0},  # Other
    101: {2: 0.62, 9: 0.22, 30: 0.09, 13: 0.04, 1: 0.03},  # Windows, Macintosh, ChromeOS, Linux
    102: {19: 0.45, 26: 0.2, 28: 0.12, 22: 0.1, 29: 0.08, 21: 0.05},  # Smart TV, Roku, tvOS, Tizen
    103: {10: 0.55, 17: 0.3, 27: 0.15},  # PlayStation, Xbox, Nintendo Switch
    104: {4: 0.7, 5: 0.29, 25: 0.01},  # Android, iOS, KaiOS
    105: {5: 0.55, 4: 0.4, 29: 0.05},  # iOS, Android, Fire OS
}
#: ``playback_location_type`` codes with base shares: watch page, embedded, channel page,
#: other, browsing features, search results page, Shorts feed.
PLAYBACK_LOCATIONS: dict[int, float] = {0: 0.62, 7: 0.17, 8: 0.07, 2: 0.05, 10: 0.05, 1: 0.03, 5: 0.01}
#: ``sharing_service`` codes with base shares (copy to clipboard, WhatsApp, Facebook, ...).
SHARING_SERVICES: dict[int, float] = {
    55: 0.3,
    49: 0.2,
    10: 0.1,
    31: 0.08,
    4: 0.06,
    46: 0.05,
    60: 0.05,
    75: 0.04,
    47: 0.03,
    67: 0.03,
    36: 0.02,
    53: 0.02,
    59: 0.01,
    0: 0.01,
}
#: The files' age group and gender codes, with the world's base shares (world.AGE_GROUPS:
#: age13-17 is AGE_13_17, age65- is AGE_65_; user_specified is GENDER_OTHER).
AGE_GROUPS: dict[str, float] = {
    "AGE_" + a[3:].replace("-", "_"): w for a, w in world_module.AGE_GROUPS.items()
}
GENDERS: dict[str, float] = {
    {"user_specified": "GENDER_OTHER"}.get(g, g.upper()): w for g, w in world_module.GENDERS.items()
}
#: Languages viewers outside English-speaking countries get captions auto-translated into.
_CAPTION_LANGUAGES = {
    "DE": "de",
    "FR": "fr",
    "BR": "pt",
    "MX": "es",
    "ES": "es",
    "AR": "es",
    "CO": "es",
    "IT": "it",
    "JP": "ja",
    "KR": "ko",
    "ID": "id",
    "NL": "nl",
    "PL": "pl",
    "TR": "tr",
    "VN": "vi",
}
#: Search terms the world's viewers type (``traffic_source_detail`` of YouTube search), some
#: with the commas and quotes real terms carry.
_SEARCH_TERMS = (
    "{topic}",
    "{topic} tutorial",
    "how to {topic}",
    "best {topic} 2026",
    '{topic} "for beginners"',
    "{topic}, explained",
)

#: The metrics the world models, by their bulk names.
FIELDS: dict[str, str] = {
    "views": "views",
    "engaged_views": "engaged_views",
    "watch_time_minutes": "estimated_minutes_watched",
    "likes": "likes",
    "comments": "comments",
    "shares": "shares",
    "subscribers_gained": "subscribers_gained",
    "subscribers_lost": "subscribers_lost",
    "videos_added_to_playlists": "playlist_adds",
    "videos_removed_from_playlists": "playlist_removals",
}
#: Watch time is split in seconds and written in minutes, with decimals as Google writes it.
SCALE = {"watch_time_minutes": 60}
_DETAIL_COLUMNS = ("traffic_source_detail", "playback_location_detail")
BASE_DIMENSIONS = ("live_or_on_demand", "subscribed_status", "country_code")

Table = dict[tuple[Any, ...], int]
#: A split's key: (live_or_on_demand, country_code, subscribed_status, *the report's own)
_COUNTRY = 1
Guide = dict[tuple[Any, ...], dict[Any, int]]


@dataclass(frozen=True)
class Context:
    """What a step of the split needs: the world, the video, the day, the metric, and (for
    every metric but views) where the views went at this step, which the metric follows."""

    world: World
    video: Video
    day: date
    metric: str
    as_of: date
    guide: Guide | None = None
    neighbours: tuple[str, ...] = ()  # the channel's videos that day (suggested-video details)

    def rng(self, *key: object) -> random.Random:
        return random.Random(_h(self.world.config.seed, "bulk", self.video.video_id, self.day, *key))

    def mix(self, kind: str, base: dict[Any, float], *key: object) -> dict[Any, float]:
        """A stable per-video mix of ``base`` with daily noise (the same for every metric)."""
        vrng = random.Random(_h(self.world.config.seed, "bulkmix", kind, self.video.video_id, *key))
        drng = random.Random(_h(self.world.config.seed, "bulkday", kind, self.video.video_id, self.day, *key))
        return {k: w * vrng.lognormvariate(0, 0.35) * drng.lognormvariate(0, 0.1) for k, w in base.items()}


def guide_of(table: Table) -> Guide:
    """Where ``table``'s last dimension put each key's units: key prefix -> value -> units."""
    out: Guide = {}
    for key, value in table.items():
        if value > 0:
            out.setdefault(key[:-1], {})[key[-1]] = value
    return out


def controlled_rounding(
    table: Table,
    marginal: dict[Any, int],
    rng: random.Random,
    guide: Guide | None = None,
    capped: bool = False,
) -> Table:
    """Join ``table`` with one more dimension whose totals are ``marginal``, in integers,
    keeping both exactly: summed over the new dimension it is ``table``, summed over the old
    keys it is ``marginal``.

    Each cell first gets the floor of its share: proportional to the marginal, or, with a
    ``guide``, to where that key's views went (so watch time lands where the views are).
    A column given more than its total gives the excess back; the remainders then go where
    the key's views went (``capped``: no cell above its views, for engaged views), and what
    is left by the north-west-corner rule of the transport problem over seeded orders."""
    total = sum(table.values())
    if total != sum(marginal.values()):
        raise ValueError(f"marginals disagree: {total} != {sum(marginal.values())}")
    rows = [(k, a) for k, a in table.items() if a > 0]
    cols = [(c, b) for c, b in marginal.items() if b > 0]
    out: Table = {}
    row_left: dict[tuple[Any, ...], int] = {}
    col_left = dict(cols)
    for k, a in rows:
        towards = (guide or {}).get(k)
        if guide is not None and not towards:  # no views there: left whole to the remainders
            row_left[k] = a
            continue
        weights, weight_total = (towards, sum(towards.values())) if towards else (dict(cols), total)
        used = 0
        for c, w in weights.items():
            share = a * w // weight_total
            if share:
                out[(*k, c)] = share
                used += share
                col_left[c] = col_left.get(c, 0) - share
        row_left[k] = a - used
    for c in [c for c, left in col_left.items() if left < 0]:  # a guided column over its total
        excess = -col_left[c]
        for key in sorted((k for k in out if k[-1] == c), key=lambda k: (-out[k], k)):
            taken = min(out[key], excess)
            out[key] -= taken
            row_left[key[:-1]] += taken
            excess -= taken
            if not out[key]:
                del out[key]
            if not excess:
                break
        col_left[c] = 0
    rk = [k for k, _ in rows if row_left[k] > 0]
    ck = [c for c, _ in cols if col_left[c] > 0]
    rng.shuffle(rk)
    rng.shuffle(ck)
    if guide and capped:  # engaged views: the remainders along paths that keep every cell within its views
        _bounded_remainders(out, row_left, col_left, guide, rk)
        rk = [k for k in rk if row_left[k] > 0]
        ck = [c for c in ck if col_left[c] > 0]
    if guide:  # remainders first where the key's views went
        for k in rk:
            towards = guide.get(k) or {}
            for c in ck:
                room = row_left[k] if towards.get(c, 0) else 0
                moved = min(row_left[k], col_left[c], room)
                if moved > 0:
                    out[(*k, c)] = out.get((*k, c), 0) + moved
                    row_left[k] -= moved
                    col_left[c] -= moved
        rk = [k for k in rk if row_left[k] > 0]
        ck = [c for c in ck if col_left[c] > 0]
    i = j = 0
    while i < len(rk) and j < len(ck):
        moved = min(row_left[rk[i]], col_left[ck[j]])
        key = (*rk[i], ck[j])
        out[key] = out.get(key, 0) + moved
        row_left[rk[i]] -= moved
        col_left[ck[j]] -= moved
        if row_left[rk[i]] == 0:
            i += 1
        if col_left[ck[j]] == 0:
            j += 1
    return out


def _bounded_remainders(
    out: Table,
    row_left: dict[tuple[Any, ...], int],
    col_left: dict[Any, int],
    guide: Guide,
    rows: list[tuple[Any, ...]],
) -> None:
    """Place row and column remainders so that no cell exceeds its views (``guide``): the
    augmenting paths of a max-flow (Edmonds-Karp), which may move units already placed
    along the path; whatever no path can place is left for the caller."""
    by_col: dict[Any, set[tuple[Any, ...]]] = {}
    for key in out:
        by_col.setdefault(key[-1], set()).add(key[:-1])
    while True:
        starts = [k for k in rows if row_left[k] > 0]
        parent: dict[tuple[str, Any], tuple[str, Any] | None] = {("r", k): None for k in starts}
        queue = deque(("r", k) for k in starts)
        end = None
        while queue and end is None:
            side, node = queue.popleft()
            if side == "r":
                for c, views in guide.get(node, {}).items():
                    if views - out.get((*node, c), 0) > 0 and ("c", c) not in parent:
                        parent[("c", c)] = ("r", node)
                        if col_left.get(c, 0) > 0:
                            end = c
                            break
                        queue.append(("c", c))
            else:
                for k in sorted(by_col.get(node, ()), key=repr):
                    if out.get((*k, node), 0) > 0 and ("r", k) not in parent:
                        parent[("r", k)] = ("c", node)
                        queue.append(("r", k))
        if end is None:
            return
        path, node = [], ("c", end)
        while node is not None:
            path.append(node)
            node = parent[node]
        path.reverse()  # ("r", start), ("c", ...), ("r", ...), ..., ("c", end)
        amount = min(row_left[path[0][1]], col_left[end])
        for (s1, n1), (_, n2) in pairwise(path):
            if s1 == "r":
                amount = min(amount, guide[n1][n2] - out.get((*n1, n2), 0))
            else:
                amount = min(amount, out[(*n2, n1)])
        for (s1, n1), (_, n2) in pairwise(path):
            if s1 == "r":
                out[(*n1, n2)] = out.get((*n1, n2), 0) + amount
                by_col.setdefault(n2, set()).add(n1)
            else:
                out[(*n2, n1)] -= amount
        row_left[path[0][1]] -= amount
        col_left[end] -= amount


def split(table: Table, weights: Callable[[tuple[Any, ...]], dict[Any, float]], ctx: Context) -> Table:
    """Split each cell of ``table`` over a new dimension (largest remainder, exact per cell),
    by ``weights``, or where the key's views went when the context has a guide (a cell
    without views goes whole to its likeliest value: watch time is not scattered)."""
    out: Table = {}
    for key, value in table.items():
        towards = ctx.guide.get(key) if ctx.guide is not None else None
        if ctx.guide is not None and not towards:  # no views there: one value, the likeliest
            mix = weights(key)
            towards = {max(mix, key=lambda k: (mix[k], str(k))): 1}
        for value_key, part in allocate(value, towards or weights(key)).items():
            if part:
                out[(*key, value_key)] = part
    return out


# -- the steps a report's split is made of ------------------------------------------------
Step = Callable[[Table, Context], Table]


def _world_marginal(kind: str, codes: dict[str, int]) -> Step:
    """Join a dimension v2 answers (traffic source, device), with the world's split as the
    marginal: exact per video, day and metric."""

    def step(table: Table, ctx: Context) -> Table:
        marginal: dict[int, int] = {}
        for name, m in ctx.world.breakdown(kind, ctx.video, ctx.day, as_of=ctx.as_of).items():
            code = codes[name]
            marginal[code] = marginal.get(code, 0) + getattr(m, FIELDS[ctx.metric]) * SCALE.get(ctx.metric, 1)
        capped = ctx.metric == "engaged_views"
        return controlled_rounding(table, marginal, ctx.rng(kind, ctx.metric), ctx.guide, capped)

    return step


def _subscribed(table: Table, ctx: Context) -> Table:
    share = random.Random(_h(ctx.world.config.seed, "subscribed", ctx.video.channel_index)).uniform(0.15, 0.4)
    weights = ctx.mix("subscribed", {"subscribed": share, "not_subscribed": 1 - share})
    return split(table, lambda _key: weights, ctx)


def _operating_system(table: Table, ctx: Context) -> Table:
    by_device = {device: ctx.mix("os", systems, device) for device, systems in OPERATING_SYSTEMS.items()}
    return split(table, lambda key: by_device[key[-1]], ctx)


def _playback_location(table: Table, ctx: Context) -> Table:
    weights = ctx.mix("playback", PLAYBACK_LOCATIONS)
    return split(table, lambda _key: weights, ctx)


def _playback_detail(table: Table, ctx: Context) -> Table:
    """Only embedded views (type 1) name where they played: the embedding site."""
    sites = ctx.mix("embed", {f"https://{h}/": 1.0 for h in ("blog.example.com", "forum.example.net")})
    return split(table, lambda key: sites if key[-1] == 1 else {"": 1.0}, ctx)


def _traffic_detail(table: Table, ctx: Context) -> Table:
    """What each traffic source type names in ``traffic_source_detail`` (empty for most)."""
    world, video = ctx.world, ctx.video
    channel = world.channel(video.channel_index)
    topic = channel.title.split(" Lab")[0].lower()
    others = [v for v in ctx.neighbours if v != video.video_id][:6]
    playlist = "PL" + channel.channel_id[2:]
    options: dict[int, dict[str, float]] = {
        5: ctx.mix("search", {t.format(topic=topic): 1.0 for t in _SEARCH_TERMS}),
        7: ctx.mix("suggested", dict.fromkeys(others, 1.0)) if others else {"": 1.0},
        20: ctx.mix("endscreen", dict.fromkeys(others, 1.0)) if others else {"": 1.0},
        4: {channel.channel_id: 1.0},
        8: ctx.mix("other", {"unknown": 0.6, "offline": 0.3, "ytremote": 0.1}),
        9: ctx.mix("external", {"www.reddit.com": 0.4, "www.google.com": 0.4, "blog.example.com": 0.2}),
        14: ctx.mix("playlist", {playlist: 0.7, "my-likes": 0.3}),
        18: {playlist: 1.0},
        17: ctx.mix("notification", {"uploaded_push": 0.6, "inbox": 0.3, "sdig": 0.1}),
        24: {"unknown": 1.0},
    }
    return split(table, lambda key: options.get(key[-1], {"": 1.0}), ctx)


@cache
def _us_states() -> tuple[str, ...]:
    """ISO 3166-2 codes of the 50 states and DC (no outlying areas, as Google documents)."""
    import pycountry

    states = pycountry.subdivisions.get(country_code="US")
    return tuple(sorted(s.code for s in states if s.type in ("State", "District")))


def _province(table: Table, ctx: Context) -> Table:
    """US views by state; ``US-ZZ`` where the state could not be told. Other countries'
    views are not in this report."""
    weights = ctx.mix("province", dict.fromkeys(_us_states(), 1.0))
    weights["US-ZZ"] = sum(weights.values()) * 0.02
    return split({k: v for k, v in table.items() if k[_COUNTRY] == "US"}, lambda _key: weights, ctx)


def _sharing(table: Table, ctx: Context) -> Table:
    weights = ctx.mix("sharing", SHARING_SERVICES)
    return split(table, lambda _key: weights, ctx)


def _subtitles(table: Table, ctx: Context) -> Table:
    """The views watched mostly with captions, by the caption language and the language it
    was auto-translated into (empty when it was not); ``()`` for the views without
    captions, which this report leaves out."""
    captioned = random.Random(_h(ctx.world.config.seed, "captions", ctx.video.video_id)).uniform(0.02, 0.12)

    def weights(key: tuple[Any, ...]) -> dict[Any, float]:
        translated = _CAPTION_LANGUAGES.get(key[_COUNTRY])
        out: dict[Any, float] = {(): 1 - captioned, ("en", ""): captioned * (0.4 if translated else 1.0)}
        if translated:
            out[("en", translated)] = captioned * 0.6
        return out

    return split(table, weights, ctx)


@dataclass(frozen=True)
class Contents:
    """How a report type's rows are made: the world's metrics it carries and its steps."""

    metrics: tuple[str, ...]
    steps: tuple[Step, ...] = ()
    demographics: bool = False


M3 = ("views", "engaged_views", "watch_time_minutes")
CONTENTS: dict[str, Contents] = {
    "channel_basic_a3": Contents(tuple(FIELDS)),
    "channel_province_a3": Contents(M3, (_province,)),
    "channel_playback_location_a3": Contents(M3, (_playback_location, _playback_detail)),
    "channel_traffic_source_a3": Contents(M3, (_world_marginal("traffic", TRAFFIC_CODES), _traffic_detail)),
    "channel_device_os_a3": Contents(M3, (_world_marginal("device", DEVICE_CODES), _operating_system)),
    "channel_demographics_a1": Contents(("views",), demographics=True),
    "channel_sharing_service_a1": Contents(("shares",), (_sharing,)),
    "channel_subtitles_a3": Contents(M3, (_subtitles,)),
    "channel_combined_a3": Contents(
        M3,
        (
            _playback_location,
            _world_marginal("traffic", TRAFFIC_CODES),
            _world_marginal("device", DEVICE_CODES),
            _operating_system,
        ),
    ),
}


def _flat(key: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """A split's key as column values (a step may add two at once); None: not reported."""
    out: list[Any] = []
    for part in key:
        if part == ():
            return None
        out.extend(part if isinstance(part, tuple) else (part,))
    return tuple(out)


def rows(
    world: World,
    report_type: str,
    dimensions: tuple[str, ...],
    channel_index: int,
    day: date,
    as_of: date,
    threshold: int = 0,
) -> list[dict[str, Any]]:
    """The rows (column -> value, metrics the world models only) of one report of
    ``report_type`` for ``day``, generated on ``as_of``; unsorted as Google's are."""
    spec = CONTENTS[report_type]
    own = () if spec.demographics else dimensions[len(BASE_DIMENSIONS) + 3 :]  # what the steps add
    channel_id = world.channel(channel_index).channel_id
    steps = (_subscribed, *spec.steps)
    metrics = sorted(spec.metrics, key=lambda m: m != "views")  # views first: the others follow it
    merged: dict[tuple[Any, ...], dict[str, int]] = {}
    neighbours = tuple(v.video_id for v in world.videos_of(channel_index, day)[:7])
    for video in world.videos:
        if video.channel_index != channel_index or not video.exists_on(day):
            continue
        by_country = world.breakdown("country", video, day, as_of=as_of)
        if not by_country:
            continue
        video_id = "" if video.deleted_on is not None and video.deleted_on <= as_of else video.video_id
        views_after: list[Table] = []
        live_views: dict[str, dict[str, int]] = {}
        for metric in metrics:
            scale = SCALE.get(metric, 1)
            table = _live_or_on_demand(by_country, metric, scale, _live_share(world, video, day), live_views)
            for i, step in enumerate(steps):
                guide = guide_of(views_after[i]) if metric != "views" and views_after else None
                table = step(table, Context(world, video, day, metric, as_of, guide, neighbours))
                if metric == "views":
                    views_after.append(table)
            for key, value in table.items():
                flat = _flat(key)
                if value and flat is not None:
                    live, country, subscribed, *rest = flat
                    cell = merged.setdefault((video_id, live, subscribed, country, *rest), {})
                    cell[metric] = cell.get(metric, 0) + value
    out: list[dict[str, Any]] = []
    stamp = day.strftime("%Y%m%d")
    for key, figures in merged.items():
        row = {"date": stamp, "channel_id": channel_id, "video_id": key[0]}
        row.update(zip((*BASE_DIMENSIONS, *own), key[1:], strict=True))
        row.update({m: v / SCALE[m] if m in SCALE else v for m, v in figures.items()})
        out.append(row)
    if threshold:
        out = _anonymised(out, threshold, spec.metrics)
    if spec.demographics:
        out = _demographics(world, out, max(threshold, 1))
    random.Random(_h(world.config.seed, "order", report_type, channel_index, day, as_of)).shuffle(out)
    return out


def _live_share(world: World, video: Video, day: date) -> float:
    """The share of a day's views watched live: a live stream's views on its broadcast day
    (its publication day) are mostly live, the rest are its recording's; 0 for any other
    video or day."""
    if video.content_type != "LIVE_STREAM" or day != video.published_date:
        return 0.0
    return random.Random(_h(world.config.seed, "live", video.video_id)).uniform(0.45, 0.85)


def _live_or_on_demand(
    by_country: dict[str, Any], metric: str, scale: int, share: float, live_views: dict[str, dict[str, int]]
) -> Table:
    """A metric by (live_or_on_demand, country): views split by the live ``share`` (exact per
    country), every other metric where the views went (so a live cell without views has
    nothing else); ``live_views`` keeps the views' split for the metrics after them."""
    table: Table = {}
    for country, m in by_country.items():
        value = getattr(m, FIELDS[metric]) * scale
        if metric == "views":
            live_views[country] = allocate(value, {"live": share, "on_demand": 1 - share})
        views = live_views.get(country, {})
        weights = views if any(views.values()) else {"on_demand": 1}
        for live, part in allocate(value, weights).items():
            if part:
                table[(live, country)] = part
    return table


def _anonymised(
    rows_in: list[dict[str, Any]], threshold: int, metrics: Iterable[str]
) -> list[dict[str, Any]]:
    """Rows under the privacy threshold lose their detail values, aggregated into one row."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows_in:
        if row.get("views", 0) < threshold:
            row = {**row, **{c: "" for c in _DETAIL_COLUMNS if c in row}}
        key = tuple(v for k, v in row.items() if k not in FIELDS)
        kept = out.get(key)
        if kept is None:
            out[key] = dict(row)
        else:
            for m in metrics:
                kept[m] = kept.get(m, 0) + row.get(m, 0)
    return list(out.values())


def _demographics(world: World, rows_in: list[dict[str, Any]], threshold: int) -> list[dict[str, Any]]:
    """Each row with enough views becomes its viewers' shares by age group and gender (in
    percent, summing to 100); a row under the threshold is not reported (privacy)."""
    out = []
    for row in rows_in:
        views = row.pop("views", 0)
        if views < threshold:
            continue
        key = tuple(row[c] for c in ("video_id", "subscribed_status", "country_code", "date"))
        rng = random.Random(_h(world.config.seed, "demographics", *key))
        weights = {
            (a, g): wa * wg * rng.lognormvariate(0, 0.3)
            for a, wa in AGE_GROUPS.items()
            for g, wg in GENDERS.items()
        }
        total = sum(weights.values())
        for (age, gender), w in weights.items():
            out.append({**row, "age_group": age, "gender": gender, "views_percentage": 100 * w / total})
    return out


def number(value: Any) -> str:
    """A figure as Google writes it: integers bare, other values with up to 17 significant
    digits, 0 for zero."""
    if isinstance(value, float):
        if value == 0:
            return "0"
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def render(columns: tuple[str, ...], rows_in: list[dict[str, Any]], durations: dict[str, int]) -> bytes:
    """The CSV file: the header row, then one line per row (RFC 4180 quoting, CRLF-free)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows_in:
        views, minutes = row.get("views", 0), row.get("watch_time_minutes", 0)
        seconds = minutes * 60 / views if views else 0.0
        derived = {
            "average_view_duration_seconds": seconds,
            "average_view_duration_percentage": (
                100 * seconds / durations[row["video_id"]] if durations.get(row["video_id"]) else 0.0
            ),
        }
        values = (row[c] if c in row else derived.get(c, 0) for c in columns)
        writer.writerow([v if isinstance(v, str) else number(v) for v in values])
    return buf.getvalue().encode()

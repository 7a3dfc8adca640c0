"""A deterministic synthetic YouTube world: channels, videos and their daily lives.

Every figure is a pure function of (seed, parameters, entity, day), so the same seed gives
the same bytes, and the world is the ground truth the tests compare against. Days are
Pacific-time calendar days.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")

DEMO_CLIENT_ID = "ytlake-demo-client"
DEMO_CLIENT_SECRET = "ytlake-demo-secret"


def demo_refresh_token(channel_index: int = 1) -> str:
    """The demo refresh token of channel ``channel_index`` (1-based)."""
    base = "ytlake-demo-refresh-token"
    return base if channel_index == 1 else f"{base}-{channel_index}"


def pacific_today() -> date:
    return datetime.now(PACIFIC).date()


def _h(*key: object) -> int:
    """A stable 64-bit hash of ``key`` (Python's own hash is salted for strings)."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _rng(*key: object) -> random.Random:
    return random.Random(_h(*key))


_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

_TOPICS = [
    "Sourdough",
    "Home espresso",
    "Bike repair",
    "Budget travel",
    "Python tips",
    "Houseplants",
    "Trail running",
    "Film photography",
    "Synth patches",
    "Chess openings",
    "Woodworking",
    "Street food",
    "Guitar theory",
    "Night sky",
    "Pour-over",
    "Data pipelines",
]
_FORMATS = [
    "in 10 minutes",
    "for beginners",
    "- what nobody tells you",
    "explained",
    "vs the classics",
    "on a budget",
    "the honest review",
    "mistakes to avoid",
    "a week-long test",
    "Q&A",
]


#: insightTrafficSourceType values a channel's videos get, with their base share of views.
TRAFFIC_SOURCES: dict[str, float] = {
    "RELATED_VIDEO": 0.26,
    "YT_SEARCH": 0.22,
    "YT_OTHER_PAGE": 0.14,
    "SUBSCRIBER": 0.09,
    "EXT_URL": 0.06,
    "PLAYLIST": 0.05,
    "NO_LINK_OTHER": 0.05,
    "YT_CHANNEL": 0.04,
    "NOTIFICATION": 0.03,
    "END_SCREEN": 0.02,
    "SHORTS": 0.02,
    "HASHTAGS": 0.008,
    "YT_PLAYLIST_PAGE": 0.006,
    "NO_LINK_EMBEDDED": 0.004,
    "ADVERTISING": 0.002,
}
#: deviceType values with their base share of views.
DEVICE_TYPES: dict[str, float] = {
    "MOBILE": 0.56,
    "DESKTOP": 0.24,
    "TV": 0.13,
    "TABLET": 0.06,
    "GAME_CONSOLE": 0.007,
    "UNKNOWN_PLATFORM": 0.003,
}
#: adType values (the ad performance report) with their base share of ad impressions.
AD_TYPES: dict[str, float] = {
    "auctionTrueviewInstream": 0.38,
    "auctionInstream": 0.22,
    "auctionBumperInstream": 0.16,
    "auctionDisplay": 0.12,
    "reservedInstream": 0.06,
    "reservedBumperInstream": 0.03,
    "auctionUnknown": 0.02,
    "reservedMasthead": 0.01,
}
#: Viewers' age groups and genders (the Analytics API's values) with their base shares; the
#: Reporting API's files spell the same groups AGE_13_17 ... and FEMALE, MALE, GENDER_OTHER.
AGE_GROUPS: dict[str, float] = {
    "age13-17": 0.05,
    "age18-24": 0.18,
    "age25-34": 0.31,
    "age35-44": 0.21,
    "age45-54": 0.12,
    "age55-64": 0.08,
    "age65-": 0.05,
}
GENDERS: dict[str, float] = {"male": 0.68, "female": 0.31, "user_specified": 0.01}
#: Real ISO 3166-1 alpha-2 codes, most-watching first; shares fall off as a power law.
COUNTRIES: tuple[str, ...] = (
    "US",
    "IN",
    "GB",
    "DE",
    "CA",
    "BR",
    "AU",
    "FR",
    "PH",
    "ID",
    "MX",
    "NL",
    "ES",
    "IT",
    "PL",
    "SE",
    "JP",
    "KR",
    "TR",
    "ZA",
    "NG",
    "PK",
    "AR",
    "CO",
    "VN",
    "EG",
    "IE",
    "NZ",
    "SG",
    "MY",
    "CH",
    "AT",
    "BE",
    "DK",
    "NO",
    "FI",
    "PT",
    "CZ",
    "RO",
    "GR",
    "IL",
    "AE",
    "SA",
    "TH",
    "KE",
)


def allocate(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split ``total`` into integers proportional to ``weights`` that sum to ``total``
    exactly (largest remainder; ties broken by key, so the result is deterministic)."""
    if total <= 0 or not weights:
        return {k: 0 for k in weights}
    norm = sum(weights.values())
    raw = {k: total * w / norm for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    rest = total - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:rest]:
        out[k] += 1
    return out


def _make_id(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_ID_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class WorldConfig:
    seed: int = 42
    channels: int = 1
    videos: int = 60
    history_days: int = 120
    today: date = field(default_factory=pacific_today)
    #: The world's first day. Default: today - history_days. Pin it to see the same world
    #: on a later --today (the uploads and every daily figure are tied to absolute days).
    start: date | None = None
    latency_days: int = 2
    final_after_days: int = 4

    def __post_init__(self) -> None:
        if self.channels < 1 or self.videos < 0 or self.history_days < 1:
            raise ValueError("channels >= 1, videos >= 0 and history_days >= 1 are required")
        if self.final_after_days < self.latency_days:
            raise ValueError("final_after_days must be >= latency_days")
        if self.start is not None and self.start > self.today:
            raise ValueError(f"the world's start {self.start} is after its today {self.today}")


@dataclass(frozen=True)
class Video:
    video_id: str
    channel_index: int
    index: int
    title: str
    description: str
    tags: tuple[str, ...]
    category_id: str
    published_at: datetime  # UTC
    published_date: date  # Pacific day of publication
    duration_seconds: int
    popularity: float  # expected day-1 views
    decay_days: float
    evergreen: float  # long-tail share of day-1 views
    like_rate: float
    comment_rate: float
    sub_rate: float
    watch_fraction: float
    privacy_status: str
    likes_hidden: bool
    deleted_on: date | None
    late_spike_day: int | None
    retitled_on: date | None = None  # the creator changed the title (and tags) that day
    #: YouTube's own format of the video, the Analytics dimension ``creatorContentType``:
    #: SHORTS, LIVE_STREAM or VIDEO_ON_DEMAND. Not the duration's verdict: a three-minute
    #: horizontal upload is VIDEO_ON_DEMAND, a live stream's recording is LIVE_STREAM.
    content_type: str = "VIDEO_ON_DEMAND"

    def title_on(self, day: date) -> str:
        return f"{self.title} (updated)" if self.retitled_on and day >= self.retitled_on else self.title

    def tags_on(self, day: date) -> tuple[str, ...]:
        if self.retitled_on and day >= self.retitled_on:
            return tuple(sorted({*self.tags, "updated"}))
        return self.tags

    @property
    def duration_iso(self) -> str:
        s = self.duration_seconds
        h, rem = divmod(s, 3600)
        m, sec = divmod(rem, 60)
        out = "PT"
        if h:
            out += f"{h}H"
        if m:
            out += f"{m}M"
        if sec or out == "PT":
            out += f"{sec}S"
        return out

    def exists_on(self, day: date) -> bool:
        return self.published_date <= day and (self.deleted_on is None or day < self.deleted_on)


@dataclass(frozen=True)
class Channel:
    channel_id: str
    index: int  # 1-based
    title: str
    description: str
    custom_url: str
    published_at: datetime
    country: str

    @property
    def uploads_playlist_id(self) -> str:
        return "UU" + self.channel_id[2:]


@dataclass(frozen=True)
class DayMetrics:
    views: int
    estimated_minutes_watched: int
    likes: int
    comments: int
    shares: int
    subscribers_gained: int
    subscribers_lost: int
    #: Views under YouTube's older "engaged" definition (``engagedViews``); since 2025 ``views``
    #: counts every start (Shorts first, then all formats), so engaged views <= views.
    engaged_views: int = 0
    #: Times the video was added to a playlist, and removed from one (videosAddedToPlaylists,
    #: videosRemovedFromPlaylists).
    playlist_adds: int = 0
    playlist_removals: int = 0
    #: Revenue (a partner channel's): playbacks that showed an ad, ad impressions, and money in
    #: micros of the channel's currency (exact integers, so sums over days and videos add up).
    monetized_playbacks: int = 0
    ad_impressions: int = 0
    gross_revenue_micros: int = 0  # what advertisers paid (grossRevenue)
    ad_revenue_micros: int = 0  # the creator's share of it (estimatedAdRevenue)
    estimated_revenue_micros: int = 0  # ad revenue plus YouTube Premium revenue (estimatedRevenue)

    @property
    def premium_revenue_micros(self) -> int:  # estimatedRedPartnerRevenue
        return self.estimated_revenue_micros - self.ad_revenue_micros

    @property
    def cpm_micros(self) -> float:  # gross revenue per thousand ad impressions
        return self.gross_revenue_micros * 1000 / self.ad_impressions if self.ad_impressions else 0.0

    @property
    def playback_based_cpm_micros(self) -> float:  # gross revenue per thousand monetized playbacks
        return (
            self.gross_revenue_micros * 1000 / self.monetized_playbacks if self.monetized_playbacks else 0.0
        )

    @property
    def average_view_duration(self) -> int:
        # watch time over views, to the nearest second (halves up, as SQL's round)
        if not self.views:
            return 0
        return (2 * self.estimated_minutes_watched * 60 + self.views) // (2 * self.views)

    def __add__(self, other: DayMetrics) -> DayMetrics:
        return DayMetrics(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, ...]:
        return (
            self.views,
            self.estimated_minutes_watched,
            self.likes,
            self.comments,
            self.shares,
            self.subscribers_gained,
            self.subscribers_lost,
            self.engaged_views,
            self.playlist_adds,
            self.playlist_removals,
            *self.revenue_tuple(),
        )

    def revenue_tuple(self) -> tuple[int, ...]:
        return (
            self.monetized_playbacks,
            self.ad_impressions,
            self.gross_revenue_micros,
            self.ad_revenue_micros,
            self.estimated_revenue_micros,
        )


ZERO = DayMetrics(0, 0, 0, 0, 0, 0, 0, 0)
#: Where engaged views are in ``as_tuple`` (split along the views in a breakdown).
_ENGAGED = 7
#: Breakdowns that carry revenue: the reports whose query accepts revenue metrics.
REVENUE_BREAKDOWNS = frozenset({"country", "ad_type"})
#: How many of ``as_tuple``'s figures are revenue (its last ones).
_REVENUE_FIGURES = 5


class World:
    """The ground truth of the emulator."""

    def __init__(self, config: WorldConfig | None = None) -> None:
        self.config = config or WorldConfig()

    # -- entities ---------------------------------------------------------------
    @property
    def today(self) -> date:
        return self.config.today

    @property
    def start(self) -> date:
        """The first day of the world's history (pinned, or today - history_days)."""
        return self.config.start or self.config.today - timedelta(days=self.config.history_days)

    @property
    def history_end(self) -> date:
        """The last day of the upload schedule (uploads stop there when --today is later)."""
        return self.start + timedelta(days=self.config.history_days)

    @cached_property
    def channels(self) -> list[Channel]:
        out = []
        for i in range(1, self.config.channels + 1):
            rng = _rng(self.config.seed, "channel", i)
            topic = rng.choice(_TOPICS)
            cid = "UC" + _make_id(rng, 22)
            created = datetime.combine(
                self.start - timedelta(days=rng.randint(30, 2000)),
                time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)),
                tzinfo=UTC,
            )
            out.append(
                Channel(
                    channel_id=cid,
                    index=i,
                    title=f"{topic} Lab {i}",
                    description=f"Weekly videos about {topic.lower()}.",
                    custom_url=f"@{topic.lower().replace(' ', '').replace('-', '')}lab{i}",
                    published_at=created,
                    country=rng.choice(["US", "GB", "DE", "CA", "AU", "IN"]),
                )
            )
        return out

    @cached_property
    def videos(self) -> list[Video]:
        out = []
        for ch in self.channels:
            made = [self._make_video(ch, j) for j in range(self.config.videos)]
            out.extend(self._with_every_case(made))
        return out

    def _with_every_case(self, videos: list[Video]) -> list[Video]:
        """Make sure a channel of 5+ videos has a private one, one with hidden likes and one
        deleted (in its past), whatever the seed drew."""
        if len(videos) < 5:
            return videos
        videos = list(videos)
        old = [i for i, v in enumerate(videos) if (self.history_end - v.published_date).days > 6]
        if old and not any(v.deleted_on for v in videos):
            i = old[len(old) // 2]
            life = (self.history_end - videos[i].published_date).days
            videos[i] = replace(
                videos[i], deleted_on=videos[i].published_date + timedelta(days=max(3, life // 2))
            )
        if not any(v.privacy_status == "private" and not v.deleted_on for v in videos):
            i = next(i for i in range(len(videos) - 1, -1, -1) if not videos[i].deleted_on)
            videos[i] = replace(videos[i], privacy_status="private")
        if not any(v.likes_hidden and not v.deleted_on for v in videos):
            i = next(
                i
                for i in range(len(videos))
                if not videos[i].deleted_on and videos[i].privacy_status == "public"
            )
            videos[i] = replace(videos[i], likes_hidden=True)
        return videos

    def _make_video(self, ch: Channel, j: int) -> Video:
        cfg = self.config
        rng = _rng(cfg.seed, "video", ch.index, j)
        # Spread publication over the history, oldest first, a little jitter.
        span = cfg.history_days
        offset = int((j + rng.random() * 0.8) * span / max(cfg.videos, 1))
        published_date = self.start + timedelta(days=min(offset, span))
        local = datetime.combine(
            published_date,
            time(rng.choice([9, 12, 15, 17]), rng.randint(0, 59), rng.randint(0, 59)),
            tzinfo=PACIFIC,
        )
        topic = ch.title.split(" Lab")[0]
        title = f"{topic} {rng.choice(_FORMATS)} #{j + 1}"
        roll = rng.random()
        privacy = "private" if roll < 0.04 else ("unlisted" if roll < 0.08 else "public")
        deleted_on = None
        if rng.random() < 0.05:
            life = (self.history_end - published_date).days
            if life > 3:
                deleted_on = published_date + timedelta(days=rng.randint(2, life - 1))
        # the format from a stream of its own (other videos' draws stay those of a world without
        # formats): about one upload in four a Short (15 s to 3 min), one in fifteen a
        # live stream's recording (40 min to 3 h)
        form = _rng(cfg.seed, "format", ch.index, j)
        roll = form.random()
        content_type, duration = "VIDEO_ON_DEMAND", None
        if roll < 0.25:
            content_type, duration = "SHORTS", form.randint(15, 180)
        elif roll < 0.32:
            content_type, duration = "LIVE_STREAM", form.randint(2400, 10800)
        return Video(
            video_id=_make_id(rng, 11),
            channel_index=ch.index,
            index=j,
            title=title,
            description=f"{title}. Chapters, links and notes below.",
            tags=tuple(
                sorted(
                    rng.sample(
                        [topic.lower(), "tutorial", "howto", "review", "diy", "tips"], k=rng.randint(0, 4)
                    )
                )
            ),
            category_id=rng.choice(["22", "26", "27", "28"]),
            published_at=local.astimezone(UTC),
            published_date=published_date,
            duration_seconds=duration or rng.randint(90, 2400),
            popularity=rng.lognormvariate(math.log(400), 0.9),
            decay_days=rng.uniform(1.5, 5.0),
            evergreen=rng.uniform(0.01, 0.06),
            like_rate=rng.uniform(0.02, 0.06),
            comment_rate=rng.uniform(0.002, 0.01),
            sub_rate=rng.uniform(0.004, 0.02),
            watch_fraction=rng.uniform(0.3, 0.65),
            privacy_status=privacy,
            likes_hidden=rng.random() < 0.08,
            deleted_on=deleted_on,
            late_spike_day=rng.randint(10, 80) if rng.random() < 0.15 else None,
            retitled_on=self._retitle_day(rng, published_date),
            content_type=content_type,
        )

    def _retitle_day(self, rng: random.Random, published: date) -> date | None:
        """About one video in eight gets a new title some days after publication."""
        if rng.random() >= 0.125:
            return None
        return published + timedelta(days=rng.randint(3, 30))

    def has_uploads(self, channel_index: int) -> bool:
        """Whether the channel ever uploaded (a channel that never did has no uploads playlist)."""
        return any(v.channel_index == channel_index for v in self.videos)

    def channel(self, index: int = 1) -> Channel:
        return self.channels[index - 1]

    def channel_by_id(self, channel_id: str) -> Channel | None:
        return next((c for c in self.channels if c.channel_id == channel_id), None)

    def videos_of(self, channel_index: int, on: date | None = None) -> list[Video]:
        """The videos visible (published, not deleted) on ``on`` (default today), newest first."""
        day = on or self.today
        vids = [v for v in self.videos if v.channel_index == channel_index and v.exists_on(day)]
        return sorted(vids, key=lambda v: (v.published_at, v.video_id), reverse=True)

    @cached_property
    def _videos_by_id(self) -> dict[str, Video]:
        return {v.video_id: v for v in self.videos}

    def video(self, video_id: str) -> Video | None:
        return self._videos_by_id.get(video_id)

    # -- daily figures (final values) -----------------------------------------------
    def video_day(self, video: Video, day: date) -> DayMetrics:
        """The final figures of ``video`` on Pacific day ``day``."""
        key = (video.video_id, day)
        cached = self._day_cache.get(key)
        if cached is None:
            cached = self._video_day(video, day)
            if len(self._day_cache) > 500_000:
                self._day_cache.clear()
            self._day_cache[key] = cached
        return cached

    @cached_property
    def _day_cache(self) -> dict[tuple[str, date], DayMetrics]:
        return {}

    def _video_day(self, video: Video, day: date) -> DayMetrics:
        if day < video.published_date or (video.deleted_on is not None and day >= video.deleted_on):
            return ZERO
        age = (day - video.published_date).days
        rng = _rng(self.config.seed, "vday", video.video_id, day.toordinal())
        curve = math.exp(-age / video.decay_days) + video.evergreen
        if video.late_spike_day is not None and age >= video.late_spike_day:
            curve += 0.4 * math.exp(-(age - video.late_spike_day) / 3.0)
        weekly = (1.0, 0.95, 0.93, 0.97, 1.05, 1.22, 1.28)[day.weekday()]
        expected = video.popularity * curve * weekly * rng.lognormvariate(0.0, 0.15)
        if video.privacy_status == "private":
            expected *= 0.02
        views = int(expected + rng.random())
        minutes = int(views * video.duration_seconds * video.watch_fraction * rng.uniform(0.85, 1.15) / 60)
        likes = int(views * video.like_rate + rng.random())
        comments = int(views * video.comment_rate + rng.random())
        shares = int(views * 0.004 + rng.random())
        gained = int(views * video.sub_rate + rng.random())
        lost = int(gained * rng.uniform(0.05, 0.3) + rng.random() * 0.5)
        # drawn last, so every figure drawn before it is what it was before engagedViews existed
        engaged = int(views * rng.uniform(0.55, 0.92))
        adds, removals = self._playlists(video, day, views)
        revenue = self._revenue(video, day, views)
        return DayMetrics(
            views, minutes, likes, comments, shares, gained, lost, engaged, adds, removals, *revenue
        )

    def _playlists(self, video: Video, day: date, views: int) -> tuple[int, int]:
        """Playlist adds (0.2-1% of views, the video's own rate) and removals (10-40% of the
        adds), from a random stream of their own."""
        rate = _rng(self.config.seed, "playlist-rate", video.video_id).uniform(0.002, 0.01)
        rng = _rng(self.config.seed, "playlists", video.video_id, day.toordinal())
        adds = int(views * rate + rng.random())
        return adds, int(adds * rng.uniform(0.1, 0.4) + rng.random() * 0.5)

    def _revenue(self, video: Video, day: date, views: int) -> tuple[int, int, int, int, int]:
        """A day's revenue: about half the views show ads, 1.1-1.6 impressions each, a CPM
        of the video's ($2-$14, a little daily noise); the creator keeps 55% of the ad money,
        plus Premium revenue (about $0.4 per thousand views). Its own random stream, so the
        other figures of the day do not depend on it."""
        if views == 0 or video.privacy_status == "private":
            return (0, 0, 0, 0, 0)
        vrng = _rng(self.config.seed, "rates", video.video_id)
        rng = _rng(self.config.seed, "revenue", video.video_id, day.toordinal())
        monetized = int(views * vrng.uniform(0.35, 0.6) * rng.uniform(0.9, 1.1))
        impressions = int(monetized * rng.uniform(1.1, 1.6))
        cpm_micros = vrng.uniform(2.0, 14.0) * rng.uniform(0.85, 1.15) * 1_000_000
        gross = int(impressions * cpm_micros / 1000)
        ad_revenue = gross * 55 // 100
        premium = int(views * rng.uniform(0.2, 0.6) * 1000)  # $0.0002-0.0006 a view
        return (monetized, impressions, gross, ad_revenue, ad_revenue + premium)

    def channel_day(self, channel_index: int, day: date) -> DayMetrics:
        """Channel totals: every video, deleted ones included (their past views stay)."""
        total = ZERO
        for v in self.videos:
            if v.channel_index == channel_index:
                total = total + self.video_day(v, day)
        return total

    # -- what an API call sees on a given day --------------------------------------
    @property
    def available_through(self) -> date:
        """The last Pacific day Analytics has data for (today minus the latency)."""
        return self.today - timedelta(days=self.config.latency_days)

    def restatement_factor(self, day: date, as_of: date | None = None) -> float:
        """Provisional days report a share of their final figures; final days report 1.0.

        ``as_of``: the day the figures are read (default today): a bulk report generated on
        an earlier day keeps the figures of that day."""
        age = ((as_of or self.today) - day).days
        if age >= self.config.final_after_days:
            return 1.0
        steps = self.config.final_after_days - age  # 1 .. final-latency
        return 1.0 - 0.04 * steps

    def observed(self, metrics: DayMetrics, day: date, as_of: date | None = None) -> DayMetrics:
        """``metrics`` as reported today (or ``as_of``): provisional days are scaled down,
        final days exact."""
        f = self.restatement_factor(day, as_of)
        if f == 1.0:
            return metrics
        return DayMetrics(*(int(x * f) for x in metrics.as_tuple()))

    def observed_video_day(self, video: Video, day: date, as_of: date | None = None) -> DayMetrics:
        return self.observed(self.video_day(video, day), day, as_of)

    def observed_channel_day(self, channel_index: int, day: date) -> DayMetrics:
        """Channel totals as reported today: the sum of the videos' reported figures."""
        key = ("channel", channel_index, day)
        cached = self._agg_cache.get(key)
        if cached is None:
            cached = ZERO
            for v in self.videos:
                if v.channel_index == channel_index:
                    cached = cached + self.observed_video_day(v, day)
            self._agg_cache[key] = cached
        return cached

    def channel_breakdown(self, kind: str, channel_index: int, day: date) -> dict[str, DayMetrics]:
        """The channel's reported figures on ``day`` split by ``kind``: the sum over its videos."""
        key = (kind, channel_index, day)
        cached = self._agg_cache.get(key)
        if cached is None:
            cached = {}
            for v in self.videos:
                if v.channel_index == channel_index:
                    for category, m in self.breakdown(kind, v, day).items():
                        cached[category] = cached.get(category, ZERO) + m
            self._agg_cache[key] = cached
        return cached

    @cached_property
    def _agg_cache(self) -> dict[tuple[object, ...], object]:
        return {}

    def lifetime(self, video: Video) -> DayMetrics:
        """Lifetime counters as the Data API shows them today (includes today's partial day)."""
        cached = self._lifetimes.get(video.video_id)
        if cached is not None:
            return cached
        total = ZERO
        day = video.published_date
        while day <= self.today:
            total = total + self.video_day(video, day)
            day += timedelta(days=1)
        self._lifetimes[video.video_id] = total
        return total

    @cached_property
    def _lifetimes(self) -> dict[str, DayMetrics]:
        return {}

    def retention(self, video: Video) -> list[tuple[float, float, float]]:
        """The video's audience retention: (elapsedVideoTimeRatio, audienceWatchRatio,
        relativeRetentionPerformance) at 100 points. The curve falls off exponentially so that
        its mean is the share of the video a view watches (``watch_fraction``), with an intro
        drop and a little noise; the relative performance (0-1, against videos of the same
        length) follows how that share compares with the typical one."""
        wf = video.watch_fraction
        lo, hi = 1e-6, 50.0  # solve (1 - e^-b) / b = wf for the decay b
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if (1 - math.exp(-mid)) / mid > wf else (lo, mid)
        decay = (lo + hi) / 2
        rng = _rng(self.config.seed, "retention", video.video_id)
        out = []
        for i in range(1, 101):
            x = i / 100
            watch = math.exp(-decay * x) * (1.0 - 0.08 * math.exp(-x * 40)) * rng.uniform(0.97, 1.03)
            relative = min(1.0, max(0.0, 0.5 + (wf - 0.475) * 2.5 + rng.uniform(-0.05, 0.05)))
            out.append((round(x, 2), round(watch, 4), round(relative, 4)))
        return out

    def viewers(self, video: Video, day: date) -> dict[tuple[str, str], float]:
        """The shares (summing to 1) of a video's viewers on ``day`` by (ageGroup, gender): a
        stable per-video audience with a little daily noise."""
        vrng = _rng(self.config.seed, "viewers", video.video_id)
        drng = _rng(self.config.seed, "viewersday", video.video_id, day.toordinal())
        weights = {
            (age, gender): wa * wg * vrng.lognormvariate(0, 0.3) * drng.lognormvariate(0, 0.1)
            for age, wa in AGE_GROUPS.items()
            for gender, wg in GENDERS.items()
        }
        total = sum(weights.values())
        return {cell: w / total for cell, w in weights.items()}

    # -- breakdowns ------------------------------------------------------------------
    def _mix(self, kind: str, video: Video, day: date) -> dict[str, float]:
        """Today's weights of a breakdown for a video: a stable per-video mix with daily noise."""
        vrng = _rng(self.config.seed, "mix", kind, video.video_id)
        drng = _rng(self.config.seed, "mixday", kind, video.video_id, day.toordinal())
        if kind == "traffic":
            age = (day - video.published_date).days
            base = dict(TRAFFIC_SOURCES)
            if age < 3:  # launch days: subscribers and notifications bring more
                base["SUBSCRIBER"] *= 3.0
                base["NOTIFICATION"] *= 3.0
        elif kind == "device":
            base = dict(DEVICE_TYPES)
        elif kind == "ad_type":
            base = dict(AD_TYPES)
        else:
            home = self.channel(video.channel_index).country
            order = [home, *[c for c in COUNTRIES if c != home]]
            base = {c: 1.0 / (rank + 1) ** 1.4 for rank, c in enumerate(order)}
        return {k: w * vrng.lognormvariate(0, 0.35) * drng.lognormvariate(0, 0.1) for k, w in base.items()}

    def breakdown(
        self, kind: str, video: Video, day: date, observed: bool = True, as_of: date | None = None
    ) -> dict[str, DayMetrics]:
        """A video's figures on ``day`` (as reported today, or ``as_of``) split by ``kind``
        (traffic, device, country or ad_type; revenue only where a report answers it).

        Every metric is allocated with the same weights, so each metric sums exactly to the
        video's figure for the day; engaged views follow the views' split (never more than the
        views of a category); categories where every figure is 0 are left out.
        """
        metrics = self.observed_video_day(video, day, as_of) if observed else self.video_day(video, day)
        if metrics.views == 0 and metrics.estimated_minutes_watched == 0:
            return {}
        weights = self._mix(kind, video, day)
        values = metrics.as_tuple()
        if kind not in REVENUE_BREAKDOWNS:  # no report of this breakdown answers revenue
            values = values[:-_REVENUE_FIGURES]
        columns = [allocate(value, weights) for value in values]
        # engaged views, playlist adds and removals and revenue come with views: split along
        # them (along the watch time on a day whose views a restatement scaled to 0), never
        # onto a category without either
        along = {k: float(v) for k, v in columns[0 if metrics.views else 1].items() if v}
        if along:
            for i in range(_ENGAGED, len(values)):
                split = allocate(values[i], along)
                columns[i] = {k: split.get(k, 0) for k in weights}
        out = {}
        for key in weights:
            values = tuple(col[key] for col in columns)
            if any(values):
                out[key] = DayMetrics(*values)
        return out

"""The demo world looks like a real channel, measurably."""

from datetime import timedelta

from ytlake.emulator.world import COUNTRIES, TRAFFIC_SOURCES, World, WorldConfig

WORLD = World(
    WorldConfig(seed=42, videos=60, history_days=240, today=__import__("datetime").date(2026, 6, 1))
)


def test_most_videos_earn_a_large_share_of_their_first_90_days_in_week_one():
    shares = []
    for v in WORLD.videos:
        if (v.deleted_on or WORLD.today) - v.published_date < timedelta(days=90):
            continue
        days = [WORLD.video_day(v, v.published_date + timedelta(days=i)).views for i in range(90)]
        if sum(days):
            shares.append(sum(days[:7]) / sum(days))
    assert len(shares) >= 20
    assert sorted(shares)[len(shares) // 2] >= 0.4  # median video: 40 %+ of 90 days in week one
    assert sum(s >= 0.3 for s in shares) / len(shares) >= 0.75


def test_a_weekly_cycle_is_visible_in_channel_views():
    by_weekday = [0] * 7
    day = WORLD.start + timedelta(days=60)
    while day <= WORLD.today:
        by_weekday[day.weekday()] += WORLD.channel_day(1, day).views
        day += timedelta(days=1)
    weekend = (by_weekday[5] + by_weekday[6]) / 2
    midweek = sum(by_weekday[1:4]) / 3
    assert weekend > 1.15 * midweek


def test_the_country_mix_is_heavy_tailed():
    totals: dict[str, int] = {}
    day = WORLD.today - timedelta(days=30)
    while day < WORLD.today:
        for v in WORLD.videos:
            for country, m in WORLD.breakdown("country", v, day, observed=False).items():
                totals[country] = totals.get(country, 0) + m.views
        day += timedelta(days=1)
    ranked = sorted(totals.values(), reverse=True)
    assert set(totals) <= set(COUNTRIES)
    assert sum(ranked[:5]) / sum(ranked) >= 0.5  # a handful of countries carry most views
    assert len(totals) >= 20  # and a long tail of others


def test_breakdowns_sum_exactly_for_every_metric():
    for v in WORLD.videos[:20]:
        day = v.published_date + timedelta(days=3)
        total = WORLD.video_day(v, day)
        for kind in ("traffic", "device", "country"):
            parts = WORLD.breakdown(kind, v, day, observed=False)
            for i, value in enumerate(total.as_tuple()):
                assert sum(m.as_tuple()[i] for m in parts.values()) == value, (kind, i)
            if kind == "traffic":
                assert set(parts) <= set(TRAFFIC_SOURCES)


def test_watch_time_is_consistent_with_duration():
    for v in WORLD.videos[:30]:
        m = WORLD.video_day(v, v.published_date)
        if m.views > 50:
            assert 0.2 * v.duration_seconds <= m.average_view_duration <= 0.8 * v.duration_seconds


def test_private_hidden_likes_and_deleted_videos_exist():
    assert any(v.privacy_status == "private" for v in WORLD.videos)
    assert any(v.likes_hidden for v in WORLD.videos)
    assert any(v.deleted_on for v in WORLD.videos)

"""The demo world looks like a real channel, measurably."""

from datetime import timedelta

from ytlake.emulator.world import COUNTRIES, REVENUE_BREAKDOWNS, TRAFFIC_SOURCES, World, WorldConfig

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
        for kind in ("traffic", "device", "country", "ad_type"):
            parts = WORLD.breakdown(kind, v, day, observed=False)
            summed = [sum(column) for column in zip(*(m.as_tuple() for m in parts.values()), strict=True)]
            revenue = len(total.revenue_tuple())
            if kind in REVENUE_BREAKDOWNS:  # revenue splits too, exactly
                assert summed == list(total.as_tuple()), kind
            else:  # no report of these answers revenue: the split leaves it out
                assert summed[:-revenue] == list(total.as_tuple()[:-revenue]), kind
                assert summed[-revenue:] == [0] * revenue, kind
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


def test_revenue_is_plausible_and_consistent():
    """A partner channel's money: ads on about half the views, the creator's 55% share of
    what advertisers paid, Premium revenue on top, CPMs of a few dollars; private videos earn
    nothing."""
    days = seen = 0
    for v in WORLD.videos:
        for offset in (0, 5, 30):
            m = WORLD.video_day(v, v.published_date + timedelta(days=offset))
            if not m.views:
                continue
            days += 1
            if v.privacy_status == "private":
                assert m.revenue_tuple() == (0, 0, 0, 0, 0)
                continue
            assert m.monetized_playbacks <= m.views
            assert m.monetized_playbacks > 0 or m.views < 5
            assert m.monetized_playbacks <= m.ad_impressions or m.monetized_playbacks < 2
            assert m.ad_revenue_micros == m.gross_revenue_micros * 55 // 100
            assert m.estimated_revenue_micros >= m.ad_revenue_micros
            if m.ad_impressions >= 100:
                seen += 1
                assert 1.5e6 <= m.cpm_micros <= 17e6  # $1.5-$17 per thousand impressions
    assert days > 50 and seen > 20

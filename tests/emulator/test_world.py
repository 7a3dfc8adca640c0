from datetime import timedelta

from ytlake.emulator.world import World

from ..conftest import tiny_world_config


def test_channel_totals_are_the_sum_of_all_videos_deleted_ones_included():
    world = World(tiny_world_config(videos=30, history_days=60, seed=11))
    assert any(v.deleted_on for v in world.videos), "the seed should delete at least one video"
    day = world.today - timedelta(days=5)
    total = world.channel_day(1, day)
    assert total.views == sum(world.video_day(v, day).views for v in world.videos)
    observed = world.observed_channel_day(1, day)
    assert observed.views == sum(world.observed_video_day(v, day).views for v in world.videos)


def test_no_views_before_publication_or_after_deletion():
    world = World(tiny_world_config(videos=30, history_days=60, seed=11))
    for v in world.videos:
        assert world.video_day(v, v.published_date - timedelta(days=1)).views == 0
        if v.deleted_on:
            assert world.video_day(v, v.deleted_on).views == 0


def test_recent_days_are_provisional_then_final():
    world = World(tiny_world_config())
    recent = world.today - timedelta(days=2)
    old = world.today - timedelta(days=10)
    assert world.restatement_factor(recent) < 1.0
    assert world.restatement_factor(old) == 1.0
    later = World(tiny_world_config(today=world.today + timedelta(days=5)))
    v = world.videos[0]
    assert later.observed_video_day(v, recent) == later.video_day(v, recent)


def test_the_same_seed_gives_the_same_world():
    a, b = World(tiny_world_config()), World(tiny_world_config())
    assert [v.video_id for v in a.videos] == [v.video_id for v in b.videos]
    assert a.video_day(a.videos[0], a.today) == b.video_day(b.videos[0], b.today)
    c = World(tiny_world_config(seed=8))
    assert [v.video_id for v in a.videos] != [v.video_id for v in c.videos]

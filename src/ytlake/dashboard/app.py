"""The YouTube Analytics dashboard (Streamlit). Reads Gold only.

Run it with `ytlake dashboard` (locally, loopback) or as the Databricks App of the bundle.
"""

from __future__ import annotations

import json
import statistics
from datetime import timedelta
from typing import NoReturn

import plotly.express as px
import streamlit as st

from ytlake.dashboard import data

PROVISIONAL_DAYS = 4  # Google restates the last days for about this long

st.set_page_config(page_title="YouTube Analytics", page_icon="▶", layout="wide")
reader = data.reader_from_env()


def unavailable(err: data.Unavailable) -> NoReturn:
    """Show the one sentence that says why there is no data (busy, no lakehouse, no Gold,
    an unreadable file) in place of the page, and stop."""
    main.info(str(err))
    st.stop()


def run_banner() -> str | None:
    """A banner when the latest run did not succeed: its status, when, and why in short. The
    pages then show what the runs before it built. Returns the status (None: no banner)."""
    run = data.last_run(reader)
    if not run or run["run_status"] == "SUCCEEDED":
        return None
    status = run["run_status"]
    when = f"{(run['finished_ts_utc'] or run['started_ts_utc']):%Y-%m-%d %H:%M} UTC"
    if status == "RUNNING":
        st.info(
            f"A run ({run['run_id']}) has been running since {when}: these pages show the runs before it."
        )
        return status
    try:
        summary = json.loads(run["summary"] or "{}")
    except ValueError:
        summary = {}
    why = (
        ", ".join(summary.get("failed_tasks") or [])
        or "; ".join(summary.get("partial") or [])
        or str(summary.get("aborted") or "")
    )
    text = (
        f"The last run ({run['run_id']}) ended {status} at {when}"
        + (f": {why}" if why else "")
        + ". What earlier runs built is shown, if any; `ytlake runs` and the run's log say more."
    )
    (st.error if status in ("FAILED", "ABORTED") else st.warning)(text)
    return status


last_status = run_banner()
main = st.empty()  # the page; replaced by one sentence when the data cannot be shown
try:
    channel_names = data.channels(reader)
except data.Unavailable as err:
    unavailable(err)

st.sidebar.title("YouTube Analytics")
channel_id = None
if len(channel_names) > 1:  # several channels: pick one, or see them all side by side
    picked_channel = st.sidebar.selectbox(
        "Channel", ["All channels", *channel_names], format_func=lambda c: channel_names.get(c, c)
    )
    if picked_channel != "All channels":
        channel_id = picked_channel
        reader = data.ChannelScoped(reader, channel_id)
try:
    first_day, last_day = data.date_bounds(reader)
except data.Unavailable as err:
    unavailable(err)

page = st.sidebar.radio(
    "Page", ["Overview", "Content", "Audience", "Reach", "Engagement", "Geography", "Devices", "Revenue"]
)
if first_day is None:
    main.warning(
        f"Gold is empty: the last run ended {last_status} (above); fix what it names and run "
        "`ytlake run` again."
        if last_status in ("FAILED", "ABORTED", "PARTIAL")
        else "Gold is empty: run `ytlake run` first."
    )
    st.stop()
default_first = max(first_day, last_day - timedelta(days=27))
picked = st.sidebar.date_input(
    "Date range (Pacific days)", (default_first, last_day), min_value=first_day, max_value=last_day
)
first, last = picked if isinstance(picked, tuple) and len(picked) == 2 else (default_first, last_day)
try:
    videos = data.top_videos(reader, first_day, last_day, limit=500)
except data.Unavailable as err:
    unavailable(err)
video_names = {v["video_id"]: f"{v['video_title'] or v['video_id']}" for v in videos}
video_filter = st.sidebar.selectbox(
    "Video", ["All videos", *video_names], format_func=lambda v: video_names.get(v, v)
)
video_id = None if video_filter == "All videos" else video_filter
st.sidebar.caption(f"Data through {last_day}; the last {PROVISIONAL_DAYS} days are provisional.")


def provisional(day) -> bool:
    return day > last_day - timedelta(days=PROVISIONAL_DAYS)


DAY_MS = 86_400_000


def numbers(*columns: str) -> dict:
    """A table's numeric columns shown with thousands separators: the values stay numbers,
    so a click on the header sorts by value."""
    return {c: st.column_config.NumberColumn(format="localized") for c in columns}


TOP_SOURCES = 8  # traffic sources drawn by name; the rest are "Other"
#: A fixed colour per traffic source id (Google's documented ids, in their order): the same
#: source has the same colour whatever the span, the video or the channel.
SOURCE_COLOURS = px.colors.qualitative.Dark24


def source_colour(source_id: str) -> str:
    ids = data.traffic_source_ids()
    index = ids.index(source_id) if source_id in ids else len(ids) + sum(map(ord, source_id))
    return SOURCE_COLOURS[index % len(SOURCE_COLOURS)]


def by_day(fig, from_zero: bool = True, days: tuple | None = None):
    """A chart of Pacific days (the sidebar's range, or ``days``): day ticks (never hours;
    about ten of them whatever the span), a y axis from 0 unless it can go below (net
    subscribers), and the provisional days shaded."""
    first, last = days or (globals()["first"], globals()["last"])
    span = max((last - first).days, 1)
    fig.update_xaxes(tickformat="%b %d", dtick=DAY_MS * max(1, round(span / 10)), title_text="Pacific day")
    if from_zero:
        fig.update_yaxes(rangemode="tozero")
    start = max(first, last_day - timedelta(days=PROVISIONAL_DAYS - 1))
    if start <= last:  # the days Google may still restate, shaded and named on every day chart
        fig.add_vrect(
            x0=f"{start - timedelta(days=1)} 12:00",
            x1=f"{min(last, last_day)} 12:00",
            fillcolor="#9e9e9e",
            opacity=0.15,
            line_width=0,
            annotation_text="provisional",
            annotation_position="top left",
        )
    return fig


def change(now, before) -> str | None:
    """The change against the previous period, as Studio words it (None: nothing to compare)."""
    if before is None or now is None:
        return None
    if not before:
        return None if not now else "new"
    return f"{100 * (now - before) / abs(before):+.0f}% vs previous {(last - first).days + 1} days"


def kpis(video: str | None) -> None:
    """Views, watch time, net subscribers and average view duration over the span, each with
    its change against the previous span of the same length (where Gold reaches back)."""
    length = (last - first).days + 1
    now = data.totals(reader, first, last, video)
    before_first = first - timedelta(days=length)
    before = (
        data.totals(reader, before_first, first - timedelta(days=1), video)
        if before_first >= first_day
        else None
    )

    def avd(t) -> float | None:
        return 60 * float(t["minutes"] or 0) / float(t["views"]) if t and t["views"] else None

    def minutes_seconds(seconds: float | None) -> str:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}" if seconds is not None else "–"

    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Views", data.human(now["views"] or 0), change(now["views"], before and before["views"]))
    c2.metric(
        "Watch time (hours)",
        data.human(float(now["minutes"] or 0) / 60),
        change(now["minutes"], before and before["minutes"]),
    )
    c3.metric(
        "Net subscribers",
        data.human(now["net_subscribers"] or 0),
        change(now["net_subscribers"], before and before["net_subscribers"]),
    )
    c4.metric("Average view duration", minutes_seconds(avd(now)), change(avd(now), avd(before)))
    if before is None:
        st.caption(f"No change shown: Gold does not reach {length} days before {first}.")


FIRST_DAYS = 7  # the latest upload's start, against the channel's typical first week


def latest_upload() -> None:
    """The latest upload's views on its first days against the median video's at the same age."""
    rows = data.first_days(reader, FIRST_DAYS)
    if not rows:
        return
    curves: dict[str, dict[int, int]] = {}
    published: dict[str, object] = {}
    titles: dict[str, str] = {}
    for r in rows:
        curves.setdefault(r["video_id"], {})[int(r["age"])] = int(r["views"] or 0)
        published[r["video_id"]], titles[r["video_id"]] = (
            r["published_date"],
            r["video_title"] or r["video_id"],
        )
    latest = max(published, key=lambda v: (published[v], v))
    ages = (last_day - published[latest]).days + 1  # the days it has had so far
    # videos with a whole first week in Gold (one published before Gold's first day would count
    # its missing first days as 0)
    others = [
        v
        for v in curves
        if v != latest and published[v] >= first_day and (last_day - published[v]).days + 1 >= FIRST_DAYS
    ]
    points = []
    for age in range(min(ages, FIRST_DAYS)):
        mine = sum(curves[latest].get(a, 0) for a in range(age + 1))
        typical = (
            statistics.median(sum(curves[v].get(a, 0) for a in range(age + 1)) for v in others)
            if others
            else None
        )
        points.append({"day since publishing": age + 1, "views so far": mine, "video": "latest upload"})
        if typical is not None:
            points.append(
                {"day since publishing": age + 1, "views so far": typical, "video": "typical (median)"}
            )
    st.subheader(f"Latest upload: {titles[latest]}")
    if not points:
        st.caption(f"Published {published[latest]}; Gold has no day of it yet.")
        return
    mine_total = points[-2 if others else -1]["views so far"]
    typical_total = points[-1]["views so far"] if others else None
    shown = min(ages, FIRST_DAYS)
    st.caption(
        f"Published {published[latest]}: {mine_total:,} views in its first {shown} day(s)"
        + (
            f", against {typical_total:,.0f} for the channel's typical video at the same age "
            f"(the median of {len(others)} videos with {FIRST_DAYS} days or more)."
            if typical_total is not None
            else "; no other video has a full first week to compare with yet."
        )
    )
    fig = px.line(points, x="day since publishing", y="views so far", color="video", markers=True)
    fig.update_xaxes(dtick=1)
    fig.update_yaxes(rangemode="tozero")
    st.plotly_chart(fig, use_container_width=True)


def overview() -> None:
    if len(channel_names) > 1 and channel_id is None:
        st.header("Channel overview: all channels")
        per = data.channels_overview(reader, first, last)
        st.dataframe(
            [
                {
                    "channel": channel_names.get(c["channel_id"], c["channel_id"]),
                    "views": int(c["views"] or 0),
                    "watch hours": round((c["minutes"] or 0) / 60, 1),
                    "net subscribers": int(c["net_subscribers"] or 0),
                }
                for c in per
            ],
            use_container_width=True,
            hide_index=True,
            column_config=numbers("views", "watch hours", "net subscribers"),
        )
        st.caption("Pick a channel in the sidebar to see its pages; below, all channels together.")
    else:
        card = data.channel_card(reader)
        name = card["title"] or channel_names.get(channel_id or "") or next(iter(channel_names.values()), "")
        st.header(f"Channel overview: {name}" if name else "Channel overview")
        st.caption(
            f"{card['subscribers']:,} subscribers · {card['videos']:,} public videos "
            "(YouTube's own rounded counts, as last listed)"
        )
    if video_id:
        st.info(
            f"Showing one video: {video_names.get(video_id, video_id)} "
            "(pick All videos in the sidebar for the channel)."
        )
    kpis(video_id)
    rows = data.daily(reader, first, last, video_id)
    for r in rows:
        r["status"] = "provisional" if provisional(r["date"]) else "final"
        r["watch_hours"] = float(r["estimated_minutes_watched"] or 0) / 60
    for column, title in (
        ("views", "Views per day"),
        ("watch_hours", "Watch time per day (hours)"),
        ("net_subscribers", "Net subscribers per day"),
    ):
        fig = px.bar(
            rows,
            x="date",
            y=column,
            color="status",
            title=title,
            color_discrete_map={"final": "#c4302b", "provisional": "#f4a6a3"},
        )
        st.plotly_chart(by_day(fig, from_zero=column != "net_subscribers"), use_container_width=True)
    if not video_id:
        st.subheader("Top content in this period")
        top = data.content(reader, first, last)[:5]
        st.dataframe(
            [
                {
                    "video": v["video_title"] or v["video_id"],
                    "type": v["content_type"] or "Unknown",
                    "views": int(v["views"] or 0),
                    "watch hours": round(float(v["minutes"] or 0) / 60, 1),
                }
                for v in top
            ],
            use_container_width=True,
            hide_index=True,
            column_config=numbers("views", "watch hours"),
        )
        latest_upload()


#: Each content type's name on the Content page.
KIND_LABELS = {
    "Short": "Shorts",
    "Long-form": "Long-form videos",
    "Live": "Live streams",
    "Story": "Stories",
    "Unknown": "Unknown type",
}


def basis_caption(videos_: list[dict]) -> str:
    """Which videos' type is YouTube's own (creatorContentType) and which the duration's."""
    google = sum(v.get("content_type_basis") == "creatorContentType" for v in videos_)
    rest = sum(v.get("content_type_basis") == "duration" for v in videos_)
    parts = []
    if google:
        parts.append(f"{google} video(s) typed by YouTube (Analytics' creatorContentType)")
    if rest:
        parts.append(
            f"{rest} by duration, as YouTube has not typed them (no views when asked, a run in bulk "
            "mode, which asks no format, or a lakehouse before this report): a Short is at most 3 "
            "minutes, YouTube's limit since October 2024"
        )
    return "Content type: " + "; ".join(parts) + "." if parts else ""


def content_page() -> None:
    st.header("Content")
    videos_ = data.content(reader, first, last)
    kinds: dict[str, dict[str, float]] = {}
    for v in videos_:
        k = kinds.setdefault(v["content_type"] or "Unknown", {"videos": 0, "views": 0, "minutes": 0.0})
        k["videos"] += 1
        k["views"] += int(v["views"] or 0)
        k["minutes"] += float(v["minutes"] or 0)
    columns = st.columns(max(len(kinds), 1))
    for column, (kind, k) in zip(columns, sorted(kinds.items()), strict=False):
        column.metric(KIND_LABELS.get(kind, kind), data.human(k["views"]) + " views")
        column.caption(f"{int(k['videos'])} video(s) · {k['minutes'] / 60:,.1f} watch hours")
    if caption := basis_caption(videos_):
        st.caption(caption)
    table = [
        {
            "video": v["video_title"] or v["video_id"],
            "type": v["content_type"] or "Unknown",
            "published": v["published_date"],
            "duration (s)": v["duration_seconds"],
            "views": int(v["views"] or 0),
            "watch hours": round(float(v["minutes"] or 0) / 60, 1),
            "likes": int(v["likes"] or 0),
            "net subscribers": int(v["net_subscribers"] or 0),
        }
        for v in videos_
    ]
    picked = st.dataframe(  # numbers stay numbers (a column sorts by value); formatting is display only
        table,
        use_container_width=True,
        hide_index=True,
        column_config=numbers("duration (s)", "views", "watch hours", "likes", "net subscribers"),
        on_select="rerun",
        selection_mode="single-row",
        key=f"content_table_{channel_id}_{first}_{last}",  # a new span or channel: no stale row
    )
    st.caption("Click a row to open the video (the sidebar's video, when one is picked, comes first).")
    rows_picked = picked.selection.rows if picked is not None else []
    # the sidebar's video when one is picked (a filter applies everywhere), else the clicked row,
    # else the most viewed
    clicked = videos_[rows_picked[0]]["video_id"] if rows_picked and rows_picked[0] < len(videos_) else None
    chosen = video_id or clicked or (videos_[0]["video_id"] if videos_ else None)
    if chosen:
        video_detail(chosen)


def video_detail(chosen: str) -> None:
    """One video: its daily views since publishing (day ticks, y from 0), then where its views
    came from, where its viewers are, and on what devices."""
    name = video_names.get(chosen, chosen)
    st.subheader(f"Video: {name}")
    published = next((v["published_date"] for v in videos if v["video_id"] == chosen), None)
    since = max(first_day, published) if published else first
    curve = data.video_daily(reader, chosen, since, last_day)
    st.plotly_chart(  # the video's life, not the sidebar's range
        by_day(
            px.bar(curve, x="date", y="views", title=f"Daily views since publishing ({since})"),
            days=(since, last_day),
        ),
        use_container_width=True,
    )
    c1, c2, c3 = st.columns(3)
    for column, kind, title in (
        (c1, "traffic", "Traffic sources"),
        (c2, "country", "Countries"),
        (c3, "device", "Devices"),
    ):
        rows = data.breakdown(reader, kind, since, last_day, chosen)[:10]
        if rows:
            fig = px.bar(
                [{"name": str(r["name"] or r["id"]), "views": int(r["views"] or 0)} for r in rows][::-1],
                x="views",
                y="name",
                orientation="h",
                title=title,
            )
            fig.update_yaxes(dtick=1, title_text=None)
            fig.update_layout(height=120 + 28 * len(rows))
            column.plotly_chart(fig, use_container_width=True)
        else:
            column.caption(f"{title}: none reported (Google withholds small breakdowns).")


AGE_GROUPS = {
    "AGE_13_17": "13–17",
    "AGE_18_24": "18–24",
    "AGE_25_34": "25–34",
    "AGE_35_44": "35–44",
    "AGE_45_54": "45–54",
    "AGE_55_64": "55–64",
    "AGE_65_": "65+",
}
GENDERS = {"FEMALE": "Female", "MALE": "Male", "GENDER_OTHER": "Other"}


def audience_page() -> None:
    st.header("Audience")
    groups = data.audience(reader, first, last, video_id)
    split = data.subscribed(reader, first, last, video_id)
    if not groups and not split:
        st.info(
            "No audience data for these days: Google gives age and gender only for days with "
            "enough signed-in viewers (privacy), from its daily files or v2 one day at a time."
        )
        return
    total = sum(g["views"] for g in groups) or 1
    rows = [
        {
            "age": AGE_GROUPS.get(g["age_group"], g["age_group"]),
            "gender": GENDERS.get(g["gender"], g["gender"]),
            "share of views (%)": 100 * g["views"] / total,
        }
        for g in groups
    ]
    st.plotly_chart(
        px.bar(
            rows,
            x="age",
            y="share of views (%)",
            color="gender",
            barmode="group",
            category_orders={"age": list(AGE_GROUPS.values())},
            title="Viewers by age and gender (share of views, weighted by views)",
        ),
        use_container_width=True,
    )
    st.caption(
        "Google measures age and gender on signed-in viewers; the shares are applied to each "
        "segment's views (country, subscribed, live or on demand in the daily files; all of a "
        "video's views on a day v2 answers) and weighted by them. Google withholds small groups."
    )
    if split:
        st.plotly_chart(
            px.bar(
                [{"viewer": s["subscribed_status"].replace("_", " "), "views": s["views"]} for s in split],
                x="viewer",
                y="views",
                title="Views by subscribed status",
            ),
            use_container_width=True,
        )


#: The sentence of a breakdown with no row in the span.
NO_BREAKDOWN = (
    "No {what} reported for these days: Google withholds breakdown rows under its privacy "
    "threshold, so a video with few views may have none."
)


def reach() -> None:
    st.header("Reach")
    mix = data.breakdown(reader, "traffic", first, last, video_id, by_day=True)
    totals = data.breakdown(reader, "traffic", first, last, video_id)
    if not totals:
        st.info(NO_BREAKDOWN.format(what="traffic sources"))
        return
    # the top sources by name, the tail as "Other"; each source keeps its colour on every
    # page and span (its place in Google's list of source ids, not its rank here)
    top = {t["id"] for t in totals[:TOP_SOURCES]}

    def label(row) -> str:  # a source without a name (an id YouTube added since) by its id
        return str(row["name"] or row["id"] or "Unknown")

    days: dict[tuple, int] = {}
    for r in mix:
        key = (r["date"], label(r) if r["id"] in top else "Other")
        days[key] = days.get(key, 0) + (r["views"] or 0)
    colours = {label(t): source_colour(str(t["id"])) for t in totals} | {"Other": "#9e9e9e"}
    st.plotly_chart(
        by_day(
            px.area(
                [{"date": d, "source": n, "views": v} for (d, n), v in sorted(days.items())],
                x="date",
                y="views",
                color="source",
                color_discrete_map=colours,
                title="Views by traffic source",
            )
        ),
        use_container_width=True,
    )
    all_views = sum(t["views"] or 0 for t in totals) or 1
    st.dataframe(
        [
            {
                "source": label(t),
                "views": int(t["views"] or 0),
                "share (%)": round(100 * (t["views"] or 0) / all_views, 1),
            }
            for t in totals
        ],
        hide_index=True,
        column_config=numbers("views"),
    )
    locations = data.playback_locations(reader, first, last, video_id)
    if locations:
        st.plotly_chart(
            px.bar(locations, x="name", y="views", title="Views by playback location"),
            use_container_width=True,
        )
    else:
        st.caption(
            "Playback locations come from the Reporting API's daily files (`--analytics-mode "
            "hybrid` or `bulk`); none covers these days."
        )
    shared = data.sharing_services(reader, first, last, video_id)
    if shared:
        top = shared[:10]
        rest = sum(s["shares"] or 0 for s in shared[10:])
        rows = [{"service": s["name"], "shares": int(s["shares"] or 0)} for s in top]
        if rest:
            rows.append({"service": "Other services", "shares": int(rest)})
        st.plotly_chart(
            px.bar(rows, x="service", y="shares", title="Shares by service (the Share button)"),
            use_container_width=True,
        )
    else:
        st.caption(
            "Shares by service come from the Reporting API's daily files (`--analytics-mode "
            "hybrid` or `bulk`); none covers these days."
        )


def shares_table(what: str, rows: list[dict]) -> None:
    """A breakdown's rows as a table of numbers: views, their share of the views the breakdown
    accounts for (Google withholds small rows), and watch hours."""
    total = sum(int(r["views"] or 0) for r in rows) or 1
    st.dataframe(
        [
            {
                what: r["name"] or r["id"],
                "views": int(r["views"] or 0),
                "share (%)": round(100 * int(r["views"] or 0) / total, 1),
                "watch hours": round(float(r["minutes"] or 0) / 60, 1),
            }
            for r in rows
        ],
        hide_index=True,
        column_config=numbers("views", "watch hours"),
    )


def geography() -> None:
    st.header("Geography")
    countries = data.breakdown(reader, "country", first, last, video_id)[:25]
    if not countries:
        st.info(NO_BREAKDOWN.format(what="countries"))
        return
    countries = [{**c, "name": c["name"] or c["id"]} for c in countries]
    fig = px.bar(countries[::-1], x="views", y="name", orientation="h", title="Views by country (top 25)")
    # every country labelled: one tick per bar, and the height to fit them
    fig.update_yaxes(dtick=1, title_text=None)
    fig.update_layout(height=140 + 24 * len(countries))
    st.plotly_chart(fig, use_container_width=True)
    shares_table("country", data.breakdown(reader, "country", first, last, video_id))
    st.caption(
        "A ranked chart: no map geometry ships with the project, and nothing loads from a CDN. "
        "Shares are of the views Google attributes to a country (it withholds small ones)."
    )


def devices() -> None:
    st.header("Devices")
    rows = data.breakdown(reader, "device", first, last, video_id)
    if not rows:
        st.info(NO_BREAKDOWN.format(what="device types"))
        return
    st.plotly_chart(px.bar(rows, x="name", y="views", title="Views by device type"), use_container_width=True)
    shares_table("device", rows)
    trend = data.breakdown(reader, "device", first, last, video_id, by_day=True)
    st.plotly_chart(
        by_day(
            px.area(
                [
                    {"date": r["date"], "device": r["name"] or r["id"], "views": int(r["views"] or 0)}
                    for r in trend
                ],
                x="date",
                y="views",
                color="device",
                title="Views by device type per day",
            )
        ),
        use_container_width=True,
    )


def engagement_page() -> None:
    st.header("Engagement")
    videos = data.engagement(reader, first, last, video_id)
    totals = {
        k: sum(v[k] or 0 for v in videos)
        for k in ("views", "likes", "comments", "shares", "playlist_adds", "playlist_removals")
    }
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Likes per 1,000 views", per_thousand(totals["likes"], totals["views"]))
    c2.metric("Comments per 1,000 views", per_thousand(totals["comments"], totals["views"]))
    c3.metric("Shares per 1,000 views", per_thousand(totals["shares"], totals["views"]))
    c4.metric(
        "Net playlist adds per 1,000 views",
        per_thousand(totals["playlist_adds"] - totals["playlist_removals"], totals["views"]),
    )
    chosen = video_id or (videos[0]["video_id"] if videos else None)
    curve = data.retention_curve(reader, chosen) if chosen else []
    if curve:
        st.plotly_chart(
            px.line(
                [
                    {
                        "share of the video (%)": 100 * p["elapsed_video_time_ratio"],
                        "viewers still watching (%)": 100 * p["audience_watch_ratio"],
                    }
                    for p in curve
                ],
                x="share of the video (%)",
                y="viewers still watching (%)",
                title=f"Audience retention: {video_names.get(chosen, chosen)}",
            ).update_yaxes(rangemode="tozero"),
            use_container_width=True,
        )
        st.caption(
            f"Google's curve over the video's life as of {curve[0]['as_of_date']} (asked weekly); "
            "above 100% where viewers rewatch a part."
        )
    else:
        st.info(
            "No audience retention curve for this video yet: it is asked once a week per video "
            "(v2: not in `--analytics-mode bulk`)."
        )
    st.dataframe(
        [
            {
                "video": v["video_title"] or v["video_id"],
                "views": v["views"],
                "likes / 1k": _rate(v["likes"], v["views"]),
                "comments / 1k": _rate(v["comments"], v["views"]),
                "shares / 1k": _rate(v["shares"], v["views"]),
                "playlist adds / 1k": _rate(v["playlist_adds"], v["views"]),
                "engaged views (%)": _rate(v["engaged_views"], v["views"], 100),
            }
            for v in videos
        ],
        use_container_width=True,
        hide_index=True,
    )


def _rate(count, views, per: int = 1000) -> float | None:
    """A sortable number (None without views): ``count`` per ``per`` views."""
    return round(float(count or 0) * per / views, 2) if views else None


def per_thousand(amount, count) -> str:
    """A rate per thousand (a CPM, an RPM, likes per 1,000 views), formatted, or a dash."""
    rate = _rate(amount, count) if amount is not None else None
    return f"{rate:,.2f}" if rate is not None else "–"


def revenue_page() -> None:
    st.header("Revenue")
    status = data.revenue_status(reader, first, last)
    if not status.get("reported"):
        if status.get("refused"):
            st.info(
                "Google refused revenue for this channel (403): a channel outside the YouTube "
                "Partner Program has none to report."
            )
        elif status.get("not asked"):
            st.info(
                "Revenue is authorised but was not asked: `--analytics-mode bulk` reads the daily "
                "files only, which hold no revenue; run `ytlake run --analytics-mode hybrid`."
            )
        elif status.get("not reported"):
            st.info(
                "No revenue reported for these days yet: Google's revenue figures arrive a few days late."
            )
        else:
            st.info(
                "Revenue is not authorised: the refresh token lacks yt-analytics-monetary.readonly. "
                "Run `ytlake auth --monetary` (a channel in the YouTube Partner Program), then `ytlake run`."
            )
        return
    days = data.revenue_daily(reader, first, last, video_id)
    revenue = sum(float(d["estimated_revenue"] or 0) for d in days)
    gross = sum(float(d["gross_revenue"] or 0) for d in days)
    c1, c2, c3 = st.columns(3)
    c1.metric("Estimated revenue", f"{revenue:,.2f}")
    c2.metric("RPM (revenue per 1,000 views)", per_thousand(revenue, sum(d["views"] or 0 for d in days)))
    c3.metric(
        "CPM (gross per 1,000 ad impressions)",
        per_thousand(gross, sum(d["ad_impressions"] or 0 for d in days)),
    )
    rows = [
        {
            "date": d["date"],
            "estimated revenue": float(d["estimated_revenue"] or 0),
            "status": "provisional" if provisional(d["date"]) else "final",
        }
        for d in days
    ]
    name = video_names.get(video_id, video_id) if video_id else "the channel"
    st.plotly_chart(
        by_day(
            px.bar(
                rows,
                x="date",
                y="estimated revenue",
                color="status",
                title=f"Estimated revenue per day: {name}",
                color_discrete_map={"final": "#c4302b", "provisional": "#f4a6a3"},
            )
        ),
        use_container_width=True,
    )
    st.caption(
        "In the channel's currency, as Google estimates it (ads and YouTube Premium). "
        + (
            f"{status['not reported']} day(s) in this range are not reported yet."
            if status.get("not reported")
            else ""
        )
    )
    top = data.top_earning_videos(reader, first, last)
    st.dataframe(
        [
            {
                "video": v["video_title"] or v["video_id"],
                "estimated revenue": round(float(v["revenue"] or 0), 2),
                "RPM": _rate(v["revenue"], v["views"]),  # numbers: the columns sort by value
                "CPM": _rate(v["gross"], v["impressions"]),
            }
            for v in top
        ],
        use_container_width=True,
        hide_index=True,
        column_config={c: st.column_config.NumberColumn(format="%.2f") for c in ("RPM", "CPM")},
    )
    kinds = data.ad_types(reader, first, last, video_id)
    if kinds:
        st.plotly_chart(
            px.bar(
                [{"ad type": k["ad_type"], "gross revenue": float(k["gross"] or 0)} for k in kinds],
                x="ad type",
                y="gross revenue",
                title=f"Gross ad revenue by ad type: {name}",
            ),
            use_container_width=True,
        )


PAGES = {
    "Overview": overview,
    "Content": content_page,
    "Audience": audience_page,
    "Reach": reach,
    "Engagement": engagement_page,
    "Geography": geography,
    "Devices": devices,
    "Revenue": revenue_page,
}
try:
    with main.container():
        PAGES[page]()
except data.Unavailable as err:
    unavailable(err)

"""The chat markdown parsers on the seed transcripts (PROTOCOLS.md §1.1)."""

from __future__ import annotations

import json

from protocol_fakes import seed_reply, seed_stream

from veo_magic.relays.protocols.markdown import (
    Note,
    Transcript,
    clip_key,
    fallback_links,
    find_task_id,
    plain,
    progress_of,
    result_links,
)

SEED_LINKS = [
    "https://veo-video.gptkey.asia/assets/flow/0af272c6-bcc7-48de-8a32-a827bad4392c.mp4",
    "https://veo-video.gptkey.asia/assets/flow/9fc24060-ff7a-439e-a4f3-8387d25f63c9.mp4",
]
SEED_PERCENTS = [9.0, 18.0, 27.0, 36.0, 45.9, 54.9, 63.9, 72.9, 83.7, 90.2]
SEED000_TASK = "veo3-pro:03bd6356-8ec6-4e06-be7f-c06febc5eb47"
SEED000_WATCH = "https://filesystem.site/cdn/20250822/2hO6Q2oDZtT5I2sZd1lmyGUjmXntfT.mp4"


def seed_contents() -> list[str]:
    """The ``delta.content`` of each chunk of seed 001, in order."""
    contents = []
    for line in seed_stream().decode().splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:])["choices"]:
                if "content" in choice["delta"]:
                    contents.append(choice["delta"]["content"])
    return contents


def read_all(pieces: list[str]) -> list[Note | str]:
    transcript = Transcript()
    found = [f for piece in pieces for f in transcript.feed(piece)]
    return found + transcript.close()


def test_seed_stream_progress_and_links():
    found = read_all(seed_contents())
    notes = [f for f in found if isinstance(f, Note)]
    assert [n.percent for n in notes if n.percent is not None] == SEED_PERCENTS
    assert [f for f in found if isinstance(f, str)] == SEED_LINKS
    assert notes[0] == Note("⌛️ 视频正在生成中,请耐心等待...", None, "running")
    assert notes[1].text == "🏃 进度:9.0%"


def test_seed_stream_links_arrive_with_their_line():
    transcript = Transcript()
    contents = seed_contents()
    for piece in contents[:-2]:
        transcript.feed(piece)
    assert transcript.feed(contents[-2]) == [SEED_LINKS[0]]
    assert transcript.feed(contents[-1]) == [SEED_LINKS[1]]
    assert transcript.close() == []


def test_echoed_prompt_in_code_fence_is_not_read():
    echo = '```json\n{\n    "prompt": "进度:50% waiting https://x.test/a.mp4",\n    "mode": "竖屏模式"\n}\n```\n\n'
    transcript = Transcript()
    assert transcript.feed(echo) == []
    assert transcript.close() == []


def test_seed_reply_task_id_and_one_clip():
    content = seed_reply()["choices"][0]["message"]["content"]
    assert find_task_id(content) == SEED000_TASK
    found = read_all([content])
    assert [f for f in found if isinstance(f, str)] == [SEED000_WATCH]
    task_notes = [f for f in found if isinstance(f, Note) and f.task_id]
    assert task_notes[0] == Note(f"任务ID: {SEED000_TASK}", None, None, SEED000_TASK)
    phases = [f.phase for f in found if isinstance(f, Note) and f.phase]
    assert phases == ["queued", "queued", "running"]  # 已创建, 等待处理中, 开始生成视频


def test_seed_reply_folded_onto_one_line():
    content = seed_reply()["choices"][0]["message"]["content"].replace("\n", " ")
    found = read_all([content])
    assert [f for f in found if isinstance(f, str)] == [SEED000_WATCH]
    assert any(isinstance(f, Note) and f.task_id == SEED000_TASK for f in found)


def test_full_width_punctuation_and_no_ordinal():
    found = read_all(
        [
            "> 🏃 进度：98.7%\n\n",
            "> ✅ 视频生成成功，[点击这里](https://cdn.test/v/one.mp4) 查看视频~~~\n\n",
        ]
    )
    assert found == [Note("🏃 进度：98.7%", 98.7, "running"), "https://cdn.test/v/one.mp4"]


def test_progress_variants():
    assert progress_of("> 🏃 进度:9.0%") == 9.0
    assert progress_of("进度： 45 %") == 45.0
    assert progress_of("progress: 12.5%") == 12.5
    assert progress_of("> 为了防止任务中断,可以从以下链接持续获取任务进度:") is None


def test_line_split_across_chunks():
    found = read_all(
        ["> 🏃 进", "度:45.9%\n", "\n> ✅ [点击", "这里](https://cdn.test/a.mp4)", "\n"]
    )
    assert found == [Note("🏃 进度:45.9%", 45.9, "running"), "https://cdn.test/a.mp4"]


def test_last_line_without_newline_is_read_at_close():
    transcript = Transcript()
    assert transcript.feed("> ✅ [点击这里](https://cdn.test/a.mp4)") == []
    assert transcript.close() == ["https://cdn.test/a.mp4"]


def test_fallback_bare_mp4_only_at_close_and_keeps_query():
    transcript = Transcript()
    text = "done: https://cdn.test/x/clip.mp4?sig=abc&e=1 (and again https://cdn.test/x/clip.mp4)\n"
    assert transcript.feed(text) == []
    assert transcript.close() == ["https://cdn.test/x/clip.mp4?sig=abc&e=1"]


def test_fallback_not_used_when_a_labelled_link_exists():
    found = read_all(["[点击这里](https://cdn.test/a.mp4)\nsee also https://cdn.test/other.mp4\n"])
    assert found == ["https://cdn.test/a.mp4"]


def test_download_link_is_the_same_clip():
    assert clip_key("https://f.site/cdn/20250822/f.mp4") == clip_key(
        "https://f.site/cdn/download/20250822/f.mp4"
    )
    assert clip_key("https://f.site/a/1/video.mp4") != clip_key("https://f.site/a/2/video.mp4")
    text = "https://f.site/cdn/20250822/f.mp4 https://f.site/cdn/download/20250822/f.mp4"
    assert read_all([text]) == ["https://f.site/cdn/20250822/f.mp4"]


def test_link_finders():
    text = "[数据预览](https://asyncdata.net/web/x) [▶️ 在线观看](https://c.test/a.mp4) [点击这里](https://c.test/b)"
    assert result_links(text) == ["https://c.test/a.mp4", "https://c.test/b"]
    assert fallback_links(text) == ["https://c.test/a.mp4"]


def test_task_id_from_tracking_link_when_no_id_line():
    assert find_task_id("[数据预览](https://asyncdata.net/web/veo3:abc-1)") == "veo3:abc-1"
    assert find_task_id("task_id: `video_123`") == "video_123"
    assert find_task_id("nothing here") is None


def test_plain_text():
    assert (
        plain("> ✅ 第1个视频生成成功,[点击这里](https://x/a.mp4) 查看视频~~~")
        == "✅ 第1个视频生成成功,点击这里 查看视频~~~"
    )
    assert plain("> 任务ID: `abc:1`") == "任务ID: abc:1"

"""Tiny real media files, made at test time with PyAV (its wheel bundles ffmpeg).

Every writer returns the path it wrote. The files are a few kilobytes and take milliseconds
(the 4K HEVC one ~0.4 s: one 3840x2160 frame through x265), so tests can make them freely.
Frames are flat colours and audio is silence: MediaInfo reads containers and stream headers,
not pictures.

    write_mp4_h264_aac(p)                 H.264 + AAC (French), title "Le Titre", 1 s
    write_mp4_h264_aac(p, seconds=5400)   same, lasting 90 min (frames far apart: still tiny)
    write_mkv_two_audio_forced_subs(p)    H.264, AAC fr (default) + AC-3 5.1 en,
                                          subtitles fr (forced) + en
    write_hevc_4k_hdr(p)                  one 3840x2160 HEVC Main 10 frame with HDR10 metadata
    write_truncated(src, dst)             the first part of a real file (an interrupted download)
    write_text(p) / write_html(p)         not video at all, whatever the name says
    write_sparse(p, size)                 a zero-filled sparse file (the demo library's kind)
    unique_copy(src, p, tag) / copies()   distinct valid files from one (for benchmarks)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import av
from av.stream import Disposition

FRENCH_TITLE = "Le Titre"
MKV_TITLE = "Two Tracks"


def _video_frame(width: int, height: int, index: int, pix_fmt: str = "yuv420p") -> av.VideoFrame:
    frame = av.VideoFrame(width, height, pix_fmt)
    for k, plane in enumerate(frame.planes):
        plane.update(bytes([(index * 7 + k * 50) % 256]) * plane.buffer_size)
    frame.pts = index
    return frame


def _add_video(
    out: av.container.OutputContainer, codec: str, width: int, height: int, fps: int
) -> av.VideoStream:
    stream = out.add_stream(codec, rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.options = {"preset": "ultrafast"}
    return stream


def _encode_video(
    out: av.container.OutputContainer,
    stream: av.VideoStream,
    frames: Sequence[int],
    pix_fmt: str = "yuv420p",
) -> None:
    for index in frames:
        frame = _video_frame(stream.width, stream.height, index, pix_fmt)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _add_audio(
    out: av.container.OutputContainer,
    codec: str,
    layout: str,
    language: str | None,
    disposition: int = 0,
) -> av.AudioStream:
    stream = out.add_stream(codec, rate=48000)
    stream.layout = layout
    if language:
        stream.metadata["language"] = language
    stream.disposition = Disposition(disposition)
    return stream


def _encode_silence(
    out: av.container.OutputContainer, stream: av.AudioStream, seconds: float
) -> None:
    ctx = stream.codec_context
    samples = ctx.frame_size or 1024
    for i in range(max(1, int(48000 * seconds) // samples)):
        frame = av.AudioFrame(ctx.format.name, stream.layout.name, samples)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 48000
        frame.pts = i * samples
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def _frames_for(seconds: float, fps: int) -> list[int]:
    """One second of frames, then (for a longer file) one frame at the very end."""
    last = max(1, round(seconds * fps))
    first = list(range(min(last, fps)))
    return first if last <= fps else [*first, last - 1]


def write_mp4_h264_aac(
    path: Path,
    *,
    seconds: float = 1.0,
    size: tuple[int, int] = (320, 240),
    audio_language: str | None = "fra",
    title: str | None = FRENCH_TITLE,
    fps: int = 25,
) -> Path:
    """An MP4: H.264 video and one AAC stereo track in ``audio_language`` (ISO 639-2)."""
    with av.open(os.fspath(path), "w", format="mp4") as out:
        video = _add_video(out, "libx264", size[0], size[1], fps)
        audio = _add_audio(out, "aac", "stereo", audio_language)
        if title:
            out.metadata["title"] = title
        _encode_video(out, video, _frames_for(seconds, fps))
        _encode_silence(out, audio, min(seconds, 1.0))
    return path


def write_mkv_two_audio_forced_subs(path: Path, *, title: str | None = MKV_TITLE) -> Path:
    """An MKV: H.264; AAC stereo French (default) and AC-3 5.1 English; SubRip subtitles in
    French (forced) and English."""
    srt = path.with_name(path.name + ".tmp.srt")
    srt.write_text("1\n00:00:00,000 --> 00:00:00,500\nBonjour\n\n", encoding="utf-8")
    try:
        with (
            av.open(os.fspath(srt)) as source,
            av.open(os.fspath(path), "w", format="matroska") as out,
        ):
            template = source.streams.subtitles[0]
            video = _add_video(out, "libx264", 320, 240, 25)
            audios = [
                _add_audio(out, "aac", "stereo", "fre", Disposition.default),
                _add_audio(out, "ac3", "5.1", "eng"),
            ]
            subtitles = []
            for language, disposition in (("fre", Disposition.forced), ("eng", 0)):
                # The SubRip encoder will not open without an ASS header: copy the stream
                # parameters from a demuxed .srt instead and remux its packets.
                stream = out.add_stream_from_template(template)
                stream.metadata["language"] = language
                stream.disposition = Disposition(disposition)
                subtitles.append(stream)
            if title:
                out.metadata["title"] = title
            _encode_video(out, video, range(25))
            for audio in audios:
                _encode_silence(out, audio, 1.0)
            for packet in source.demux(template):
                if packet.size == 0:
                    continue
                for stream in subtitles:
                    packet.stream = stream
                    out.mux(packet)
    finally:
        srt.unlink(missing_ok=True)
    return path


def write_hevc_4k_hdr(path: Path) -> Path:
    """One 3840x2160 HEVC Main 10 frame in MKV, PQ transfer and BT.2020 primaries, with
    HDR10 mastering-display and content-light metadata (what an UHD remux starts with)."""
    params = ":".join(
        (
            "log-level=error",
            "hdr10=1",
            "repeat-headers=1",
            "colorprim=bt2020",
            "transfer=smpte2084",
            "colormatrix=bt2020nc",
            "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)",
            "max-cll=1000,400",
        )
    )
    with av.open(os.fspath(path), "w", format="matroska") as out:
        video = out.add_stream("libx265", rate=24)
        video.width, video.height, video.pix_fmt = 3840, 2160, "yuv420p10le"
        video.options = {"preset": "ultrafast", "x265-params": params}
        _encode_video(out, video, [0], pix_fmt="yuv420p10le")
    return path


def write_truncated(source: Path, path: Path, keep: float = 0.5) -> Path:
    """The first ``keep`` share of ``source``: what an interrupted download leaves."""
    data = source.read_bytes()
    path.write_bytes(data[: max(1, int(len(data) * keep))])
    return path


def write_text(path: Path, text: str = "This is not a film, just a text file.\n") -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def write_html(path: Path) -> Path:
    """An HTTP error page saved under a video name (a failed download)."""
    page = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
    return write_text(path, page + "<body><h1>Not Found</h1></body></html>\n")


def write_sparse(path: Path, size: int = 700 * 1024 * 1024) -> Path:
    """A sparse file of ``size`` zero bytes: no block written at all."""
    with path.open("wb") as f:
        f.truncate(size)
    return path


def unique_copy(source: Path, target: Path, tag: str) -> Path:
    """A copy of ``source`` with content of its own (its own fingerprint, so import takes
    it for a new file, not a copy) that is still a valid container: ``tag`` goes into a
    padding element (an MP4 ``free`` box, a Matroska ``Void`` element) after the rest."""
    payload = tag.encode()
    if source.suffix.lower() in (".mp4", ".m4v", ".mov"):
        pad = (8 + len(payload)).to_bytes(4, "big") + b"free" + payload
    elif source.suffix.lower() in (".mkv", ".webm"):
        pad = b"\xec\x01" + len(payload).to_bytes(7, "big") + payload
    else:
        raise ValueError(f"no padding element known for {source.suffix}")
    target.write_bytes(source.read_bytes() + pad)
    return target


def copies(source: Path, folder: Path, count: int) -> list[Path]:
    """``count`` distinct files made from ``source`` in ``folder`` (see ``unique_copy``)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        unique_copy(source, folder / f"{i:05d}{source.suffix}", f"copy {i}") for i in range(count)
    ]

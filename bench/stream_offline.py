"""A streaming session's finals without a server: the session's own rules, decoded in-process.

The channel rules (:mod:`inference.stream_channel`: Silero endpointing, the pre-roll, the wait of
an unsure final) fed 100 ms frames as a caller sends them, each decode it asks for run at once
with the session's decoder (:func:`inference.stream_route.decode_words`). A live session's finals
are these: its scheduling changes when they come, not the audio they decode. So the WER of a
stream's finals is measured here, deterministically and on any number of utterances, while
``bench.stream_vs_requests`` measures the timing of real sessions.
"""

from __future__ import annotations

import numpy as np

from inference.config import ServingConfig
from inference.stream_audio import FrameDecoder
from inference.stream_channel import Channel, Transcript
from inference.stream_options import DEFAULT_ENDPOINTING_MS, StreamOptions
from inference.stream_route import decode_words

FRAME_S = 0.1  # what replay.stream sends per message


def session_finals(transcriber, pcm: np.ndarray, sample_rate: int, language: str = "en") -> list[Transcript]:
    """The finals of a session given ``pcm`` (int16; one column per channel, transcribed apart), in
    the order sent, with the default endpointing and the model's confidence gate."""
    pcm = pcm.reshape(len(pcm), -1)
    query = {"sample_rate": [str(sample_rate)], "channels": [str(pcm.shape[1])], "multichannel": ["true"]}
    frames = FrameDecoder(StreamOptions.from_query(query, ServingConfig()))
    channels = [Channel(i, DEFAULT_ENDPOINTING_MS / 1000, interim_results=False,
                        min_confidence=transcriber.config.partial_confidence) for i in range(pcm.shape[1])]
    finals: list[Transcript] = []

    def keep(items) -> None:
        finals.extend(t for t in items if isinstance(t, Transcript))

    step = int(sample_rate * FRAME_S)
    for at in range(0, len(pcm), step):
        for channel, samples in zip(channels, frames.decode(pcm[at:at + step].astype("<i2").tobytes()),
                                    strict=True):
            keep(channel.feed(samples))  # an unsure final whose wait ran out comes from here
            if (snap := channel.due()) is not None:
                keep(channel.decoded(snap, decode_words(transcriber, snap, language)))
    for channel in channels:
        if (snap := channel.finalize()) is not None:
            keep(channel.decoded(snap, decode_words(transcriber, snap, language)))
    return finals

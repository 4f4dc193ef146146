"""The streaming session's parts on their own: agreement, options, frame decoding, a channel's bounds."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile
from hypothesis import given
from hypothesis import strategies as st

from inference.agreement import agreed_prefix, comparable
from inference.audio import SAMPLE_RATE
from inference.config import ServingConfig
from inference.cut_word import VAD_FRAME
from inference.errors import ClientError
from inference.stream_audio import FrameDecoder
from inference.stream_channel import (
    COMMIT_S,
    MAX_UTTERANCE_S,
    PRE_ROLL_S,
    UNSURE_WAIT_S,
    Channel,
    Snapshot,
    Transcript,
    Word,
)
from inference.stream_options import DEFAULT_ENDPOINTING_MS, StreamOptions
from replay.wer import wer

WORDS = st.lists(st.sampled_from(["ten", "of", "clubs", "Clubs.", "four", "queen"]), max_size=8)


@given(WORDS, WORDS)
def test_agreement_is_the_longest_common_prefix_up_to_case_and_punctuation(previous, current):
    n = agreed_prefix(previous, current)
    assert [comparable(w) for w in previous[:n]] == [comparable(w) for w in current[:n]]
    assert n == min(len(previous), len(current)) or comparable(previous[n]) != comparable(current[n])


def test_agreement_examples():
    assert agreed_prefix(["Ten", "of", "quotes"], ["ten", "of", "clubs."]) == 2
    assert agreed_prefix(["four", "queen"], ["for", "queen"]) == 0
    assert agreed_prefix([], ["anything"]) == 0


def test_options_default_and_deepgram_names():
    config = ServingConfig()
    options = StreamOptions.from_query({"model": ["whisper"], "language": ["en-US"], "endpointing": ["false"],
                                        "keyterm": ["Dashwood", "Norland:2"], "tag": ["call-7"]}, config)
    assert (options.language, options.endpointing_ms, options.hotwords) == ("en", None, "Dashwood Norland")
    assert StreamOptions.from_query({}, config).endpointing_ms == DEFAULT_ENDPOINTING_MS
    multi = StreamOptions.from_query({"channels": ["2"], "multichannel": ["true"]}, config)
    assert multi.transcribed_channels == 2
    assert StreamOptions.from_query({"channels": ["2"]}, config).transcribed_channels == 1
    with pytest.raises(ClientError, match="speaker diarization"):
        StreamOptions.from_query({"diarize_model": ["v1"]}, config)


@pytest.mark.parametrize("split", [3, 799, 3200])
def test_frames_split_anywhere_decode_to_the_same_audio(jfk, split):
    """Frames may end inside a sample or between channels; resampling leaves no seam."""
    speech, _ = soundfile.read(str(jfk.path), dtype="int16")
    stereo = np.stack([speech, speech // 2], axis=1).astype("<i2").tobytes()
    query = {"sample_rate": ["16000"], "channels": ["2"], "multichannel": ["true"]}
    options = StreamOptions.from_query(query, ServingConfig())
    whole = FrameDecoder(options).decode(stereo)
    decoder = FrameDecoder(options)
    parts = [decoder.decode(stereo[i:i + split]) for i in range(0, len(stereo), split)]
    for channel in (0, 1):
        joined = np.concatenate([p[channel] for p in parts])
        assert np.array_equal(joined, whole[channel])
    assert np.allclose(whole[1], (speech // 2) / 32768.0)


def test_mulaw_decodes_libsndfiles_encoding(jfk):
    speech, _ = soundfile.read(str(jfk.path), dtype="float32")
    encoded = io.BytesIO()
    soundfile.write(encoded, speech, 16000, format="RAW", subtype="ULAW")
    options = StreamOptions.from_query({"encoding": ["mulaw"]}, ServingConfig())
    decoded = FrameDecoder(options).decode(encoded.getvalue())[0]
    reference, _ = soundfile.read(io.BytesIO(encoded.getvalue()), format="RAW", subtype="ULAW", samplerate=16000,
                                  channels=1, dtype="float32")
    assert np.allclose(decoded, reference, atol=1e-6)


@pytest.mark.slow
def test_a_long_turn_keeps_a_bounded_buffer_and_loses_no_words(transcriber, clips):
    """A minute of speech without a pause (endpointing off): agreed words become final at
    COMMIT_S, the audio behind them is dropped, and every clip's words come out once."""
    from inference.stream_route import decode_words

    chosen = [c for c in clips if c.name.startswith("librivox")]
    audio = np.concatenate([soundfile.read(str(c.path), dtype="float32")[0] for c in chosen] * 2)
    channel = Channel(0, endpointing_s=None, interim_results=False)
    finals, longest = [], 0
    for at in range(0, len(audio), SAMPLE_RATE // 2):
        channel.feed(audio[at:at + SAMPLE_RATE // 2])
        longest = max(longest, len(channel.audio))
        snap = channel.due()
        if snap is not None:
            finals += channel.decoded(snap, decode_words(transcriber, snap, language="en"))
    snap = channel.finalize()
    finals += channel.decoded(snap, decode_words(transcriber, snap, language="en"))
    assert longest <= (MAX_UTTERANCE_S + 1) * SAMPLE_RATE
    assert sum(1 for f in finals if f.is_final and not f.speech_final) >= len(audio) / SAMPLE_RATE / (2 * COMMIT_S)
    words = [w for f in finals for w in f.words]
    assert all(a.end <= b.start + 0.05 for a, b in zip(words, words[1:], strict=False)), "no word final twice"
    reference = " ".join(c.reference for c in chosen * 2)
    assert wer([reference], [" ".join(w.text for w in words)]) <= 0.2


def test_silence_costs_nothing_and_keeps_no_audio():
    channel = Channel(0, endpointing_s=0.5, interim_results=True)
    for _ in range(50):
        assert channel.feed(np.zeros(SAMPLE_RATE // 10, np.float32)) == []
        assert channel.due() is None
    assert len(channel.audio) <= PRE_ROLL_S * SAMPLE_RATE + 1 and channel.received == 5 * SAMPLE_RATE



def test_a_close_reason_fits_a_close_frame():
    from inference.stream_route import SessionClosed

    reason = SessionClosed(1008, "é" * 100 + " (WHISPER_MAX_FRAME_BYTES)").reason
    assert len(reason.encode()) <= 123 and reason.startswith("é")



def _streamed_finals(transcriber, call):
    """The session's own rules on the call as ``replay.stream`` sends it (8 kHz stereo, ``multichannel``)."""
    from bench.stream_offline import session_finals
    from replay.lca_audio import TELEPHONE_RATE
    from replay.stream import Message, StreamResult

    streamed = StreamResult(call)
    for final in session_finals(transcriber, call.audio, TELEPHONE_RATE):
        streamed.messages.append(Message(0.0, final.channel, True, "",
                                         tuple((w.text, w.start, w.end) for w in final.words)))
    return streamed


def _lca_finals(transcriber, call) -> list[str]:
    """LCA's finals for the call's turns: the utterances its client VAD closes, sent as its Lambda
    sends them (8 kHz upsampled by repetition, LCA's parameters), read as LCA reads the answers.
    Partials change no final's audio, so none is decoded."""
    import json

    from inference import handler
    from replay.clock import VirtualClock
    from replay.transcriber import CallTranscriber

    class InProcess:
        def invoke(self, body: bytes) -> dict:
            prediction = handler.predict_fn(handler.input_fn(body, "application/json"), transcriber)
            return json.loads(handler.output_fn(prediction, None))

        def close(self) -> None:
            pass

    result = CallTranscriber(InProcess(), clock=VirtualClock(), partials=False).run(call)
    return [final.text for final in result.finals]


@pytest.mark.slow
def test_streamed_finals_are_as_accurate_as_lcas_on_the_same_call(transcriber):
    """The finals a stream sends (cut by the session's VAD, decoded by its rules) score within
    three points of WER (two or three of the call's 86 words: another CPU's rounding can move
    one) of the finals LCA's request pattern gets for the same call. A live session's finals are
    these (its scheduling changes when they come, not their audio). Many turns the stream cuts
    start at a soft onset ("and so", "four queen"), where Silero's probability crosses its
    threshold a few frames into the word: how much audio is kept before that frame decides
    whether Whisper hears the word."""
    from bench.stream_vs_requests import DEFAULT_CLIPS
    from replay.call_source import synthetic_call
    from replay.clips import load_clips
    from replay.stream import score

    call = synthetic_call(load_clips(DEFAULT_CLIPS))  # the benchmark's call
    streamed = score(_streamed_finals(transcriber, call))
    references = [t.reference for t in call.turns]
    stream_wer = wer(references, [final for _, final in streamed.turn_finals])
    lca_wer = wer([" ".join(references)], [" ".join(_lca_finals(transcriber, call))])
    assert streamed.lost_turns == 0
    assert stream_wer <= lca_wer + 0.03, f"stream {stream_wer:.1%} against LCA's {lca_wer:.1%}"


def _speak(channel: Channel, audio: np.ndarray, decide=lambda received: True, deliver=lambda received: True):
    """Feed ``audio`` in 100 ms frames; a due final is taken once ``decide`` allows it (until then its
    channel's decode is running) and its (empty) words land once ``deliver`` allows. The finals' audio."""
    decoded, pending = [], None
    for at in range(0, len(audio), SAMPLE_RATE // 10):
        channel.feed(audio[at:at + SAMPLE_RATE // 10])
        if pending is None and decide(channel.received):
            pending = channel.due()
        if pending is not None and deliver(channel.received):
            channel.decoded(pending, [])
            decoded.append(pending)
            pending = None
    return decoded


def test_a_final_that_lands_late_leaves_the_next_utterance_whole(clips):
    """The session decides a final only when its channel's running decode returns, and under load
    the final lands after the next utterance has begun. The next final still decodes the audio it
    would on an idle server (``PRE_ROLL_S`` before its first speech frame), nothing of the first final's."""
    by_name = {c.name: c for c in clips}
    speech = [soundfile.read(str(by_name[n].path), dtype="float32")[0] for n in ("cards-001", "goforward")]
    audio = np.concatenate([speech[0], np.zeros(int(1.2 * SAMPLE_RATE), np.float32), speech[1],
                            np.zeros(SAMPLE_RATE, np.float32)])
    idle = _speak(Channel(0, endpointing_s=0.5, interim_results=False), audio)
    assert len(idle) == 2
    # idle, the next final starts PRE_ROLL_S before the 100 ms frame that brought its first speech frame
    onset = idle[1].start + int(PRE_ROLL_S * SAMPLE_RATE) + SAMPLE_RATE // 10  # that frame's end, at the latest
    late = _speak(Channel(0, endpointing_s=0.5, interim_results=False), audio,
                  decide=lambda received: received >= onset - SAMPLE_RATE // 5,
                  deliver=lambda received: received >= onset + SAMPLE_RATE // 3)
    assert [(s.start, s.decoded_end) for s in late[:1]] == [(s.start, s.decoded_end) for s in idle[:1]]
    assert late[1].decoded_end == idle[1].decoded_end
    assert idle[1].start <= late[1].start <= idle[1].start + SAMPLE_RATE // 10


def _two_turns(clips, pause_s: float) -> tuple[np.ndarray, int]:
    """cards-001, ``pause_s`` of silence, goforward, 2 s of silence; and where the pause starts."""
    by_name = {c.name: c for c in clips}
    first, second = (soundfile.read(str(by_name[n].path), dtype="float32")[0] for n in ("cards-001", "goforward"))
    silence = np.zeros(int(pause_s * SAMPLE_RATE), np.float32)
    return np.concatenate([first, silence, second, np.zeros(2 * SAMPLE_RATE, np.float32)]), len(first)


def _answered(channel: Channel, audio: np.ndarray, confidence: float) -> list[tuple[int, Snapshot, list]]:
    """Feed ``audio`` in 100 ms frames, answer every due decode at once with one word of
    ``confidence``; (samples received, snapshot or None, transcripts) at each step that gave any."""
    steps = []
    for at in range(0, len(audio), SAMPLE_RATE // 10):
        out = [t for t in channel.feed(audio[at:at + SAMPLE_RATE // 10]) if isinstance(t, Transcript)]
        snap = channel.due()
        if snap is not None:
            word = Word("word", snap.start / SAMPLE_RATE, snap.decoded_end / SAMPLE_RATE, confidence)
            out += channel.decoded(snap, [word])
        if snap is not None or out:
            steps.append((channel.received, snap, out))
    return steps


def test_a_sure_final_is_sent_at_the_endpoint(clips):
    audio, _ = _two_turns(clips, pause_s=0.4)
    steps = _answered(Channel(0, 0.5, interim_results=False, min_confidence=0.7), audio, confidence=0.9)
    finals = [(snap, out) for _, snap, out in steps if snap is not None and snap.final]
    assert len(finals) == 2  # the pause is longer than the endpoint: two utterances
    assert all(len(out) == 1 and out[0].is_final and out[0].speech_final for _, out in finals)


def test_an_unsure_final_waits_and_speech_that_resumes_joins_it(clips):
    """An unsure decode at the endpoint is not sent; the speech after the pause continues the
    same utterance, whose next final decodes both turns whole."""
    audio, pause_at = _two_turns(clips, pause_s=0.4)  # with the clips' own quiet ends: a pause of ~0.8 s
    steps = _answered(Channel(0, 0.5, interim_results=False, min_confidence=0.7), audio, confidence=0.3)
    finals = [snap for _, snap, _ in steps if snap is not None and snap.final]
    sent = [t for _, _, out in steps for t in out]
    assert finals[0].decoded_end <= pause_at + int(0.5 * SAMPLE_RATE)  # decoded at the first endpoint
    assert finals[1].start == finals[0].start and finals[1].decoded_end > pause_at + int(0.4 * SAMPLE_RATE)
    assert len(sent) == 1 and sent[0].speech_final  # the joined utterance, once the wait ran out
    assert sent[0].start == finals[0].start / SAMPLE_RATE


def test_an_unsure_final_is_sent_after_its_wait_without_another_decode(clips):
    audio, pause_at = _two_turns(clips, pause_s=2.5)
    steps = _answered(Channel(0, 0.5, interim_results=False, min_confidence=0.7), audio, confidence=0.3)
    first = next(snap for _, snap, _ in steps if snap is not None and snap.final)
    received, snap, out = next(step for step in steps if step[2])
    assert snap is None  # no decode: the words held since the endpoint
    assert [w.text for w in out[0].words] == ["word"] and out[0].is_final and out[0].speech_final
    # sent once the silence after the last speech frame reached the endpoint and the wait (fed 100 ms at a time)
    speech_end = (first.last_speech_frame + 1) * VAD_FRAME
    waited = speech_end + (0.5 + UNSURE_WAIT_S) * SAMPLE_RATE
    assert waited <= received < waited + SAMPLE_RATE // 10 + VAD_FRAME
    assert out[0].end == first.decoded_end / SAMPLE_RATE
    assert sum(1 for _, s, _ in steps if s is not None and s.final) == 2  # and the second turn's own

"""Replays calls the way Amazon Transcribe Live Call Analytics' call transcriber sends them to Whisper."""

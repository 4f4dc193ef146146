"""``whisper-transcribe``: transcribe recordings on a Whisper endpoint with asynchronous inference.

A client of the endpoint, like any user's application: it uploads the recording to S3,
calls ``InvokeEndpointAsync``, waits for the result in S3 and downloads it. It reads only
constants from ``inference``; nothing in ``inference`` or ``builder`` imports it.
"""

"""The offline end-to-end demo: build, deploy (locally), serve and replay an LCA call."""

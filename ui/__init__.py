"""The Thai web UI (Gradio): `assistant serve`."""

"""`procall serve`: the assistant behind an HTTP API and a small web chat (FastAPI, run by uvicorn)."""
